package intake_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func service(tb testing.TB, now time.Time) (*intake.Service, interface {
	intake.Store
	View(context.Context, ticket.ID) (*ticket.Ticket, error)
}) {
	tb.Helper()
	store, _ := testenv.Table(tb)
	store.Now = func() time.Time { return now }
	return &intake.Service{Store: store, Rules: ticket.MustDefaultRules(shanghai), Region: "CN", Now: func() time.Time { return now }}, store
}

// Monday 2026-11-23 10:00 in Shanghai.
var monday10 = time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)

func webInbound(key string) intake.Inbound {
	return intake.Inbound{
		Source:  ticket.Source{Channel: ticket.Web, ID: key},
		Contact: ticket.Contact{Name: "李雷", Phone: "138 0013 8000"},
		Body:    "楼道里有很重的煤气味",
	}
}

func TestReceiveCreatesTicket(t *testing.T) {
	svc, store := service(t, monday10)
	ctx := context.Background()
	r, err := svc.Receive(ctx, webInbound("k1"))
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if !r.Created || r.Duplicate {
		t.Fatalf("Receive = created %v duplicate %v, want a new ticket", r.Created, r.Duplicate)
	}
	got, err := store.View(ctx, r.Ticket.ID)
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	if got.Kind != ticket.Emergency || got.Priority != ticket.P1 || got.Owner != "emergency-desk" {
		t.Errorf("ticket = %s %s %s, want emergency P1 emergency-desk", got.Kind, got.Priority, got.Owner)
	}
	if got.Contact.Phone != "+8613800138000" {
		t.Errorf("phone = %q, want E.164", got.Contact.Phone)
	}
	if want := monday10.Add(15 * time.Minute).UTC(); !got.AckBy.Equal(want) {
		t.Errorf("ackBy = %v, want %v", got.AckBy, want)
	}
	if len(got.Messages) != 1 || got.Messages[0].Body != "楼道里有很重的煤气味" {
		t.Errorf("messages = %+v, want the one body", got.Messages)
	}
	if len(got.History) != 1 || got.History[0].Type != ticket.EventCreated {
		t.Errorf("history = %+v, want one created event", got.History)
	}
}

func TestReceiveSameSourceTwice(t *testing.T) {
	svc, _ := service(t, monday10)
	ctx := context.Background()
	first, err := svc.Receive(ctx, webInbound("same"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := svc.Receive(ctx, webInbound("same"))
	if err != nil {
		t.Fatal(err)
	}
	if !second.Duplicate || second.Ticket.ID != first.Ticket.ID || second.Ticket.Ref != first.Ticket.Ref {
		t.Fatalf("second = %+v, want a duplicate of %s", second, first.Ticket.Ref)
	}
}

func TestReceiveConcurrentSameSource(t *testing.T) {
	svc, store := service(t, monday10)
	ctx := context.Background()
	const n = 50
	var wg sync.WaitGroup
	refs := make([]ticket.Ref, n)
	created := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := svc.Receive(ctx, webInbound("burst"))
			errs[i] = err
			if err == nil {
				refs[i], created[i] = r.Ticket.Ref, r.Created
			}
		}()
	}
	wg.Wait()
	nCreated := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Receive %d: %v", i, errs[i])
		}
		if refs[i] != refs[0] {
			t.Fatalf("Receive %d got %s, others %s: two tickets for one source", i, refs[i], refs[0])
		}
		if created[i] {
			nCreated++
		}
	}
	if nCreated != 1 {
		t.Fatalf("%d receipts say created, want exactly 1", nCreated)
	}
	list, err := store.(interface {
		Recent(context.Context, int, int) ([]ticket.Ticket, error)
	}).Recent(ctx, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("table holds %d tickets, want 1", len(list))
	}
}

