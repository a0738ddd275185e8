package dynamo_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func TestKeyPart(t *testing.T) {
	long := strings.Repeat("a", 513)
	tests := []struct {
		name, in string
		same     bool
	}{
		{"twilio sid", "SM0123456789abcdef0123456789abcdef", true},
		{"at the limit", strings.Repeat("a", 512), true},
		{"chinese", "消息编号", true},
		{"over the limit", long, false},
		{"not utf-8", "SM\xff\xfe", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dynamo.KeyPart(tt.in)
			if (got == tt.in) != tt.same {
				t.Errorf("KeyPart(%.20q) = %.30q, want it kept %v", tt.in, got, tt.same)
			}
			if len(got) > 512 || got == "" {
				t.Errorf("KeyPart(%.20q) = %d bytes, want 1 to 512", tt.in, len(got))
			}
			if again := dynamo.KeyPart(got); again != got {
				t.Errorf("KeyPart(KeyPart(%.20q)) = %.30q, want %.30q unchanged", tt.in, again, got)
			}
		})
	}
	if dynamo.KeyPart(long) == dynamo.KeyPart(long+"b") {
		t.Errorf("two different long inputs share a key part")
	}
}

// TestOutsideKeysNeverFailAWrite sends IDs DynamoDB would refuse in a key
// (far over the key size, not UTF-8) through every write and read that
// builds a key from outside input: each works, and finds what it wrote.
func TestOutsideKeysNeverFailAWrite(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	for _, id := range []string{strings.Repeat("SM", 2500), "SM\xff\xfe-" + strings.Repeat("x", 40)} {
		src := ticket.Source{Channel: ticket.SMS, ID: id}
		tk := newTicket(at, "+8613800138000")
		sent := ticket.Message{ID: string(ticket.NewID(at)), Direction: ticket.Outbound, Channel: ticket.SMS, Body: "ack", At: at, SourceID: id}
		if err := st.Apply(ctx, ticket.Change{Ticket: tk, Create: true, Source: &src, Messages: []ticket.Message{sent},
			Limits: []ticket.RateLimit{{Key: id, Max: 1, Window: time.Minute}}}); err != nil {
			t.Fatalf("Apply with a %d-byte source: %v", len(id), err)
		}
		if got, err := st.BySource(ctx, src); err != nil || got != tk.ID {
			t.Errorf("BySource = %s, %v, want %s", got, err, tk.ID)
		}
		if got, err := st.BySent(ctx, ticket.SMS, id); err != nil || got != tk.ID {
			t.Errorf("BySent = %s, %v, want %s", got, err, tk.ID)
		}
		if _, _, err := st.SentMessage(ctx, ticket.SMS, id+"-other"); !errors.Is(err, ticket.ErrNotFound) {
			t.Errorf("SentMessage(unknown long ID) = %v, want ErrNotFound", err)
		}
		if got, _, err := st.SMSState(ctx, src, "+8613800138000"); err != nil || got != tk.ID {
			t.Errorf("SMSState = %s, %v, want %s", got, err, tk.ID)
		}
		if _, err := st.Ticket(ctx, ticket.ID(id)); !errors.Is(err, ticket.ErrNotFound) {
			t.Errorf("Ticket(a %d-byte ID) = %v, want ErrNotFound", len(id), err)
		}
		if _, err := st.ByRef(ctx, ticket.Ref(id)); !errors.Is(err, ticket.ErrNotFound) {
			t.Errorf("ByRef(a %d-byte reference) = %v, want ErrNotFound", len(id), err)
		}
		if ok, err := st.ClaimSend(ctx, id); err != nil || !ok {
			t.Errorf("ClaimSend = %v, %v, want true", ok, err)
		}
		if err := st.Quarantine(ctx, ticket.Quarantined{Channel: ticket.SMS, ID: id, Reason: "malformed", At: at}); err != nil {
			t.Errorf("Quarantine: %v", err)
		}
	}
	list, err := st.Quarantined(ctx, ticket.SMS, false)
	if err != nil || len(list) != 2 {
		t.Fatalf("Quarantined = %d, %v, want 2", len(list), err)
	}
	for _, q := range list {
		if err := st.MarkReplayed(ctx, ticket.SMS, q.ID, at); err != nil {
			t.Errorf("MarkReplayed(%.20q): %v", q.ID, err)
		}
	}
	if left, _ := st.Quarantined(ctx, ticket.SMS, false); len(left) != 0 {
		t.Errorf("%d quarantined left after replay, want 0", len(left))
	}
}

// TestSMSState reads a text's source and its number's opt-out in one go.
func TestSMSState(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	const phone = "+8613800138001"
	src := ticket.Source{Channel: ticket.SMS, ID: "state-1"}
	if id, out, err := st.SMSState(ctx, src, phone); err != nil || id != "" || out {
		t.Errorf("SMSState(new) = %q, %v, %v, want nothing", id, out, err)
	}
	if _, err := st.SetOptOut(ctx, phone, true, at); err != nil {
		t.Fatal(err)
	}
	tk := newTicket(at, phone)
	if err := st.Apply(ctx, ticket.Change{Ticket: tk, Create: true, Source: &src}); err != nil {
		t.Fatal(err)
	}
	if id, out, err := st.SMSState(ctx, src, phone); err != nil || id != tk.ID || !out {
		t.Errorf("SMSState = %q, %v, %v, want %s and opted out", id, out, err, tk.ID)
	}
}

