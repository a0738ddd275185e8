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
		if again, err := Parse(bytes.NewReader(raw), lim); err != nil || again.ContentHash != m.ContentHash || m.ContentHash == "" {
			t.Fatalf("Parse twice: hash %q then %q (%v), want one hash", m.ContentHash, again.ContentHash, err)
		}
		for _, s := range m.Notes {
			if !utf8.ValidString(s) {
				t.Fatalf("Parse gave an invalid UTF-8 note: %q", s)
			}
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

// FuzzDecodeText: any bytes under any label come out as valid UTF-8 with
// the charset used named, and UTF-8 comes out as it went in.
func FuzzDecodeText(f *testing.F) {
	for _, s := range []struct {
		label string
		b     []byte
	}{
		{"utf-7", []byte("Hi Mom -+Jjo--! +ZeVnLIqe- +- +AD0-")},
		{"utf-7", []byte("+2D3eAA +2D3")},
		{"gb2312", []byte{0xc4, 0xe3, 0xba, 0xc3, 0x86, 0xb4}},
		{"", []byte{0xc2, 0xa5, 0xb5, 0xc0}},
		{"iso-8859-1", []byte("caf\xe9")},
		{"utf-16le", []byte("h\x00i\x00")},
		{"big5", []byte{0xa7, 0x41, 0xa6, 0x6e}},
	} {
		f.Add(s.label, s.b)
	}
	f.Fuzz(func(t *testing.T, label string, b []byte) {
		s, cs := decodeText(label, b)
		if !utf8.ValidString(s) {
			t.Fatalf("decodeText(%q, %q) = %q, not UTF-8", label, b, s)
		}
		if cs == "" {
			t.Fatalf("decodeText(%q, %q) named no charset", label, b)
		}
		if utf8.Valid(b) && !isASCII(b) && s != string(b) && cs == "utf-8" {
			t.Fatalf("decodeText(%q, %q) = %q, changed UTF-8 text", label, b, s)
		}
	})
}
