package mailparse

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// Attachment is a file that came with a mail. Data holds the decoded
// bytes unless the file was over the size limit (Oversize).
type Attachment struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Size      int64  `json:"size"`
	Inline    bool   `json:"inline,omitempty"`
	ContentID string `json:"contentId,omitempty"`
	Oversize  bool   `json:"oversize,omitempty"`
	SHA256    string `json:"sha256,omitempty"`
	Data      []byte `json:"-"`
}

type walker struct {
	m    *Mail
	lim  Limits
	text string
	html string
	// report is set when any part is a multipart/report; dsn is the
	// message itself when it is a delivery report, whose own parts
	// alone are read as one.
	report bool
	dsn    *enmime.Part
	// feedback is set when any part is an abuse report (RFC 5965).
	feedback bool
}

func (w *walker) walk(p *enmime.Part) {
	for ; p != nil; p = p.NextSibling {
		ct := strings.ToLower(p.ContentType)
		// Only the report's own parts are its status and returned
		// headers: the same types anywhere else are attachments.
		inReport := w.dsn != nil && p.Parent == w.dsn
		switch {
		case strings.HasPrefix(ct, "multipart/"):
			if ct == "multipart/report" {
				w.report = true
				w.feedback = w.feedback || reportType(p) == "feedback-report"
			}
			w.walk(p.FirstChild)
		case inReport && (ct == "message/delivery-status" || ct == "message/global-delivery-status"):
			w.deliveryStatus(p)
		case inReport && (ct == "text/rfc822-headers" || ct == "message/rfc822" || ct == "message/global-headers"):
			w.returnedHeaders(p)
		case (ct == "text/plain" || ct == "" || ct == "text/html") && !isAttachment(p):
			raw, cut := transferDecode(p, w.lim.MaxText)
			label := declaredCharset(p)
			if kind, ok := binaryContent(raw, label); ok {
				a := w.attachment(p, kind)
				w.m.Notes = append(w.m.Notes, fmt.Sprintf("a text part held binary data (%s): kept as the attachment %q, not as text", kind, a))
				continue
			}
			s := w.decodeText(label, raw, cut)
			w.m.Truncated = w.m.Truncated || cut
			if ct == "text/html" {
				if w.html == "" {
					w.html = s
				}
			} else if w.text == "" {
				w.text = s
			}
		default:
			if ct == "message/feedback-report" {
				w.feedback = true
			}
			w.attachment(p, "")
		}
	}
}

func isAttachment(p *enmime.Part) bool {
	d := strings.ToLower(p.Disposition)
	return d == "attachment" || fileName(p) != ""
}

// decodeText decodes the transfer-decoded bytes of a text part, labelled
// label, cut at the size limit when cut is set.
func (w *walker) decodeText(label string, raw []byte, cut bool) string {
	if cut {
		raw = trimCutRune(raw)
	}
	s, cs := decodeText(label, raw)
	if w.m.Charset == "" {
		w.m.Charset = cs
	}
	return s
}

// declaredCharset is the charset p declares or, when it declares none,
// the one the nearest enclosing part declares: some clients put it on
// the multipart alone.
func declaredCharset(p *enmime.Part) string {
	for q := p; q != nil; q = q.Parent {
		if cs := strings.TrimSpace(q.Charset); cs != "" {
			return cs
		}
	}
	return ""
}

// binarySample is how much of a text part is looked at to tell binary
// data from text.
const binarySample = 8 << 10

// binaryContent reports whether the decoded bytes of a text part are
// binary data (an image sent as text/plain, say), and what they look
// like. Text in UTF-16 or UTF-32 has NUL bytes and is text all the same.
func binaryContent(b []byte, label string) (string, bool) {
	if l := strings.ToLower(label); strings.Contains(l, "utf-16") || strings.Contains(l, "utf-32") || strings.Contains(l, "ucs-") || len(b) == 0 {
		return "", false
	}
	sample := b[:min(len(b), binarySample)]
	kind, _, _ := strings.Cut(http.DetectContentType(sample), ";")
	if !strings.HasPrefix(kind, "text/") {
		return kind, true
	}
	ctl := 0
	for _, c := range sample {
		// Control bytes no text has; ESC is ISO-2022's shift.
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b || c == 0x7f {
			ctl++
		}
	}
	if ctl*10 > len(sample) {
		return "application/octet-stream", true
	}
	return "", false
}

func fileName(p *enmime.Part) string {
	for _, h := range []struct{ header, param string }{{"Content-Disposition", "filename"}, {"Content-Type", "name"}} {
		if v := p.Header.Get(h.header); v != "" {
			if _, params, err := mime.ParseMediaType(v); err == nil && params[h.param] != "" {
				return cleanName(decodeHeader(params[h.param]))
			}
		}
	}
	return cleanName(decodeHeader(p.FileName))
}

// cleanName keeps the last path element of a file name and drops
// control characters.
func cleanName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len([]rune(s)) > 200 {
		s = string([]rune(s)[:200])
	}
	return s
}

// attachment lists p as an attachment, of type typ when that is set,
// and returns its name ("" when it is over the count limit).
func (w *walker) attachment(p *enmime.Part, typ string) string {
	if len(w.m.Attachments) >= w.lim.MaxAttachments {
		w.m.Omitted++
		return ""
	}
	name := fileName(p)
	if typ == "" {
		typ = strings.ToLower(p.ContentType)
	} else if name == "" {
		// A text part kept as an attachment: its data is the body.
		name = "body"
		if exts, _ := mime.ExtensionsByType(typ); len(exts) > 0 {
			name += exts[0]
		}
	}
	a := Attachment{
		Name:      name,
		Type:      typ,
		Inline:    strings.EqualFold(p.Disposition, "inline"),
		ContentID: p.ContentID,
	}
	if a.Type == "" {
		a.Type = "application/octet-stream"
	}
	if a.Name == "" {
		a.Name = "attachment"
		if exts, _ := mime.ExtensionsByType(a.Type); len(exts) > 0 {
			a.Name += exts[0]
		} else if a.Type == "message/rfc822" {
			a.Name += ".eml"
		}
	}
	cte := strings.ToLower(strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding")))
	if cte == "base64" {
		a.Size = base64Size(p.Content)
	} else {
		a.Size = int64(len(p.Content))
	}
	if a.Size > w.lim.MaxAttachment {
		a.Oversize = true
	} else {
		a.Data, _ = transferDecode(p, int(w.lim.MaxAttachment))
		a.Size = int64(len(a.Data))
		sum := sha256.Sum256(a.Data)
		a.SHA256 = hex.EncodeToString(sum[:])
	}
	// The raw bytes are not needed any more: let them go before the next
	// part is read.
	p.Content = nil
	w.m.Attachments = append(w.m.Attachments, a)
	return a.Name
}
