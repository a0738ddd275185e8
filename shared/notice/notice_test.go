package notice

import (
	"encoding/json"
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

// bypasses are the texts that got through when notices carried a masked
// summary: zero-width characters, Chinese and circled or superscript
// digits, spaced or full-width at signs and dots, "at … dot …", quoted
// local parts.
var bypasses = []string{
	"请回电 1\u200b3\u200b8\u200b0\u200b0\u200b1\u200b3\u200b8\u200b0\u200b0\u200b0",
	"电话一三八零零一三八零零零",
	"电话①③⑧⓪⓪①③⑧⓪⓪⓪",
	"call ¹³⁸⁰⁰¹³⁸⁰⁰⁰",
	"mail li.lei @ example . com",
	"mail li.lei＠example．com",
	"mail li dot lei at example dot com",
	`mail "li lei"@example.com`,
	"煤气泄漏！请打 138 0013 8000 或发邮件 li.lei@example.com",
}

// customerWritten returns t with every field a customer can write set
// from text.
func customerWritten(t ticket.Ticket, text string) ticket.Ticket {
	t.Summary = text
	t.Contact = ticket.Contact{Name: text, Phone: text, Email: text}
	t.Messages = []ticket.Message{{ID: "m1", Direction: ticket.Inbound, Channel: t.Channel, Subject: text, Body: text, FullBody: text,
		Attachments: []ticket.Attachment{{Name: text, Type: text}}, Meta: map[string]string{"subject": text}}}
	return t
}

// checkIgnoresCustomerText builds the notice for a ticket without
// customer text and with text in every customer-written field: the two
// must be byte for byte the same.
func checkIgnoresCustomerText(tb testing.TB, typ ticket.EventType, text string) {
	tb.Helper()
	at := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	tk := ticket.Ticket{ID: "01KAQZ8Y5N3J7M9P2R4T6V8X0Z", Ref: "FD-7K3MQ9", Kind: ticket.Emergency, Priority: ticket.P1,
		Channel: ticket.SMS, Owner: "emergency-desk", Status: ticket.New, CreatedAt: at, AckBy: at, Keywords: []string{"煤气泄漏"}}
	b, err := NewBuilder("https://console.example.com/tickets/{ref}")
	if err != nil {
		tb.Fatal(err)
	}
	e := ticket.Event{ID: "01KAQZ8Y5N3J7M9P2R4T6V8X1Y", Type: typ, At: at, Actor: "customer", Detail: "kind=emergency priority=P1"}
	plain, err := b.Build(e, tk)
	if err != nil {
		tb.Fatal(err)
	}
	written, err := b.Build(e, customerWritten(tk, text))
	if err != nil {
		tb.Fatal(err)
	}
	pj, _ := json.Marshal(plain)
	wj, _ := json.Marshal(written)
	if string(pj) != string(wj) {
		tb.Errorf("Build with customer text %q = %s, want it the same as without: %s", text, wj, pj)
	}
}

func TestBuildIgnoresCustomerText(t *testing.T) {
	for _, text := range bypasses {
		for _, typ := range Events {
			checkIgnoresCustomerText(t, typ, text)
		}
	}
}

func FuzzBuildIgnoresCustomerText(f *testing.F) {
	for _, s := range bypasses {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkIgnoresCustomerText(t, ticket.EventCreated, text)
	})
}

// TestDetailOnlyWhereFrontdeskWroteIt: a note typed by a person (a
// resolution, say) may quote the customer and stays out of the notice;
// details Frontdesk composes go through.
func TestDetailOnlyWhereFrontdeskWroteIt(t *testing.T) {
	at := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	tk := ticket.Ticket{ID: "01KAQZ8Y5N3J7M9P2R4T6V8X0Z", Ref: "FD-7K3MQ9", Kind: ticket.Repair, Priority: ticket.P2,
		Channel: ticket.Web, Owner: "field-service", Status: ticket.Resolved, CreatedAt: at, AckBy: at}
	tests := []struct {
		typ    ticket.EventType
		detail string
		want   string
	}{
		{ticket.EventCreated, "kind=repair priority=P2 owner=field-service", "kind=repair priority=P2 owner=field-service"},
		{ticket.EventSurveyAnswered, "score=2", "score=2"},
		{ticket.EventResolved, "called her back on 138 0013 8000", ""},
		{ticket.EventEscalated, "customer says li.lei@example.com", ""},
	}
	for _, tt := range tests {
		n, err := Builder{}.Build(ticket.Event{ID: "01KAQZ8Y5N3J7M9P2R4T6V8X1Y", Type: tt.typ, At: at, Actor: "staff:zhao", Detail: tt.detail}, tk)
		if err != nil {
			t.Fatal(err)
		}
		if n.Detail != tt.want {
			t.Errorf("Build(%s with detail %q).Detail = %q, want %q", tt.typ, tt.detail, n.Detail, tt.want)
		}
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"很好", 5, "很好"},
		{"很好很好很好", 5, "很好很好…"},
		{"abcdef", 6, "abcdef"},
	}
	for _, tt := range tests {
		if got := cut(tt.in, tt.max); got != tt.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
