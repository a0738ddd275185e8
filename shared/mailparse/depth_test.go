package mailparse

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"
)

// nestedMail nests depth multiparts around one text part; open writes the
// header field that opens level i (its boundary is "b<i>") below the
// top, delim the line that starts a part of level i.
func nestedMail(depth int, open, delim func(i int) string) string {
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := 1; i < depth; i++ {
		b.WriteString(delim(i-1) + "\r\n" + open(i) + "\r\n\r\n")
	}
	b.WriteString(delim(depth-1) + "\r\nContent-Type: text/plain\r\n\r\nhello\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.String()
}

// enmimeDepth is how deep enmime itself nests the parts of raw, read with
// the parser Parse uses but without the depth tracker, and how many parts
// it makes below the root.
func enmimeDepth(tb testing.TB, raw []byte) (depth, parts int) {
	tb.Helper()
	root, err := parser.ReadParts(bytes.NewReader(raw))
	if err != nil {
		return 0, 0
	}
	var walk func(p *enmime.Part, level int)
	walk = func(p *enmime.Part, level int) {
		for ; p != nil; p = p.NextSibling {
			depth, parts = max(depth, level), parts+1
			walk(p.FirstChild, level+1)
		}
	}
	walk(root.FirstChild, 1)
	return depth, parts
}

// TestParseDepthAsEnmimeReads: nesting that enmime follows but a strict
// reader would not (broken Content-Type fields, loose boundary lines) is
// counted all the same.
func TestParseDepthAsEnmimeReads(t *testing.T) {
	ct := func(format string) func(int) string {
		return func(i int) string { return strings.ReplaceAll(format, "%d", fmt.Sprint(i)) }
	}
	plain := ct("--b%d")
	tests := []struct {
		name  string
		open  func(int) string
		delim func(int) string
	}{
		{"no media type", ct("Content-Type: boundary=b%d"), plain},
		{"media type with two slashes", ct("Content-Type: multipart/mixed/x; boundary=b%d"), plain},
		{"unquoted special in a parameter", ct("Content-Type: multipart/mixed; boundary=b%d; name=a/b.eml"), plain},
		{"trailing semicolons", ct("Content-Type: multipart/mixed;; boundary=b%d;"), plain},
		{"space before the colon", ct("Content-Type : multipart/mixed; boundary=b%d"), plain},
		{"continuation without indent", ct("Content-Type: multipart/mixed;\r\nboundary=b%d"), plain},
		{"second Content-Type ignored", ct("Content-Type: multipart/mixed; boundary=b%d\r\nContent-Type: text/plain"), plain},
		{"boundary on a non-multipart type", ct("Content-Type: application/x-stuff; boundary=b%d"), plain},
		{"junk after the delimiter", ct("Content-Type: multipart/mixed; boundary=b%d"), ct("--b%d junk")},
		{"long Content-Type", ct("Content-Type: multipart/mixed; x=\"" + strings.Repeat("x", 3000) + "\"; boundary=b%d"), plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok := nestedMail(DefaultMaxDepth, tt.open, tt.delim)
			if _, err := Parse(strings.NewReader(ok), Limits{}); err != nil {
				t.Fatalf("Parse(depth %d) = %v, want it parsed", DefaultMaxDepth, err)
			}
			deep := nestedMail(DefaultMaxDepth+1, tt.open, tt.delim)
			if d, _ := enmimeDepth(t, []byte(deep)); d <= DefaultMaxDepth {
				t.Fatalf("enmime nests the test mail %d deep, want over %d: the test proves nothing", d, DefaultMaxDepth)
			}
			if _, err := Parse(strings.NewReader(deep), Limits{}); !errors.Is(err, ErrMalformed) {
				t.Errorf("Parse(depth %d) error = %v, want ErrMalformed", DefaultMaxDepth+1, err)
			}
		})
	}
}

