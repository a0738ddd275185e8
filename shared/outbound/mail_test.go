package outbound

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"
)

func TestBuildMail(t *testing.T) {
	m := Mail{
		From: "Frontdesk <support@example.com>", To: "chen@example.com",
		Subject: "[FD-7KQ2MX] 我们已收到您的来信", Text: "您好，受理编号 FD-7KQ2MX。",
		MessageID: "01JD@example.com", InReplyTo: "<cafe@mail.example.net>",
		References: []string{"first@mail.example.net", "cafe@mail.example.net"},
		Headers:    map[string]string{"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
		Date:       time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC),
	}
	raw, err := BuildMail(m)
	if err != nil {
		t.Fatal(err)
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read back: %v\n%s", err, raw)
	}
	for name, want := range map[string]string{
		"Subject":                  m.Subject,
		"Message-Id":               "<01JD@example.com>",
		"In-Reply-To":              "<cafe@mail.example.net>",
		"References":               "<first@mail.example.net> <cafe@mail.example.net>",
		"Auto-Submitted":           "auto-replied",
		"X-Auto-Response-Suppress": "All",
		"To":                       "<chen@example.com>",
	} {
		if got := env.GetHeader(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if !strings.Contains(env.Text, "受理编号 FD-7KQ2MX") {
		t.Errorf("text = %q, want the body", env.Text)
	}
	// A subject that would start a header of its own is refused.
	m.Subject = "hello\r\nBcc: everyone@example.com"
	if _, err := BuildMail(m); err == nil {
		t.Errorf("BuildMail with a line break in the subject = nil error, want a refusal")
	}
	m.Subject, m.Headers = "ok", map[string]string{"X-Note": "a\nb"}
	if _, err := BuildMail(m); err == nil {
		t.Errorf("BuildMail with a line break in a header = nil error, want a refusal")
	}
}
