package email

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/mailparse"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestRenderAcknowledgement sends an acknowledgement through outbound as
// the handler does and checks the mail that goes out.
func TestRenderAcknowledgement(t *testing.T) {
	zone, _ := time.LoadLocation("Asia/Shanghai")
	s := Signer{Keys: [][]byte{[]byte("golden key")}}
	at := time.Date(2026, 11, 23, 2, 10, 12, 0, time.UTC)
	mails := &mailTap{}
	h := &Handler{Zone: zone, Signer: s, Outbound: &outbound.Service{
		Store: nopStore{}, Mail: mails, From: "Frontdesk 客服 <support@example.com>", Signer: s,
		Now: func() time.Time { return at },
	}}
	tk := &ticket.Ticket{ID: "01KAQZQ7N3M0000000000000AB", Ref: "FD-ABCDEF", Channel: ticket.Email,
		Contact: ticket.Contact{Email: "wang.fang@gmail.com"}, AckBy: time.Date(2026, 11, 23, 6, 30, 0, 0, time.UTC)}
	m := &mailparse.Mail{MessageID: "CAF=k8Qz9x_gmail-0001@mail.gmail.com"}
	if err := h.acknowledge(context.Background(), tk, m); err != nil {
		t.Fatal(err)
	}
	if len(mails.sent) != 1 {
		t.Fatalf("acknowledge sent %d mails, want 1", len(mails.sent))
	}
	sent := mails.sent[0]
	if id, ok := s.FromMessageID(sent.MessageID); !ok || id != tk.ID {
		t.Errorf("FromMessageID(%q) = %q, %v, want %s", sent.MessageID, id, ok, tk.ID)
	}
	// The Message-ID's random part would change the golden file on every
	// run: it is fixed, keeping the token.
	sent.MessageID = "fixedid." + s.Token(tk.ID) + "@example.com"
	raw, err := outbound.BuildMail(sent)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden", "acknowledgement.eml")
	if *update {
		if err := os.WriteFile(golden, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(raw, want) {
		t.Errorf("acknowledgement differs from %s:\n%s", golden, raw)
	}
	// What matters, independently of the golden file: it parses back,
	// is marked automatic so it is never answered, and threads home.
	back, err := mailparse.Parse(bytes.NewReader(raw), mailparse.Limits{})
	if err != nil {
		t.Fatalf("Parse(acknowledgement): %v", err)
	}
	if !back.Automatic {
		t.Errorf("acknowledgement parsed as written by a person, want automatic")
	}
	for _, h := range []string{"Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All", "Precedence: auto_reply", "In-Reply-To: <CAF=k8Qz9x_gmail-0001@mail.gmail.com>"} {
		if !bytes.Contains(raw, []byte(h+"\r\n")) {
			t.Errorf("acknowledgement lacks %q", h)
		}
	}
	if !strings.Contains(back.Subject, "FD-ABCDEF") || !strings.Contains(back.Body, "2026年11月23日 14:30") || !strings.Contains(back.Body, "Mon 23 Nov 2026 14:30 CST") {
		t.Errorf("acknowledgement = %q / %q, want the reference and the reply-by time in both languages", back.Subject, back.Body)
	}
	if len(back.ReplyTo) != 1 {
		t.Fatalf("Reply-To = %+v, want one address", back.ReplyTo)
	}
	if id, ok := s.FromAddress(back.ReplyTo[0].Address); !ok || id != tk.ID {
		t.Errorf("FromAddress(%q) = %q, %v, want %s", back.ReplyTo[0].Address, id, ok, tk.ID)
	}
}

// mailTap keeps the mail it is given.
type mailTap struct{ sent []outbound.Mail }

func (m *mailTap) SendMail(_ context.Context, mail outbound.Mail) (string, error) {
	m.sent = append(m.sent, mail)
	return "ses-0001", nil
}

// nopStore lets every message go and records nothing.
type nopStore struct{}

func (nopStore) Ticket(context.Context, ticket.ID) (*ticket.Ticket, error) {
	return nil, ticket.ErrNotFound
}
func (nopStore) OptedOut(context.Context, string) (bool, error)      { return false, nil }
func (nopStore) Undeliverable(context.Context, string) (bool, error) { return false, nil }
func (nopStore) ClaimAck(context.Context, ticket.ID, time.Time, time.Duration, string) (bool, error) {
	return true, nil
}
func (nopStore) ReleaseAck(context.Context, ticket.ID, time.Time) error { return nil }
func (nopStore) CountMailAck(context.Context, string, time.Time, int, time.Duration) (bool, error) {
	return true, nil
}
func (nopStore) UncountMailAck(context.Context, string, time.Time, time.Duration) error { return nil }
func (nopStore) ClaimSend(context.Context, string) (bool, error)                        { return true, nil }
func (nopStore) ReleaseSend(context.Context, string) error                              { return nil }
func (nopStore) AddSent(context.Context, *ticket.Ticket, ticket.Message, ticket.Event) error {
	return nil
}
func (nopStore) AddSentTo(context.Context, ticket.Contact, ticket.Message) error { return nil }

func TestSigner(t *testing.T) {
	old := Signer{Keys: [][]byte{[]byte("old")}}
	rotated := Signer{Keys: [][]byte{[]byte("new"), []byte("old")}}
	other := Signer{Keys: [][]byte{[]byte("someone else")}}
	id := ticket.ID("01KAQZQ7N3M0000000000000AB")
	tok := old.Token(id)
	tests := []struct {
		name   string
		signer Signer
		token  string
		ok     bool
	}{
		{"same key", old, tok, true},
		{"upper case (some MTAs shout)", old, strings.ToUpper(tok), true},
		{"after rotation", rotated, tok, true},
		{"new token, old key gone", old, rotated.Token(id), false},
		{"other key", other, tok, false},
		{"tampered ID", old, strings.Replace(tok, "01kaq", "01kar", 1), false},
		{"truncated MAC", old, tok[:len(tok)-2], false},
		{"no MAC", old, "t." + strings.ToLower(string(id)), false},
		{"empty", old, "", false},
		{"not a token", old, "hello", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.signer.Verify(tt.token)
			if ok != tt.ok || ok && got != id {
				t.Errorf("Verify(%q) = %q, %v, want %v", tt.token, got, ok, tt.ok)
			}
		})
	}
	if _, ok := old.FromAddress("support+" + tok + "@example.com"); !ok {
		t.Errorf("FromAddress(token address) = false, want true")
	}
	if _, ok := old.FromAddress("support@example.com"); ok {
		t.Errorf("FromAddress(plain address) = true, want false")
	}
}
