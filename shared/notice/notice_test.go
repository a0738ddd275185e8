package notice

import (
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

func TestAutomaticEventsNeverPage(t *testing.T) {
	at := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	tk := ticket.Ticket{ID: "01KAQZ8Y5N3J7M9P2R4T6V8X0Z", Ref: "FD-7K3MQ9", Kind: ticket.Emergency, Priority: ticket.P1,
		Channel: ticket.Email, Owner: "emergency-desk", Status: ticket.New, CreatedAt: at, AckBy: at}
	b, err := NewBuilder("")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		actor         string
		wantUrgent    bool
		wantPriority  string
		wantAutomatic string
	}{
		{"a person writing on a P1 ticket pages", "customer", true, "P1", ""},
		{"an out-of-office reply on a P1 ticket does not", ticket.AutomaticActor("auto-submitted"), false, "P4", "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := b.Build(ticket.Event{ID: "01KAQZ8Y5N3J7M9P2R4T6V8X1Y", Type: ticket.EventMessageAdded, At: at, Actor: tt.actor}, tk)
			if err != nil {
				t.Fatal(err)
			}
			a := n.Attributes()
			if n.Urgent != tt.wantUrgent || a[AttrPriority].Value != tt.wantPriority || a[AttrAutomatic].Value != tt.wantAutomatic {
				t.Errorf("Build(actor %q) = urgent %v, priority attribute %q, automatic %q; want %v, %q, %q",
					tt.actor, n.Urgent, a[AttrPriority].Value, a[AttrAutomatic].Value, tt.wantUrgent, tt.wantPriority, tt.wantAutomatic)
			}
			if n.Priority != "P1" {
				t.Errorf("payload priority = %s, want the ticket's own P1", n.Priority)
			}
		})
	}
}
