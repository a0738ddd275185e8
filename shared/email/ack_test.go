package email

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/mailparse"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func TestRenderAcknowledgement(t *testing.T) {
	zone, _ := time.LoadLocation("Asia/Shanghai")
	a := &Acknowledger{From: "Frontdesk 客服 <support@example.com>", Zone: zone}
	s := Signer{Keys: [][]byte{[]byte("golden key")}}
	tk := &ticket.Ticket{ID: "01KAQZQ7N3M0000000000000AB", Ref: "FD-ABCDEF", AckBy: time.Date(2026, 11, 23, 6, 30, 0, 0, time.UTC)}
	m := &mailparse.Mail{MessageID: "CAF=k8Qz9x_gmail-0001@mail.gmail.com"}
	at := time.Date(2026, 11, 23, 2, 10, 12, 0, time.UTC)
	ack, err := a.Render(tk, m, "wang.fang@gmail.com", "fixedid."+s.Token(tk.ID)+"@example.com", s.ReplyAddress("support@example.com", tk.ID), at)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden", "acknowledgement.eml")
	if *update {
		if err := os.WriteFile(golden, ack.Raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(ack.Raw, want) {
		t.Errorf("Render differs from %s:\n%s", golden, ack.Raw)
	}
	// What matters, independently of the golden file: it parses back,
	// is marked automatic so it is never answered, and threads home.
	back, err := mailparse.Parse(bytes.NewReader(ack.Raw), mailparse.Limits{})
	if err != nil {
		t.Fatalf("Parse(acknowledgement): %v", err)
	}
	if !back.Automatic {
		t.Errorf("acknowledgement parsed as written by a person, want automatic")
	}
	for _, h := range []string{"Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All", "Precedence: auto_reply", "In-Reply-To: <CAF=k8Qz9x_gmail-0001@mail.gmail.com>"} {
		if !bytes.Contains(ack.Raw, []byte(h+"\r\n")) {
			t.Errorf("acknowledgement lacks %q", h)
		}
	}
	if !strings.Contains(back.Subject, "FD-ABCDEF") || !strings.Contains(back.Body, "2026年11月23日 14:30") || !strings.Contains(back.Body, "Mon 23 Nov 2026 14:30 CST") {
		t.Errorf("acknowledgement = %q / %q, want the reference and the reply-by time in both languages", back.Subject, back.Body)
	}
	if id, ok := s.FromMessageID(back.MessageID); !ok || id != tk.ID {
		t.Errorf("FromMessageID(%q) = %q, %v, want %s", back.MessageID, id, ok, tk.ID)
	}
	if len(back.ReplyTo) != 1 {
		t.Fatalf("Reply-To = %+v, want one address", back.ReplyTo)
	}
	if id, ok := s.FromAddress(back.ReplyTo[0].Address); !ok || id != tk.ID {
		t.Errorf("FromAddress(%q) = %q, %v, want %s", back.ReplyTo[0].Address, id, ok, tk.ID)
	}
}

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