// TestAckTakenWithNewTicket: a new ticket written with AckAt holds its
// acknowledgement slot; it is free again once released.
func TestAckTakenWithNewTicket(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	tk := newTicket(at, "+8613800138002")
	if err := st.Apply(ctx, ticket.Change{Ticket: tk, Create: true, AckAt: at}); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.ClaimAck(ctx, tk.ID, at.Add(time.Minute), 10*time.Minute, ""); err != nil || ok {
		t.Errorf("ClaimAck after a create with AckAt = %v, %v, want the slot taken", ok, err)
	}
	if err := st.ReleaseAck(ctx, tk.ID, at); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.ClaimAck(ctx, tk.ID, at.Add(time.Minute), 10*time.Minute, ""); err != nil || !ok {
		t.Errorf("ClaimAck after the release = %v, %v, want true", ok, err)
	}
}

// TestAckTakenInTheSourcesName: the slot a new ticket takes for its
// inbound message is that message's own: a claim in its name (a
// redelivery) finds it free once the lease of the delivery that took it
// ran out; another message's claim finds it taken.
func TestAckTakenInTheSourcesName(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	src := ticket.Source{Channel: ticket.SMS, ID: "ack-own-slot"}
	tk := newTicket(at, "+8613800138003")
	if err := st.Apply(ctx, ticket.Change{Ticket: tk, Create: true, AckAt: at, Source: &src}); err != nil {
		t.Fatal(err)
	}
	other := ticket.Source{Channel: ticket.SMS, ID: "ack-other"}
	if ok, err := st.ClaimAck(ctx, tk.ID, at.Add(time.Minute), 10*time.Minute, dynamo.AckClaim(other)); err != nil || ok {
		t.Errorf("ClaimAck by another message = %v, %v, want the slot taken", ok, err)
	}
	if ok, err := st.ClaimAck(ctx, tk.ID, at.Add(time.Minute), 10*time.Minute, ""); err != nil || ok {
		t.Errorf("ClaimAck under a fresh name = %v, %v, want the slot taken", ok, err)
	}
	// The delivery that took it may still be running: not yet.
	if ok, err := st.ClaimAck(ctx, tk.ID, at.Add(time.Second), 10*time.Minute, dynamo.AckClaim(src)); err != nil || ok {
		t.Errorf("ClaimAck in the message's own name within the lease = %v, %v, want the slot taken", ok, err)
	}
	if ok, err := st.ClaimAck(ctx, tk.ID, at.Add(dynamo.AckLease), 10*time.Minute, dynamo.AckClaim(src)); err != nil || !ok {
		t.Errorf("ClaimAck in the message's own name after the lease = %v, %v, want true", ok, err)
	}
}

// TestSentOutsideTicket: a text sent outside any ticket is recorded, and a
// reply quoting its ID finds it with no ticket.
func TestSentOutsideTicket(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	m := ticket.Message{ID: string(ticket.NewID(at)), Direction: ticket.Outbound, Channel: ticket.SMS,
		Body: "You will get no more texts from us.", At: at, SourceID: "sns-stop-answer", Meta: map[string]string{"purpose": "keyword"}}
	if err := st.AddSentTo(ctx, ticket.Contact{Phone: "+8613800138003"}, m); err != nil {
		t.Fatal(err)
	}
	id, got, err := st.SentMessage(ctx, ticket.SMS, "sns-stop-answer")
	if err != nil || id != "" || got == nil || got.Body != m.Body || got.Meta["purpose"] != "keyword" {
		t.Errorf("SentMessage = %q, %+v, %v, want the keyword answer with no ticket", id, got, err)
	}
	if err := st.AddSentTo(ctx, ticket.Contact{}, m); err == nil {
		t.Errorf("AddSentTo with no contact = nil, want an error")
	}
}

func TestEventItem(t *testing.T) {
	tests := []struct {
		pk, sk string
		want   ticket.ID
		ok     bool
	}{
		{"TICKET#01ABC", "EVENT#01XYZ", "01ABC", true},
		{"TICKET#01ABC", "MSG#01XYZ", "", false},
		{"TICKET#", "EVENT#01XYZ", "", false},
		{"SOURCE#sms:1", "EVENT#01XYZ", "", false},
	}
	for _, tt := range tests {
		if got, ok := dynamo.EventItem(tt.pk, tt.sk); got != tt.want || ok != tt.ok {
			t.Errorf("EventItem(%q, %q) = %q, %v, want %q, %v", tt.pk, tt.sk, got, ok, tt.want, tt.ok)
		}
	}
}
