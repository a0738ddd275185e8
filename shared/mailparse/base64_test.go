package mailparse

import (
	"bytes"
	"encoding/base64"
	"io"
	"testing"
	"testing/iotest"
)

func decodeB64(tb testing.TB, in []byte) []byte {
	tb.Helper()
	out, err := io.ReadAll(newB64Reader(bytes.NewReader(in)))
	if err != nil {
		tb.Fatalf("read %q: %v", in, err)
	}
	return out
}

// TestB64Reader: base64 is read as mail clients read it.
func TestB64Reader(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"padded", "aGVsbG8=", "hello"},
		{"last group without padding", "aGVsbG8", "hello"},
		{"two characters short", "aGVsbA", "hell"},
		{"line breaks and spaces", "aGVs\r\n bG8g\r\nd29y\tbGQ=\r\n", "hello world"},
		{"pieces encoded one after the other", "aGk=aGk=", "hihi"},
		{"junk after the padding", "aGk=\r\n-- \r\n", "hi"},
		{"one character left over", "aGVsbG8hQ", "hello!"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeB64(t, []byte(tt.in))
			if string(got) != tt.want {
				t.Errorf("decode(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if n := base64Size([]byte(tt.in)); n != int64(len(got)) {
				t.Errorf("base64Size(%q) = %d, decoded %d bytes", tt.in, n, len(got))
			}
		})
	}
}

// FuzzB64Reader: on any input the reader measures what it decodes, and on
// base64 as the standard writes it, decodes what the standard decodes,
// whatever line breaks are put in it.
func FuzzB64Reader(f *testing.F) {
	f.Add([]byte("hello world"), uint8(76), []byte("aGVsbG8"))
	f.Add([]byte{0xff, 0x00, 0x10}, uint8(4), []byte("a=b=c==\r\n"))
	f.Fuzz(func(t *testing.T, data []byte, width uint8, junk []byte) {
		got := decodeB64(t, junk)
		if n := base64Size(junk); n != int64(len(got)) {
			t.Fatalf("base64Size(%q) = %d, decoded %d bytes", junk, n, len(got))
		}
		// Read a byte at a time, it decodes the same.
		if one, err := io.ReadAll(iotest.OneByteReader(newB64Reader(bytes.NewReader(junk)))); err != nil || !bytes.Equal(one, got) {
			t.Fatalf("decode(%q) a byte at a time = %x, %v; want %x", junk, one, err, got)
		}
		enc := base64.StdEncoding.EncodeToString(data)
		w := int(width) + 1
		var b bytes.Buffer
		for i := 0; i < len(enc); i += w {
			b.WriteString(enc[i:min(i+w, len(enc))] + "\r\n")
		}
		if got := decodeB64(t, b.Bytes()); !bytes.Equal(got, data) {
			t.Fatalf("decode(%q) = %x, want %x", b.Bytes(), got, data)
		}
		raw := bytes.TrimRight([]byte(enc), "=")
		if got := decodeB64(t, raw); !bytes.Equal(got, data) {
			t.Fatalf("decode(%q without padding) = %x, want %x", raw, got, data)
		}
	})
}
