// Package mailparse reads raw inbound mail as SES stores it into a Mail
// that intake can use: MIME structure within limits, any charset, HTML-only
// mail, attachments, quoted replies stripped, automatic mail and delivery
// reports recognised. It is pure: it imports no AWS SDK, so the email
// channel, the local stack and the tests all read mail the same way.
package mailparse

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/inbucket/html2text"
	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"
)

// Limits bound what parsing keeps. Zero fields take the defaults.
type Limits struct {
	// MaxMessage is the largest raw message accepted (SES stops at 40 MB).
	MaxMessage int64
	// MaxAttachment is the largest attachment that is loaded and stored;
	// bigger ones are listed with their size but not loaded.
	MaxAttachment int64
	// MaxAttachments is how many attachments are listed at most.
	MaxAttachments int
	// MaxText is the most bytes of a text part that are decoded.
	MaxText int
	// MaxDepth is how deep multiparts may nest.
	MaxDepth int
	// MaxParts is how many MIME parts a message may have.
	MaxParts int
}

// Default limits.
const (
	DefaultMaxMessage     = 40 << 20
	DefaultMaxAttachment  = 10 << 20
	DefaultMaxAttachments = 50
	DefaultMaxText        = 1 << 20
	DefaultMaxDepth       = 12
	DefaultMaxParts       = 1000
	maxHeaderBytes        = 64 << 10
)

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	if l.MaxMessage <= 0 {
		l.MaxMessage = DefaultMaxMessage
	}
	if l.MaxAttachment <= 0 {
		l.MaxAttachment = DefaultMaxAttachment
	}
	if l.MaxAttachments <= 0 {
		l.MaxAttachments = DefaultMaxAttachments
	}
	if l.MaxText <= 0 {
		l.MaxText = DefaultMaxText
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultMaxParts
	}
	return l
}

// Errors Parse returns; callers check them with errors.Is.
var (
	// ErrTooLarge: the message is over Limits.MaxMessage.
	ErrTooLarge = errors.New("message too large")
	// ErrMalformed: the bytes are not a mail message Frontdesk can read.
	ErrMalformed = errors.New("malformed message")
)

// Address is a mailbox: a display name and an address.
type Address struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address"`
}

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

