package notice

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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
		event         ticket.EventType
		actor         string
		wantUrgent    bool
		wantPriority  string
		wantAutomatic string
	}{
		{"a person opening a P1 ticket pages", ticket.EventCreated, "customer", true, "P1", ""},
		{"an escalation of a P1 pages", ticket.EventEscalated, "frontdesk:sweep", true, "P1", ""},
		{"a raise to P1 pages", ticket.EventRaised, "customer", true, "P1", ""},
		{"writing again on a P1 does not page again", ticket.EventMessageAdded, "customer", false, "P1", ""},
		{"the acknowledgement sent to the customer does not page", ticket.EventReplySent, "frontdesk", false, "P1", ""},
		{"an out-of-office reply on a P1 ticket does not", ticket.EventMessageAdded, ticket.AutomaticActor("auto-submitted"), false, "P4", "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := b.Build(ticket.Event{ID: "01KAQZ8Y5N3J7M9P2R4T6V8X1Y", Type: tt.event, At: at, Actor: tt.actor}, tk)
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

// TestSummaryCutShortUpstream: ticket summaries are cut to
// ticket.SummaryLen before a notice is built, so an address or number can
// arrive cut in two; the notice still masks it.
func TestSummaryCutShortUpstream(t *testing.T) {
	at := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		name, tail string
		kept       int // runes of tail the summary keeps
		leak       string
	}{
		{"address cut in its domain", "请发到 zhang.san@gmail.com", 16, "zhang.san"},
		{"address cut at its at sign", "请发到 zhang.san@gmail.com", 14, "zhang.san"},
		{"mobile", "请回电 138 0013 8000", 10, "138 00"},
		{"international", "call +86 138 0013 8000", 10, "+86"},
	}
	b, err := NewBuilder("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := ticket.Ticket{ID: "01KAQZ8Y5N3J7M9P2R4T6V8X0Z", Ref: "FD-7K3MQ9", Kind: ticket.Complaint, Priority: ticket.P2,
				Channel: ticket.Email, Owner: "complaints", Status: ticket.New, CreatedAt: at, AckBy: at,
				Summary: ticket.Summarize("", strings.Repeat("停", ticket.SummaryLen-1-tt.kept)+tt.tail)}
			n, err := b.Build(ticket.Event{ID: "01KAQZ8Y5N3J7M9P2R4T6V8X1Y", Type: ticket.EventCreated, At: at, Actor: "customer"}, tk)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(n.Summary, tt.leak) || utf8.RuneCountInString(n.Summary) > MaxSummary {
				t.Errorf("Build(summary %q).Summary = %q, want %q masked within %d runes", tk.Summary, n.Summary, tt.leak, MaxSummary)
			}
		})
	}
}

func TestCutKeepsPlaceholdersWhole(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"很好", 5, "很好"},
		{"很好很好很好", 5, "很好很好…"},
		{"电话[phone]谢谢", 6, "电话…"},
		{"电话[phone]谢谢", 10, "电话[phone]…"},
		{"[x] [email]", 4, "[x]…"},
	}
	for _, tt := range tests {
		if got := cut(tt.in, tt.max); got != tt.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
