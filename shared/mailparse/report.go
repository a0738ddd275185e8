package mailparse

import (
	"bufio"
	"bytes"
	"net/textproto"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"
)

// Recipient is one recipient line of a delivery report.
type Recipient struct {
	Address string `json:"address"`
	Action  string `json:"action"`
	Status  string `json:"status"`
	// Diagnostic is the remote server's reply (Diagnostic-Code), cut to
	// maxDiagnostic characters.
	Diagnostic string `json:"diagnostic,omitempty"`
}

// Bounds on what is taken from one delivery report: the recipients it
// lists, and the length of each field of one.
const (
	maxBounceRecipients = 10
	maxAddress          = 254
	maxAction           = 20
	maxDiagnostic       = 300
)

// statusCode is an RFC 3463 status code: class, subject, detail.
var statusCode = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}$`)

// Permanent reports a permanent failure: action failed with a 5.x.x
// status.
func (r Recipient) Permanent() bool {
	return strings.EqualFold(r.Action, "failed") && strings.HasPrefix(r.Status, "5.") && statusCode.MatchString(r.Status)
}

// Bounce is what a delivery report (RFC 3464) says: a message that is
// multipart/report with report-type delivery-status, whose own parts
// carry the per-recipient status and the returned headers.
type Bounce struct {
	// OriginalMessageID is the Message-ID of the mail that bounced, from
	// the returned headers (or the report's In-Reply-To).
	OriginalMessageID string      `json:"originalMessageId,omitempty"`
	Recipients        []Recipient `json:"recipients"`
}

// isDeliveryReport reports whether the message is a delivery status
// notification (RFC 3464): multipart/report with report-type
// delivery-status (or global-delivery-status, RFC 6533).
func isDeliveryReport(root *enmime.Part) bool {
	if !strings.EqualFold(root.ContentType, "multipart/report") {
		return false
	}
	switch reportType(root) {
	case "delivery-status", "global-delivery-status":
		return true
	}
	return false
}

// reportType is the report-type of a multipart/report, lower case.
func reportType(p *enmime.Part) string {
	_, params, _, err := mediatype.Parse(p.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(params["report-type"]))
}

// deliveryStatus reads the per-recipient fields of an RFC 3464 report.
func (w *walker) deliveryStatus(p *enmime.Part) {
	raw, _ := transferDecode(p, maxHeaderBytes)
	if w.m.Bounce == nil {
		w.m.Bounce = &Bounce{}
	}
	// Blocks of header-style fields separated by blank lines: the first
	// is per message, the rest per recipient.
	blocks := strings.Split(normalizeNewlines(string(raw)), "\n\n")
	for _, b := range blocks {
		if len(w.m.Bounce.Recipients) == maxBounceRecipients {
			// A report about a message Frontdesk sent names its one
			// recipient; a long list is no report about its mail.
			break
		}
		tr := textproto.NewReader(bufio.NewReader(strings.NewReader(strings.TrimSpace(b) + "\n\n")))
		h, err := tr.ReadMIMEHeader()
		if err != nil && len(h) == 0 {
			continue
		}
		rcpt := h.Get("Final-Recipient")
		if rcpt == "" {
			rcpt = h.Get("Original-Recipient")
		}
		if rcpt == "" {
			continue
		}
		if i := strings.IndexByte(rcpt, ';'); i >= 0 {
			rcpt = rcpt[i+1:]
		}
		addr := strings.Trim(strings.TrimSpace(rcpt), "<>")
		if len(addr) > maxAddress || !utf8.ValidString(addr) {
			continue
		}
		status := strings.TrimSpace(h.Get("Status"))
		if i := strings.IndexAny(status, " \t("); i >= 0 {
			status = status[:i]
		}
		if !statusCode.MatchString(status) {
			status = ""
		}
		w.m.Bounce.Recipients = append(w.m.Bounce.Recipients, Recipient{
			Address:    addr,
			Action:     reportField(strings.ToLower(h.Get("Action")), maxAction),
			Status:     status,
			Diagnostic: reportField(h.Get("Diagnostic-Code"), maxDiagnostic),
		})
	}
}

// reportField makes a field of a delivery report fit to keep: valid
// UTF-8, at most n characters.
func reportField(s string, n int) string {
	return truncateRunes(strings.ToValidUTF8(strings.TrimSpace(s), "\uFFFD"), n)
}

// returnedHeaders finds the Message-ID of the bounced mail in the
// returned headers or message.
func (w *walker) returnedHeaders(p *enmime.Part) {
	raw, _ := transferDecode(p, maxHeaderBytes)
	tr := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(raw, "\r\n\r\n"...))))
	h, _ := tr.ReadMIMEHeader()
	if w.m.Bounce == nil {
		w.m.Bounce = &Bounce{}
	}
	if id := firstID(h.Get("Message-Id")); id != "" && w.m.Bounce.OriginalMessageID == "" {
		w.m.Bounce.OriginalMessageID = id
	}
}
