package email

import (
	"bytes"
	"errors"
	"mime"
	"strings"
)

// errTooDeep: multiparts nested deeper than the limit. Each level of
// nesting makes every byte below it slower to read, so a small message
// nested thousands deep would run the parser for hours.
var errTooDeep = errors.New("multiparts nested too deep")

// errTooMany: more MIME parts than the limit. Each part costs the parser
// a node and a header map, so hundreds of thousands of tiny parts would
// take far more memory than the message's size.
var errTooMany = errors.New("too many MIME parts")

// errHeader: a header block with more lines than maxHeaderLines. Each
// field costs the parser a map entry, far more than its bytes.
var errHeader = errors.New("header too long")

// maxHeaderLines is the most lines one header block may have; real mail
// stays under a few hundred even with long Received chains.
const maxHeaderLines = 5000

// maxLine is the longest line the depth tracker looks at; boundary lines
// and Content-Type headers are far shorter.
const maxLine = 2048

// depthTracker watches the bytes going to the MIME parser, follows the
// multipart boundaries in linear time, and fails the read once they nest
// deeper than max or make more than maxPts parts.
type depthTracker struct {
	max    int
	parts  int
	maxPts int
	line   []byte
	long   bool
	header bool
	ctype  []byte
	inCT   bool
	stack  []string
	// lines counts the lines of the header block being read.
	lines int
}

func newDepthTracker(max, maxParts int) *depthTracker {
	return &depthTracker{max: max, maxPts: maxParts, header: true}
}

// feed looks at p and reports errTooDeep once the nesting is too deep.
func (d *depthTracker) feed(p []byte) error {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if !d.long {
			if len(d.line)+len(chunk) > maxLine {
				d.long, d.line = true, d.line[:0]
			} else {
				d.line = append(d.line, chunk...)
			}
		}
		if i < 0 {
			return nil
		}
		p = p[i+1:]
		if !d.long {
			if err := d.endLine(bytes.TrimRight(d.line, "\r")); err != nil {
				return err
			}
		} else {
			// A long line ends a Content-Type capture and is no boundary.
			d.inCT = false
		}
		d.line, d.long = d.line[:0], false
	}
	return nil
}

func (d *depthTracker) endLine(l []byte) error {
	if d.header {
		if d.lines++; d.lines > maxHeaderLines {
			return errHeader
		}
		switch {
		case len(l) == 0:
			d.header, d.lines = false, 0
			return d.endHeader()
		case l[0] == ' ' || l[0] == '\t':
			if d.inCT && len(d.ctype) < maxLine {
				d.ctype = append(d.ctype, l...)
			}
		case len(l) > 13 && strings.EqualFold(string(l[:13]), "content-type:"):
			d.inCT = true
			d.ctype = append(d.ctype[:0], l[13:]...)
		default:
			d.inCT = false
		}
		return nil
	}
	if !bytes.HasPrefix(l, []byte("--")) || len(d.stack) == 0 {
		return nil
	}
	l = bytes.TrimRight(l, " \t")
	for i := len(d.stack) - 1; i >= 0; i-- {
		b := d.stack[i]
		switch string(l) {
		case "--" + b:
			// A new part of this multipart: its header follows.
			d.stack = d.stack[:i+1]
			d.header, d.inCT, d.ctype = true, false, d.ctype[:0]
			if d.parts++; d.parts > d.maxPts {
				return errTooMany
			}
			return nil
		case "--" + b + "--":
			d.stack = d.stack[:i]
			return nil
		}
	}
	return nil
}

func (d *depthTracker) endHeader() error {
	if !d.inCT && len(d.ctype) == 0 {
		return nil
	}
	mt, params, err := mime.ParseMediaType(strings.TrimSpace(string(d.ctype)))
	d.inCT, d.ctype = false, d.ctype[:0]
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return nil
	}
	d.stack = append(d.stack, params["boundary"])
	if len(d.stack) > d.max {
		return errTooDeep
	}
	return nil
}
