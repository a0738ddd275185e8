package mailparse

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse runs the whole parse step on arbitrary bytes: it must never
// panic, must return either a mail or an error, and what it returns must
// be valid UTF-8 within the limits.
func FuzzParse(f *testing.F) {
	for _, b := range allFixtures(f) {
		f.Add(b)
	}
	lim := Limits{MaxMessage: 1 << 20, MaxAttachment: 64 << 10, MaxAttachments: 8, MaxText: 64 << 10}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(bytes.NewReader(raw), lim)
		if err != nil {
			if m != nil {
				t.Fatalf("Parse returned a mail and an error: %v", err)
			}
			return
		}
		for _, s := range []string{m.Subject, m.Body, m.Text, m.From.Name, m.From.Address} {
			if !utf8.ValidString(s) {
				t.Fatalf("Parse gave invalid UTF-8: %q", s)
			}
		}
		if len(m.Text) > 4*lim.MaxText+1024 {
			t.Fatalf("text is %d bytes, over the limit", len(m.Text))
		}
		if !strings.Contains(m.Text, m.Body) && m.Body != strings.TrimSpace(m.Text) {
			t.Fatalf("Body %q is not part of Text %q", m.Body, m.Text)
		}
		if len(m.Attachments) > lim.MaxAttachments {
			t.Fatalf("%d attachments, over the limit", len(m.Attachments))
		}
		for _, a := range m.Attachments {
			if int64(len(a.Data)) > lim.MaxAttachment {
				t.Fatalf("attachment %q loaded %d bytes, over the limit", a.Name, len(a.Data))
			}
		}
	})
}

// allFixtures returns every mail in testdata/mail, the seeds of the fuzz
// targets that read raw mail.
func allFixtures(tb testing.TB) [][]byte {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", "mail", "*.eml"))
	var out [][]byte
	for _, name := range files {
		out = append(out, readFixture(tb, filepath.Base(name)))
	}
	return out
}