// Mail is a parsed message, normalized for intake.
type Mail struct {
	MessageID  string    `json:"messageId,omitempty"`
	InReplyTo  []string  `json:"inReplyTo,omitempty"`
	References []string  `json:"references,omitempty"`
	From       Address   `json:"from"`
	ReplyTo    []Address `json:"replyTo,omitempty"`
	// To lists every recipient address on To, Cc and Delivered-To: a reply
	// token in our Reply-To address comes back on one of them.
	To      []string  `json:"to,omitempty"`
	Subject string    `json:"subject"`
	Date    time.Time `json:"date,omitzero"`
	// Body is what staff read: the new text, quoted replies stripped.
	Body string `json:"body"`
	// Text is the whole text, quotes included.
	Text string `json:"text"`
	// FromHTML is set when the text was made from the HTML part.
	FromHTML bool   `json:"fromHtml,omitempty"`
	Charset  string `json:"charset,omitempty"`
	// Truncated is set when a text part was over Limits.MaxText.
	Truncated bool `json:"truncated,omitempty"`
	// Automatic is set for mail no person wrote; AutoReason says why.
	Automatic  bool   `json:"automatic,omitempty"`
	AutoReason string `json:"autoReason,omitempty"`
	// AutoReplySubject is set when the subject starts the way
	// autoresponders start theirs ("Automatic reply:", "自动回复:" …). A
	// person may write that too: only the channel, which knows what mail
	// it sent, can tell an answer to its own mail.
	AutoReplySubject bool `json:"autoReplySubject,omitempty"`
	// ContentHash identifies the content (sender, subject, date, text,
	// attachments): the same mail delivered twice has the same hash
	// whatever the servers added on the way.
	ContentHash string `json:"contentHash"`
	// Notes says, for staff, what parsing did to the mail that they
	// cannot see in it (a text part kept as an attachment).
	Notes       []string     `json:"notes,omitempty"`
	Bounce      *Bounce      `json:"bounce,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	// Omitted counts attachments past Limits.MaxAttachments.
	Omitted  int    `json:"omitted,omitempty"`
	ListID   string `json:"listId,omitempty"`
	Language string `json:"language"`
}

// limitReader fails with ErrTooLarge past n bytes, instead of stopping
// silently like io.LimitReader, and remembers a read error so that a
// broken connection is not mistaken for a broken message.
type limitReader struct {
	r     io.Reader
	n     int64
	err   error
	depth *depthTracker
	// shape is set when the structure broke a limit (ErrTooDeep and the
	// rest of depthTracker's errors).
	shape error
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	if l.shape != nil {
		return 0, l.shape
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, ErrTooLarge
	}
	if l.shape = l.depth.feed(p[:n]); l.shape != nil {
		return 0, l.shape
	}
	if err != nil && err != io.EOF && l.err == nil {
		l.err = err
	}
	return n, err
}

var parser = enmime.NewParser(
	// Transfer and charset decoding are done here, by Frontdesk's charset
	// rules, and only for what is kept.
	enmime.RawContent(true),
	enmime.SkipMalformedParts(true),
	enmime.MaxStoredPartErrors(20),
	enmime.MultipartWOBoundaryAsSinglePart(true),
)

// Parse reads one raw message. It never loads more than lim allows into
// the result: oversize attachments are measured, not kept.
func Parse(r io.Reader, lim Limits) (*Mail, error) {
	lim = lim.WithDefaults()
	lr := &limitReader{r: r, n: lim.MaxMessage, depth: newDepthTracker(lim.MaxDepth, lim.MaxParts)}
	root, err := parser.ReadParts(lr)
	switch {
	case lr.n < 0 || errors.Is(err, ErrTooLarge):
		return nil, fmt.Errorf("parse mail: over %d bytes: %w", lim.MaxMessage, ErrTooLarge)
	case lr.shape != nil:
		return nil, fmt.Errorf("parse mail: %w: %w", ErrMalformed, lr.shape)
	case lr.err != nil:
		return nil, fmt.Errorf("read mail: %w", lr.err)
	case err != nil:
		return nil, fmt.Errorf("parse mail: %w: %v", ErrMalformed, err)
	}
	m := &Mail{}
	h := root.Header
	if len(h) == 0 {
		return nil, fmt.Errorf("parse mail: %w: no header", ErrMalformed)
	}
	m.readHeader(h)
	w := walker{m: m, lim: lim}
	if isDeliveryReport(root) {
		w.dsn = root
	}
	w.walk(root)
	// Some clients send an empty text part beside the real HTML one.
	if strings.TrimSpace(w.text) == "" && w.html != "" {
		w.text = htmlText(w.html)
		m.FromHTML = true
	}
	if m.Bounce != nil && m.Bounce.OriginalMessageID == "" && len(m.InReplyTo) > 0 {
		m.Bounce.OriginalMessageID = m.InReplyTo[0]
	}
	m.Text = strings.TrimSpace(normalizeNewlines(w.text))
	m.Body = StripQuoted(m.Text)
	m.Language = language(m.Subject + "\n" + m.Body)
	if m.Text == "" && len(m.Notes) > 0 {
		// Staff would see an empty message otherwise.
		m.Text = "[" + strings.Join(m.Notes, "]\n[") + "]"
		m.Body = m.Text
	}
	m.Automatic, m.AutoReason = automatic(h, m, signs{report: w.report, feedback: w.feedback})
	m.AutoReplySubject = autoReplySubject(m.Subject)
	m.ContentHash = contentHash(m)
	if m.From.Address == "" && m.Bounce == nil {
		return nil, fmt.Errorf("parse mail: %w: no sender address", ErrMalformed)
	}
	return m, nil
}

// contentHash hashes what a person sees of m; see Mail.ContentHash.
func contentHash(m *Mail) string {
	h := sha256.New()
	field := func(s string) {
		fmt.Fprintf(h, "%d:%s\n", len(s), s)
	}
	field(strings.ToLower(m.From.Address))
	field(m.Subject)
	if !m.Date.IsZero() {
		field(m.Date.Format(time.RFC3339))
	}
	field(m.Text)
	for _, a := range m.Attachments {
		field(a.Name + "\x00" + a.Type + "\x00" + strconv.FormatInt(a.Size, 10) + "\x00" + a.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (m *Mail) readHeader(h textproto.MIMEHeader) {
	m.MessageID = firstID(h.Get("Message-Id"))
	m.InReplyTo = ids(h.Get("In-Reply-To"))
	m.References = ids(strings.Join(h.Values("References"), " "))
	if from := addresses(h.Get("From")); len(from) > 0 {
		m.From = from[0]
	}
	m.ReplyTo = addresses(h.Get("Reply-To"))
	seen := map[string]bool{}
	for _, k := range []string{"To", "Cc", "Delivered-To", "X-Original-To"} {
		for _, v := range h.Values(k) {
			for _, a := range addresses(v) {
				if !seen[a.Address] {
					seen[a.Address] = true
					m.To = append(m.To, a.Address)
				}
			}
		}
	}
	m.Subject = decodeHeader(h.Get("Subject"))
	if d, err := mail.ParseDate(h.Get("Date")); err == nil {
		m.Date = d.UTC()
	}
	m.ListID = decodeHeader(h.Get("List-Id"))
}

func addresses(v string) []Address {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	list, err := enmime.ParseAddressList(v)
	if err != nil {
		// A bare address that the strict parser refuses (unquoted dots in
		// the name, say) is still worth keeping.
		if i, j := strings.LastIndexByte(v, '<'), strings.LastIndexByte(v, '>'); i >= 0 && j > i {
			list = []*mail.Address{{Address: strings.TrimSpace(v[i+1 : j])}}
		} else {
			return nil
		}
	}
	out := make([]Address, 0, len(list))
	for _, a := range list {
		if a == nil || a.Address == "" {
			continue
		}
		out = append(out, Address{Name: decodeHeader(a.Name), Address: a.Address})
	}
	return out
}

// ids returns the message IDs in a header, without angle brackets.
func ids(v string) []string {
	var out []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			break
		}
		if id := strings.TrimSpace(v[i+1 : i+j]); id != "" && len(id) <= 998 {
			out = append(out, id)
		}
		v = v[i+j+1:]
	}
	if len(out) == 0 {
		if id := strings.TrimSpace(v); id != "" && !strings.ContainsAny(id, " \t") && len(id) <= 998 {
			out = append(out, id)
		}
	}
	return out
}

func firstID(v string) string {
	if l := ids(v); len(l) > 0 {
		return l[0]
	}
	return ""
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

// reportType is the report-type of a multipart/report, lower case.
func reportType(p *enmime.Part) string {
	_, params, _, err := mediatype.Parse(p.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(params["report-type"]))
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

// transferDecode undoes the transfer encoding of p, keeping at most max
// decoded bytes.
func transferDecode(p *enmime.Part, max int) ([]byte, bool) {
	var r io.Reader = bytes.NewReader(p.Content)
	switch strings.ToLower(strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding"))) {
	case "base64":
		r = newB64Reader(r)
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	}
	out, _ := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if len(out) > max {
		return out[:max], true
	}
	return out, false
}

// b64Reader decodes base64 as mail clients do: bytes outside the
// alphabet (line breaks, stray spaces) are skipped, a last group without
// its padding still gives its bytes, and padding ends a group, so pieces
// encoded one after the other decode one after the other.
type b64Reader struct {
	r     *bufio.Reader
	group [4]byte
	k     int
	out   []byte
	eof   bool
}

func newB64Reader(r io.Reader) *b64Reader {
	return &b64Reader{r: bufio.NewReader(r)}
}

func (d *b64Reader) Read(p []byte) (int, error) {
	for len(d.out) == 0 && !d.eof {
		b, err := d.r.ReadByte()
		if err != nil {
			d.eof = true
			d.flush()
			break
		}
		switch b64Alphabet[b] {
		case 1:
			d.group[d.k] = b64Value[b]
			if d.k++; d.k == 4 {
				d.flush()
			}
		case 2:
			d.flush()
		}
	}
	if len(d.out) == 0 {
		return 0, io.EOF
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n, nil
}

// flush decodes the group read so far: four characters make three bytes,
// three make two, two make one; one alone holds no whole byte.
func (d *b64Reader) flush() {
	g := d.group
	v := uint32(g[0])<<18 | uint32(g[1])<<12 | uint32(g[2])<<6 | uint32(g[3])
	b := [3]byte{byte(v >> 16), byte(v >> 8), byte(v)}
	d.out = append(d.out[:0], b[:b64Bytes(d.k)]...)
	d.k, d.group = 0, [4]byte{}
}

// b64Bytes is how many bytes a group of k characters holds.
func b64Bytes(k int) int {
	return max(k-1, 0)
}

// b64Alphabet marks the bytes of the base64 alphabet (1) and padding (2).
var b64Alphabet = func() (t [256]byte) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		t[c] = 1
	}
	t['='] = 2
	return t
}()

// b64Value is the value of each base64 alphabet byte.
var b64Value = func() (t [256]byte) {
	for i, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		t[c] = byte(i)
	}
	return t
}()

// base64Size is the decoded size of base64 content, counted without
// decoding it, as b64Reader decodes it.
func base64Size(raw []byte) int64 {
	var n int64
	k := 0
	for _, b := range raw {
		switch b64Alphabet[b] {
		case 1:
			if k++; k == 4 {
				n += 3
				k = 0
			}
		case 2:
			n += int64(b64Bytes(k))
			k = 0
		}
	}
	return n + int64(b64Bytes(k))
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

func htmlText(html string) string {
	s, err := html2text.FromString(html, html2text.Options{})
	if err != nil {
		return ""
	}
	return s
}

func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return s
}

// language tells Chinese text from the rest: "zh" when a good share of
// the letters are Han characters, otherwise "en".
func language(s string) string {
	han, letters := 0, 0
	for i, r := range s {
		if i > 4096 {
			break
		}
		switch {
		case r >= 0x4e00 && r <= 0x9fff, r >= 0x3400 && r <= 0x4dbf:
			han++
			letters++
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			letters++
		}
	}
	if han > 0 && han*5 >= letters {
		return "zh"
	}
	return "en"
}

// truncateRunes keeps at most n characters of s.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
