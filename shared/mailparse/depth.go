package mailparse

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/jhillyerd/enmime/v2/mediatype"
)

// Errors of a message whose structure breaks a limit, each naming its own
// cause; Parse wraps them in ErrMalformed with the limit that was broken.
var (
	// ErrTooDeep: multiparts nested deeper than Limits.MaxDepth. Each
	// level of nesting makes every byte below it slower to read, so a
	// small message nested thousands deep would run the parser for hours.
	ErrTooDeep = errors.New("multiparts nested too deep")
	// ErrTooManyParts: more MIME parts than Limits.MaxParts. Each part
	// costs the parser a node and a header map, so hundreds of thousands
	// of tiny parts would take far more memory than the message's size.
	ErrTooManyParts = errors.New("too many MIME parts")
	// ErrTooManyHeaderLines: a header block (the message's or a part's)
	// of more than maxHeaderLines lines. Each field costs the parser a
	// map entry, far more than its bytes.
	ErrTooManyHeaderLines = errors.New("too many header lines")
	// ErrHeaderTooLong: a Content-Type field longer than maxLine; no real
	// one is that long.
	ErrHeaderTooLong = errors.New("header field too long")
	// ErrBoundaryTooLong: a multipart boundary longer than maxBoundary
	// (RFC 2046 allows 70 characters).
	ErrBoundaryTooLong = errors.New("multipart boundary too long")
)

// maxHeaderLines is the most lines one header block may have; real mail
// stays under a few hundred even with long Received chains.
const maxHeaderLines = 5000

// maxLine is how much of a line the depth tracker keeps: all of any real
// Content-Type field, continuation lines included.
const maxLine = 8 << 10

// maxBoundary is the longest multipart boundary accepted.
const maxBoundary = 256

// depthTracker watches the bytes going to the MIME parser, follows the
// multipart structure in one pass, and fails the read once multiparts
// nest deeper than max or make more than maxPts parts.
//
// It must never see less structure than enmime does, or a message could
// slip nested parts past it. So it reads headers as enmime does (its
// repairs of broken header lines, its lenient media-type parser), opens a
// level for every Content-Type field with a boundary, closes a level only
// on a line enmime certainly takes as that level's boundary, and counts a
// part on every line enmime might take as a boundary. Where it errs, it
// errs towards counting too much.
type depthTracker struct {
	max    int
	parts  int
	maxPts int
	// stack holds the boundaries of the open multiparts, outermost first.
	stack []string
	// line is the start of the line being read, long is set once it
	// overflows maxLine; for a long line, tail keeps the last bytes seen
	// and later is set when a boundary was found past the start.
	line  []byte
	long  bool
	tail  []byte
	seam  []byte
	later bool
	// header is set while a header block is read; lines counts its
	// lines.
	header bool
	lines  int
	// inType is set while the current header field is a Content-Type,
	// ctype holding its value so far; pending holds the boundaries of
	// the block's Content-Type fields, opened when the block ends.
	inType  bool
	ctype   []byte
	pending []string
}

func newDepthTracker(max, maxParts int) *depthTracker {
	return &depthTracker{max: max, maxPts: maxParts, header: true}
}

// feed looks at p and reports, once the structure breaks a limit, which
// one: ErrTooDeep, ErrTooManyParts, ErrTooManyHeaderLines,
// ErrHeaderTooLong or ErrBoundaryTooLong, with the limit.
func (d *depthTracker) feed(p []byte) error {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		d.add(chunk)
		if i < 0 {
			return nil
		}
		p = p[i+1:]
		err := d.endLine(d.line, d.long, d.later)
		d.line, d.long, d.tail, d.later = d.line[:0], false, d.tail[:0], false
		if err != nil {
			return err
		}
	}
	return nil
}

// add takes more of the current line: its start is kept, the rest of a
// long line is only searched for boundaries.
func (d *depthTracker) add(chunk []byte) {
	if !d.long {
		if len(d.line)+len(chunk) <= maxLine {
			d.line = append(d.line, chunk...)
			return
		}
		n := maxLine - len(d.line)
		d.line = append(d.line, chunk[:n]...)
		chunk = chunk[n:]
		d.long = true
		d.tail = append(d.tail[:0], lastBytes(d.line, maxBoundary+2)...)
	}
	if d.later {
		return
	}
	// A boundary may straddle two chunks: search the seam, then the chunk.
	const k = maxBoundary + 2
	d.seam = append(append(d.seam[:0], d.tail...), chunk[:min(len(chunk), k)]...)
	d.later = d.anyBoundary(d.seam, false) || d.anyBoundary(chunk, false)
	if len(chunk) >= k {
		d.tail = append(d.tail[:0], chunk[len(chunk)-k:]...)
	} else {
		d.tail = append(d.tail[:0], lastBytes(d.seam, k)...)
	}
}

func lastBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// endLine takes one whole line, without its LF; long says only its start
// is in l, later that a boundary was found in the rest.
func (d *depthTracker) endLine(l []byte, long, later bool) error {
	maybe := later || d.anyBoundary(l, !long) || long && d.anyBoundary(d.tail, true)
	if i, final := d.certainBoundary(l); i >= 0 {
		if d.header {
			// The boundary ends the part, and so the header being read.
			if err := d.endHeader(); err != nil {
				return err
			}
		}
		if final {
			d.stack = d.stack[:i]
		} else {
			d.stack = d.stack[:i+1]
		}
		if !final || maybe {
			return d.startPart()
		}
		return nil
	}
	if !d.header {
		if maybe {
			return d.startPart()
		}
		return nil
	}
	if maybe {
		// enmime may start a part here, or read on in this header:
		// count the part and read on, so that a Content-Type is seen
		// either way.
		if d.parts++; d.parts > d.maxPts {
			return d.tooMany()
		}
	}
	return d.headerLine(l, long)
}