func TestReceiveThreadsByContact(t *testing.T) {
	svc, store := service(t, monday10)
	ctx := context.Background()
	in := intake.Inbound{Source: ticket.Source{Channel: ticket.SMS, ID: "m1"}, Contact: ticket.Contact{Phone: "+8613800138000"}, Body: "账单不对", ThreadWindow: 7 * 24 * time.Hour}
	first, err := svc.Receive(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Source.ID, in.Body = "m2", "还有，上个月也多扣了"
	second, err := svc.Receive(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if second.Created || second.Ticket.ID != first.Ticket.ID {
		t.Fatalf("second message made %s (created %v), want it on %s", second.Ticket.Ref, second.Created, first.Ticket.Ref)
	}
	v, err := store.View(ctx, first.Ticket.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Messages) != 2 || v.Version != 2 {
		t.Fatalf("ticket has %d messages at version %d, want 2 at 2", len(v.Messages), v.Version)
	}
	// Concurrent messages to one ticket all land: optimistic writes retry.
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := in
			in.Source.ID = fmt.Sprintf("c%d", i)
			if _, err := svc.Receive(ctx, in); err != nil {
				t.Errorf("Receive c%d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if v, err = store.View(ctx, first.Ticket.ID); err != nil {
		t.Fatal(err)
	}
	if len(v.Messages) != 12 {
		t.Fatalf("ticket has %d messages, want 12", len(v.Messages))
	}
}

func TestReceiveRateLimit(t *testing.T) {
	svc, _ := service(t, monday10)
	ctx := context.Background()
	limit := []ticket.RateLimit{{Key: "ip#203.0.113.9", Max: 2, Window: time.Minute}}
	for i := range 3 {
		in := webInbound(fmt.Sprintf("r%d", i))
		in.Limits = limit
		_, err := svc.Receive(ctx, in)
		var le *ticket.LimitError
		switch {
		case i < 2 && err != nil:
			t.Fatalf("Receive %d: %v", i, err)
		case i == 2 && !errors.As(err, &le):
			t.Fatalf("Receive %d = %v, want a *LimitError", i, err)
		case i == 2 && (le.RetryAfter <= 0 || le.RetryAfter > time.Minute):
			t.Fatalf("RetryAfter = %v, want within the minute", le.RetryAfter)
		}
	}
}

func TestReceiveInvalidContact(t *testing.T) {
	svc, _ := service(t, monday10)
	in := webInbound("bad")
	in.Contact = ticket.Contact{Phone: "12", Email: "not-an-address"}
	_, err := svc.Receive(context.Background(), in)
	var verr ticket.ValidationError
	if !errors.As(err, &verr) || !verr.Has("phone") || !verr.Has("email") {
		t.Fatalf("Receive = %v, want phone and email errors", err)
	}
}

// TestAppendCallbackRequest: a callback asked for on an open ticket,
// without a window (the SMS callback keyword), is in the ticket's history,
// not lost as an ordinary message.
func TestAppendCallbackRequest(t *testing.T) {
	svc, store := service(t, monday10)
	ctx := context.Background()
	first, err := svc.Receive(ctx, webInbound("k-cb"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.Receive(ctx, intake.Inbound{
		Source: ticket.Source{Channel: ticket.SMS, ID: "sms-cb"}, Contact: ticket.Contact{Phone: "+8613800138000"},
		Kind: ticket.CallbackRq, Body: "回电", ThreadWindow: 24 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Created || r.Ticket.ID != first.Ticket.ID {
		t.Fatalf("callback request went to %s (created %v), want %s", r.Ticket.Ref, r.Created, first.Ticket.Ref)
	}
	got, err := store.View(ctx, first.Ticket.ID)
	if err != nil {
		t.Fatal(err)
	}
	var types []ticket.EventType
	for _, e := range got.History {
		types = append(types, e.Type)
	}
	if fmt.Sprint(types) != fmt.Sprint([]ticket.EventType{ticket.EventCreated, ticket.EventMessageAdded, ticket.EventCallbackRequested}) {
		t.Errorf("history = %v, want created, message_added, callback_requested", types)
	}
	if got.Kind != ticket.Emergency {
		t.Errorf("kind = %s, want the ticket's own (emergency) kept", got.Kind)
	}
}

// TestReceiveCleansEveryChannel: whatever channel a contact comes from,
// hidden characters (NUL and other controls, zero-width characters, byte
// order marks, bidirectional overrides) are gone from every text field
// before anything is stored; message bodies keep their newlines and tabs.
func TestReceiveCleansEveryChannel(t *testing.T) {
	svc, store := service(t, monday10)
	ctx := context.Background()
	tests := []struct {
		name     string
		in       intake.Inbound
		want     ticket.Message
		wantName string
	}{
		{
			name: "sms with NUL and zero-width space",
			in: intake.Inbound{Source: ticket.Source{Channel: ticket.SMS, ID: "sms-clean-1"}, Contact: ticket.Contact{Phone: "+8613800138000"},
				Body: "停\x00电了\u200b，\r\n小区3号楼"},
			want: ticket.Message{Body: "停电了，\n小区3号楼"},
		},
		{
			name: "email with BOM, bidi override and hidden attachment name",
			in: intake.Inbound{Source: ticket.Source{Channel: ticket.Email, ID: "ses-clean-1"},
				Contact: ticket.Contact{Name: "\ufeffChen\u202e Li", Email: "chen.li@example.com"},
				Subject: "\ufeffBill\u200b for\tOctober\r\n", Body: "\ufeffHello,\n\tthe bill is twice the usual.\u2028Thanks",
				FullBody:    "\ufeffHello,\n\tthe bill is twice the usual.\u2028Thanks\n> quoted\u200b",
				Attachments: []ticket.Attachment{{Name: "invoice\u202efdp.exe", Type: "application/octet-stream", Size: 10, Skipped: true}},
				Meta:        map[string]string{"messageId": "<a\x00b@example.com>"}},
			want: ticket.Message{Subject: "Bill for October", Body: "Hello,\n\tthe bill is twice the usual.\nThanks",
				FullBody:    "Hello,\n\tthe bill is twice the usual.\nThanks\n> quoted",
				Attachments: []ticket.Attachment{{Name: "invoicefdp.exe", Type: "application/octet-stream", Size: 10, Skipped: true}},
				Meta:        map[string]string{"messageId": "<ab@example.com>"}},
			wantName: "Chen Li",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := svc.Receive(ctx, tt.in)
			if err != nil {
				t.Fatalf("Receive: %v", err)
			}
			got, err := store.View(ctx, r.Ticket.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Messages) != 1 {
				t.Fatalf("%d messages, want 1", len(got.Messages))
			}
			m := got.Messages[0]
			if m.Subject != tt.want.Subject || m.Body != tt.want.Body || m.FullBody != tt.want.FullBody {
				t.Errorf("stored subject, body, full body = %q, %q, %q; want %q, %q, %q", m.Subject, m.Body, m.FullBody, tt.want.Subject, tt.want.Body, tt.want.FullBody)
			}
			if fmt.Sprint(m.Attachments) != fmt.Sprint(tt.want.Attachments) || fmt.Sprint(m.Meta) != fmt.Sprint(tt.want.Meta) {
				t.Errorf("stored attachments, meta = %+v, %q; want %+v, %q", m.Attachments, m.Meta, tt.want.Attachments, tt.want.Meta)
			}
			if got.Contact.Name != tt.wantName || ticket.HasHidden(got.Summary) {
				t.Errorf("stored name, summary = %q, %q; want %q and a clean summary", got.Contact.Name, got.Summary, tt.wantName)
			}
		})
	}
}

// TestReceiveRefusesEmptyOnceCleaned: a message of nothing but hidden
// characters is refused as empty, on the message field, and stores nothing.
func TestReceiveRefusesEmptyOnceCleaned(t *testing.T) {
	svc, _ := service(t, monday10)
	in := webInbound("only-hidden")
	in.Body = "\u200b\x00\ufeff \u202e"
	_, err := svc.Receive(context.Background(), in)
	var verr ticket.ValidationError
	if !errors.As(err, &verr) || len(verr) != 1 || verr[0].Field != "message" || verr[0].Code != ticket.CodeRequired {
		t.Fatalf("Receive(hidden characters only) = %v, want required on message", err)
	}
}
