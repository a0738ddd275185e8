// Package mailparse reads raw inbound mail as SES stores it into a Mail
// that intake can use: MIME structure within limits, any charset, HTML-only
// mail, attachments, quoted replies stripped, automatic mail and delivery
// reports recognised. It is pure: it imports no AWS SDK, so the email
// channel, the local stack and the tests all read mail the same way.
package mailparse

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/inbucket/html2text"
	"github.com/jhillyerd/enmime/v2"
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
		// Raw bytes that are not UTF-8 make no address anyone can write
		// back to.
		if a == nil || a.Address == "" || !utf8.ValidString(a.Address) {
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
