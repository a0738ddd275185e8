package outbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"sort"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// RawSender sends a complete MIME message; *ses.Mailer is one.
type RawSender interface {
	SendRaw(ctx context.Context, from string, to []string, raw []byte) (string, error)
}

// SESMailer is the MailSender over SES: it builds the MIME message with
// enmime and sends it raw, so threading and Auto-Submitted headers go out
// as written.
type SESMailer struct {
	Raw RawSender
}

var _ MailSender = (*SESMailer)(nil)

// SendMail builds m and sends it, returning the provider's message ID.
func (s *SESMailer) SendMail(ctx context.Context, m Mail) (string, error) {
	raw, err := BuildMail(m)
	if err != nil {
		return "", err
	}
	from, _ := mail.ParseAddress(m.From)
	id, err := s.Raw.SendRaw(ctx, from.Address, []string{m.To}, raw)
	if err != nil {
		return "", fmt.Errorf("send mail: %w", err)
	}
	return id, nil
}

// headerSafe rejects values that would start a new header.
func headerSafe(v string) bool { return !strings.ContainsAny(v, "\r\n") }

// BuildMail renders m as a MIME message: plain UTF-8 text, From, To,
// Subject, Date, Message-ID, In-Reply-To and References, then the extra
// headers in name order.
func BuildMail(m Mail) ([]byte, error) {
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("mail sender %q: %w", m.From, err)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("mail recipient: %w", err)
	}
	b := enmime.Builder().
		From(from.Name, from.Address).
		To(to.Name, to.Address).
		Subject(m.Subject).
		Text([]byte(m.Text))
	if !m.Date.IsZero() {
		b = b.Date(m.Date)
	}
	angle := func(id string) string { return "<" + strings.Trim(id, "<> ") + ">" }
	if m.MessageID != "" {
		b = b.Header("Message-ID", angle(m.MessageID))
	}
	if m.InReplyTo != "" {
		b = b.Header("In-Reply-To", angle(m.InReplyTo))
	}
	refs := m.References
	if len(refs) == 0 && m.InReplyTo != "" {
		refs = []string{m.InReplyTo}
	}
	if len(refs) > 0 {
		ids := make([]string, len(refs))
		for i, r := range refs {
			ids[i] = angle(r)
		}
		b = b.Header("References", strings.Join(ids, " "))
	}
	names := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		b = b.Header(k, m.Headers[k])
	}
	for _, v := range append([]string{m.Subject, m.MessageID, m.InReplyTo}, append(refs, names...)...) {
		if !headerSafe(v) {
			return nil, errors.New("build mail: a header holds a line break")
		}
	}
	for _, v := range m.Headers {
		if !headerSafe(v) {
			return nil, errors.New("build mail: a header holds a line break")
		}
	}
	root, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("build mail: %w", err)
	}
	var buf bytes.Buffer
	if err := root.Encode(&buf); err != nil {
		return nil, fmt.Errorf("encode mail: %w", err)
	}
	return buf.Bytes(), nil
}
