package blast

import "github.com/frontdesk/frontdesk/shared/outbound"

// outboundText is recipient r's text as the outbound service sends it: in
// their language, keeping the blast's quiet hours in their zone unless
// the blast is an emergency.
func (b *Blast) outboundText(r Recipient) outbound.Text {
	return outbound.Text{
		To: r.Phone, Body: b.Text(r.Language), Purpose: outbound.Blast,
		Urgent: b.Kind == Emergency, Quiet: &b.Quiet, Zone: b.zone(r.Zone),
	}
}
