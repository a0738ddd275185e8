package outbound_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// TestSendTextOutsideTicket: a text whose caller claims and records it
// (a blast recipient) still keeps the opt-out record, read from the table
// or given, and the quiet hours, the caller's own or the service's, unless
// urgent; nothing is recorded.
func TestSendTextOutsideTicket(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	night := time.Date(2026, 11, 23, 22, 0, 0, 0, shanghai)
	day := time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)
	const in, out = "+8613800138001", "+8613800138002"
	if _, err := st.SetOptOut(ctx, out, true, day); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	none := ticket.QuietHours{}
	tests := []struct {
		name string
		at   time.Time
		text outbound.Text
		want error
	}{
		{"day", day, outbound.Text{To: in, Body: "x", Purpose: outbound.Blast}, nil},
		{"opted out, read", day, outbound.Text{To: out, Body: "x", Purpose: outbound.Blast}, outbound.ErrOptedOut},
		{"opted out, given", day, outbound.Text{To: in, Body: "x", Purpose: outbound.Blast, OptedOut: &yes}, outbound.ErrOptedOut},
		{"given not opted out", day, outbound.Text{To: out, Body: "x", Purpose: outbound.Blast, OptedOut: &no}, nil},
		{"keyword to opted out", day, outbound.Text{To: out, Body: "x", Purpose: outbound.Keyword}, nil},
		{"night", night, outbound.Text{To: in, Body: "x", Purpose: outbound.Blast}, outbound.ErrQuietHours},
		{"night, urgent", night, outbound.Text{To: in, Body: "x", Purpose: outbound.Blast, Urgent: true}, nil},
		{"night, no quiet hours", night, outbound.Text{To: in, Body: "x", Purpose: outbound.Blast, Quiet: &none}, nil},
		{"night, in another zone", night, outbound.Text{To: in, Body: "x", Purpose: outbound.Blast, Zone: time.UTC}, nil},
		{"night, reply", night, outbound.Text{To: in, Body: "x", Purpose: outbound.Reply}, nil},
		{"no number", day, outbound.Text{Body: "x", Purpose: outbound.Blast}, outbound.ErrNoContact},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := &texts{}
			svc := &outbound.Service{Store: st, Texts: tx, Zone: shanghai, Now: func() time.Time { return tt.at }}
			pid, err := svc.SendText(ctx, tt.text)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (pid != "") {
				t.Fatalf("SendText(%+v) = %q, %v, want %v", tt.text, pid, err, tt.want)
			}
			sent := 0
			if tt.want == nil {
				sent = 1
			}
			if tx.count() != sent {
				t.Errorf("%d texts sent, want %d", tx.count(), sent)
			}
			var quiet *outbound.QuietError
			if errors.As(err, &quiet) && !quiet.Until.Equal(time.Date(2026, 11, 24, 8, 0, 0, 0, shanghai)) {
				t.Errorf("held until %v, want 08:00 the next day", quiet.Until)
			}
		})
	}
	if _, err := (&outbound.Service{Store: st}).SendText(ctx, outbound.Text{To: in, Body: "x", Purpose: outbound.Blast, Urgent: true}); !errors.Is(err, outbound.ErrNoChannel) {
		t.Errorf("SendText without an SMS sender = %v, want ErrNoChannel", err)
	}
}