// FuzzDepthTracker: on any input, the tracker sees at least as much
// nesting, and at least as many parts, as enmime makes.
func FuzzDepthTracker(f *testing.F) {
	for _, b := range allFixtures(f) {
		f.Add(b, uint8(0))
	}
	f.Add([]byte(deepMail(4)), uint8(7))
	f.Add([]byte(nestedMail(3, func(i int) string { return fmt.Sprintf("Content-Type: multipart/mixed boundary=b%d", i) },
		func(i int) string { return fmt.Sprintf("x--b%d ", i) })), uint8(3))
	f.Fuzz(func(t *testing.T, raw []byte, chunk uint8) {
		if len(raw) > 8<<10 {
			return
		}
		want, wantParts := enmimeDepth(t, raw)
		d := newDepthTracker(1<<20, 1<<20)
		got := 0
		// Feed it in pieces of one size, as reads of one size would, but
		// never past a line end, to look at the levels after each line.
		size := int(chunk) + 1
		for p := raw; len(p) > 0; {
			n := min(size, len(p))
			if i := bytes.IndexByte(p[:n], '\n'); i >= 0 {
				n = i + 1
			}
			if err := d.feed(p[:n]); err != nil {
				// A refusal is always on the safe side.
				return
			}
			got = max(got, len(d.stack))
			p = p[n:]
		}
		if got < want || d.parts < wantParts {
			t.Fatalf("tracker saw depth %d, %d parts; enmime made depth %d, %d parts", got, d.parts, want, wantParts)
		}
	})
}

// TestParseShapeReasons: each broken limit is refused as malformed under
// its own reason, which names the limit.
func TestParseShapeReasons(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		lim    Limits
		err    error
		reason string
	}{
		{"nested too deep", deepMail(DefaultMaxDepth + 1), Limits{}, ErrTooDeep, "multiparts nested too deep (more than 12 levels)"},
		{"too many parts", "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + strings.Repeat("--b\r\n\r\nx\r\n", 30) + "--b--\r\n",
			Limits{MaxParts: 20}, ErrTooManyParts, "too many MIME parts (more than 20)"},
		{"too many header lines", "From: a@example.com\r\n" + strings.Repeat("Received: from x\r\n", maxHeaderLines+1) + "\r\nhi\r\n", Limits{}, ErrTooManyHeaderLines,
			"too many header lines (more than 5000 in one header block)"},
		{"over-long header", "From: a@example.com\r\nContent-Type: multipart/mixed; x=\"" + strings.Repeat("x", maxLine) + "\"; boundary=b\r\n\r\nhi\r\n", Limits{}, ErrHeaderTooLong,
			"header field too long (a Content-Type field over 8192 bytes)"},
		{"over-long boundary", "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=" + strings.Repeat("b", maxBoundary+1) + "\r\n\r\nhi\r\n", Limits{}, ErrBoundaryTooLong,
			"multipart boundary too long (over 256 bytes)"},
	}
	all := []error{ErrTooDeep, ErrTooManyParts, ErrTooManyHeaderLines, ErrHeaderTooLong, ErrBoundaryTooLong}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.raw), tt.lim)
			if !errors.Is(err, ErrMalformed) || !errors.Is(err, tt.err) {
				t.Fatalf("Parse(%s) error = %v, want ErrMalformed and %v", tt.name, err, tt.err)
			}
			for _, other := range all {
				if other != tt.err && errors.Is(err, other) {
					t.Errorf("Parse(%s) error = %v, also %v", tt.name, err, other)
				}
			}
			if !strings.HasSuffix(err.Error(), tt.reason) {
				t.Errorf("Parse(%s) error = %q, want it to end %q", tt.name, err, tt.reason)
			}
		})
	}
}

// TestReadmeNamesRefusals: the README says what is refused in the words
// the errors use, so that a quarantine reason can be looked up there.
func TestReadmeNamesRefusals(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []error{ErrTooLarge, ErrMalformed, ErrTooDeep, ErrTooManyParts, ErrTooManyHeaderLines, ErrHeaderTooLong, ErrBoundaryTooLong} {
		if !bytes.Contains(readme, []byte(e.Error())) {
			t.Errorf("README does not name the refusal %q", e)
		}
	}
}
