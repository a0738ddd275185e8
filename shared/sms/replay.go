package sms

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Replay handles a quarantined delivery again, from the payload kept with
// it, once its cause has been fixed (a wrong default region, say). Replies
// are sent, not inlined: the Twilio call is long over. A delivery that is
// still unusable comes back as an *InputError and stays quarantined; the
// caller marks a replayed one (store.MarkReplayed). A text without its
// own time counts from when it was quarantined.
func (s *Service) Replay(ctx context.Context, q ticket.Quarantined) (Outcome, error) {
	if q.Channel != ticket.SMS {
		return Outcome{}, fmt.Errorf("replay %s: not an sms delivery", q.ID)
	}
	if len(q.Payload) == 0 {
		return Outcome{}, fmt.Errorf("replay %s: no payload was kept", q.ID)
	}
	var m Message
	var err error
	switch {
	case strings.HasPrefix(q.Source, string(Twilio)+":"):
		var form url.Values
		if form, err = url.ParseQuery(string(q.Payload)); err != nil {
			return Outcome{}, inputErr(ReasonMalformed, "kept form does not parse")
		}
		m, err = ParseTwilio(form)
	default:
		m, err = ParseRecord(q.Payload)
	}
	if err != nil {
		return Outcome{}, err
	}
	if m.At.IsZero() {
		// Twilio posts carry no time: the text was received when it was
		// quarantined, not now. Counting it as now would let an old STOP
		// override a newer START.
		m.At = q.At
	}
	return s.Handle(ctx, m, false)
}