// certainBoundary finds the innermost level of which l is certainly a
// boundary to enmime: it starts with "--" and the boundary, then white
// space or the end of the line (a delimiter), or "--" (the close
// delimiter, final). enmime checks the start of every line against every
// open level, so such a line ends every level inside that one, and the
// close delimiter ends the level itself.
func (d *depthTracker) certainBoundary(l []byte) (level int, final bool) {
	for i := len(d.stack) - 1; i >= 0; i-- {
		b := d.stack[i]
		if len(l) < len(b)+2 || l[0] != '-' || l[1] != '-' || !bytes.HasPrefix(l[2:], []byte(b)) {
			continue
		}
		rest := l[2+len(b):]
		switch {
		case bytes.HasPrefix(rest, []byte("--")):
			return i, true
		case len(rest) == 0 || isSpace(rest[0]):
			return i, false
		}
	}
	return -1, false
}

// anyBoundary reports whether "--" and an open level's boundary appear
// anywhere in l followed by white space (or, when l ends the line, by its
// end): enmime takes such a line as the start of a part in some states
// (a preamble, the line after a boundary), so the tracker always does.
func (d *depthTracker) anyBoundary(l []byte, lineEnd bool) bool {
	for _, b := range d.stack {
		delim := "--" + b
		for s := l; ; {
			i := bytes.Index(s, []byte(delim))
			if i < 0 {
				break
			}
			s = s[i+len(delim):]
			if len(s) == 0 && lineEnd || len(s) > 0 && isSpace(s[0]) {
				return true
			}
			if len(s) == 0 {
				break
			}
		}
	}
	return false
}

// isSpace is unicode.IsSpace on one byte, as enmime's boundary reader
// applies it.
func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x85, 0xa0:
		return true
	}
	return false
}

func (d *depthTracker) tooMany() error {
	return fmt.Errorf("%w (more than %d)", ErrTooManyParts, d.maxPts)
}

func (d *depthTracker) startPart() error {
	if d.parts++; d.parts > d.maxPts {
		return d.tooMany()
	}
	d.header, d.lines, d.inType, d.pending = true, 0, false, d.pending[:0]
	return nil
}

// headerLine reads one header line as enmime's header reader does: lines
// starting with white space, and lines without a colon, continue the
// field before; lines starting with a colon, or whose name has a byte
// not allowed in one, are dropped; a field named with a space before its
// colon is repaired.
func (d *depthTracker) headerLine(l []byte, long bool) error {
	if d.lines++; d.lines > maxHeaderLines {
		return fmt.Errorf("%w (more than %d in one header block)", ErrTooManyHeaderLines, maxHeaderLines)
	}
	s := l
	if !long {
		s = bytes.TrimSuffix(s, []byte("\r"))
	}
	if len(s) == 0 {
		return d.endHeader()
	}
	colon := bytes.IndexByte(s, ':')
	switch {
	case s[0] == ' ' || s[0] == '\t' || s[0] == '\r':
		d.more(' ', trimSpace(s))
	case colon == 0:
	case colon > 0:
		if bytes.Contains(s[:colon+1], []byte(" :")) {
			s = bytes.Replace(s, []byte(" :"), []byte(":"), 1)
			colon = bytes.IndexByte(s, ':')
		}
		name := s[:colon]
		for _, c := range name {
			if c != ' ' && !headerNameByte(c) {
				return nil
			}
		}
		if err := d.endField(); err != nil {
			return err
		}
		if strings.EqualFold(strings.TrimSpace(string(name)), "content-type") {
			d.inType = true
			d.ctype = append(d.ctype[:0], trimSpace(s)[colon+1:]...)
		}
	default:
		d.more(' ', s)
	}
	if d.inType && (long || len(d.ctype) > maxLine) {
		return fmt.Errorf("%w (a Content-Type field over %d bytes)", ErrHeaderTooLong, maxLine)
	}
	return nil
}

// more continues the current field.
func (d *depthTracker) more(sep byte, s []byte) {
	if d.inType && len(d.ctype) <= maxLine {
		d.ctype = append(append(d.ctype, sep), s...)
	}
}

// endField ends the current field: a Content-Type with a boundary opens
// a level when the header ends.
func (d *depthTracker) endField() error {
	if !d.inType {
		return nil
	}
	d.inType = false
	v := bytes.TrimLeft(bytes.TrimRight(d.ctype, " \t\r\n"), " \t")
	_, params, _, err := mediatype.Parse(string(v))
	if err != nil || params["boundary"] == "" {
		return nil
	}
	if len(params["boundary"]) > maxBoundary {
		return fmt.Errorf("%w (over %d bytes)", ErrBoundaryTooLong, maxBoundary)
	}
	d.pending = append(d.pending, params["boundary"])
	if len(d.stack)+len(d.pending) > d.max {
		return fmt.Errorf("%w (more than %d levels)", ErrTooDeep, d.max)
	}
	return nil
}

func (d *depthTracker) endHeader() error {
	err := d.endField()
	d.stack = append(d.stack, d.pending...)
	d.header, d.lines, d.pending = false, 0, d.pending[:0]
	return err
}

// trimSpace trims ASCII white space as enmime's header reader does.
func trimSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}

// headerNameByte reports whether c may appear in a header field name to
// enmime: printable ASCII but the colon.
func headerNameByte(c byte) bool {
	return c > ' ' && c < 0x7f && c != ':'
}
