package email

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Objects is where the raw mail is read from and attachments go (S3).
type Objects interface {
	// Open streams an object and returns its size (-1 when unknown); a
	// missing object is ticket.ErrNotFound.
	Open(ctx context.Context, bucket, key string) (io.ReadCloser, int64, error)
	Put(ctx context.Context, bucket, key, contentType string, data []byte) error
}

// Mailer sends a raw MIME message and returns the provider's message ID
// (SES v2).
type Mailer interface {
	SendRaw(ctx context.Context, from string, to []string, raw []byte) (string, error)
}

// Receiver turns an inbound contact into a ticket (intake.Service).
type Receiver interface {
	Receive(ctx context.Context, in intake.Inbound) (intake.Receipt, error)
}

// Tickets finds the ticket a mail belongs to and records what was sent.
type Tickets interface {
	Ticket(ctx context.Context, id ticket.ID) (*ticket.Ticket, error)
	ByRef(ctx context.Context, ref ticket.Ref) (ticket.ID, error)
	BySent(ctx context.Context, ch ticket.Channel, providerID string) (ticket.ID, error)
}

// Recorder writes the acknowledgement onto its ticket.
type Recorder interface {
	Apply(ctx context.Context, c ticket.Change) error
	IndexSent(ctx context.Context, ch ticket.Channel, providerID string, id ticket.ID, messageID string) error
}

// Bounces remembers addresses mail to which failed permanently.
type Bounces interface {
	MarkUndeliverable(ctx context.Context, addr, status string, at time.Time) error
	Undeliverable(ctx context.Context, addr string) (bool, error)
}

// AckClaims hands out acknowledgements: one per ticket, a few per sender
// an hour.
type AckClaims interface {
	// ClaimMailAck reports false when the ticket had its acknowledgement and
	// fails with a *ticket.LimitError when the sender had enough.
	ClaimMailAck(ctx context.Context, id ticket.ID, sender string, max int, window time.Duration) (bool, error)
	ReleaseMailAck(ctx context.Context, id ticket.ID) error
}

// Aliases makes one source of the same mail delivered twice under two
// provider IDs.
type Aliases interface {
	ClaimAlias(ctx context.Context, ch ticket.Channel, key, sourceID string) (string, error)
}

// Quarantine keeps what could not be made into a ticket.
type Quarantine interface {
	Quarantine(ctx context.Context, q ticket.Quarantined) error
}

// Handler consumes the SQS queue fed by the SES receipt rule's S3 action
// (SES → S3 → SNS → SQS).
type Handler struct {
	// Objects reads the raw mail and stores attachments.
	Objects Objects
	// Intake makes tickets.
	Intake Receiver
	// Tickets, Recorder, Bounces, AckClaims, Aliases and Quarantine are
	// the ticket table (dynamo.Store).
	Tickets    Tickets
	Recorder   Recorder
	Bounces    Bounces
	AckClaims  AckClaims
	Aliases    Aliases
	Quarantine Quarantine
	// Ack sends acknowledgements; nil sends none.
	Ack *Acknowledger
	// Signer makes and checks reply tokens.
	Signer Signer
	// Limits bound what a mail may be (the zero value takes defaults).
	Limits Limits
	// AttachmentPrefix is the key prefix attachments are stored under, in
	// the bucket the mail came in.
	AttachmentPrefix string
	// QuarantineAfter is the receive count at which a delivery that keeps
	// failing is quarantined instead of retried (the queue's DLQ takes it
	// one receive later). Zero means 4.
	QuarantineAfter int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Notification is what SES publishes for a mail its receipt rule stored in
// S3: the mail's headers and the receipt, verdicts and S3 action included.
type Notification struct {
	NotificationType string `json:"notificationType"`
	events.SimpleEmailService
	// Content is only set by SNS actions; Frontdesk's rule uses S3.
	Content string `json:"content,omitempty"`
}

// Size limits of what is kept on a message (DynamoDB items stop at
// 400 KB); the raw mail stays in S3.
const (
	maxBodyBytes = 100 << 10
	maxFullBytes = 200 << 10
	maxMeta      = 1000
)

// Errors that quarantine a delivery rather than retry it.
var (
	errVerdict = errors.New("rejected by SES verdict")
	errUnknown = errors.New("delivery report for a message Frontdesk did not send")
)

// permanentError marks a failure that a retry cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return permanentError{err} }

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

// Handle processes one batch and reports the records to retry. A record
// that can never succeed is quarantined and not retried.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, rec := range ev.Records {
		if err := h.record(ctx, rec); err != nil {
			slog.ErrorContext(ctx, "email delivery failed", "sqsMessageId", rec.MessageId, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp, nil
}

func (h *Handler) record(ctx context.Context, rec events.SQSMessage) error {
	n, err := DecodeNotification([]byte(rec.Body))
	if err != nil {
		return h.quarantine(ctx, ticket.Quarantined{ID: "sqs-" + rec.MessageId, Reason: err.Error(), Payload: []byte(rec.Body)})
	}
	if n == nil {
		// SES's set-up notification when the topic is first used.
		slog.InfoContext(ctx, "email notification ignored", "sqsMessageId", rec.MessageId)
		return nil
	}
	err = h.Process(ctx, n, false)
	if err == nil {
		return nil
	}
	var perm permanentError
	count, _ := strconv.Atoi(rec.Attributes["ApproximateReceiveCount"])
	after := h.QuarantineAfter
	if after <= 0 {
		after = 4
	}
	if !errors.As(err, &perm) && count < after {
		return err
	}
	payload, _ := json.Marshal(n)
	return h.quarantine(ctx, ticket.Quarantined{
		ID: n.Mail.MessageID, Source: n.Mail.MessageID, Reason: err.Error(),
		Payload: payload, ObjectKey: objectURL(n),
	})
}

func objectURL(n *Notification) string {
	if n.Receipt.Action.BucketName == "" {
		return ""
	}
	return "s3://" + n.Receipt.Action.BucketName + "/" + n.Receipt.Action.ObjectKey
}

func (h *Handler) quarantine(ctx context.Context, q ticket.Quarantined) error {
	q.Channel = ticket.Email
	q.At = h.now()
	if err := h.Quarantine.Quarantine(ctx, q); err != nil {
		return fmt.Errorf("quarantine %s: %w", q.ID, err)
	}
	slog.WarnContext(ctx, "email quarantined", "id", q.ID, "reason", q.Reason)
	return nil
}

// maxNotification bounds a notification body (SNS stops at 256 KiB).
const maxNotification = 256 << 10

// DecodeNotification reads an SQS body: the SNS envelope around the SES
// notification, or the bare notification when the subscription delivers
// raw messages. It returns nil for SES's set-up notification.
func DecodeNotification(body []byte) (*Notification, error) {
	if len(body) > maxNotification {
		return nil, fmt.Errorf("decode notification: %d bytes, over %d", len(body), maxNotification)
	}
	var env events.SNSEntity
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("decode notification: %w", err)
	}
	msg := body
	if env.Type != "" || env.Message != "" {
		msg = []byte(env.Message)
	}
	var n Notification
	if err := json.Unmarshal(msg, &n); err != nil {
		return nil, fmt.Errorf("decode SES notification: %w", err)
	}
	switch {
	case n.NotificationType == "AMAZON_SES_SETUP_NOTIFICATION":
		return nil, nil
	case n.NotificationType != "Received":
		return nil, fmt.Errorf("decode SES notification: type %q, want Received", n.NotificationType)
	case n.Mail.MessageID == "" || strings.ContainsAny(n.Mail.MessageID, "/#\\") || len(n.Mail.MessageID) > 200:
		return nil, fmt.Errorf("decode SES notification: bad message ID %q", n.Mail.MessageID)
	case !strings.EqualFold(n.Receipt.Action.Type, "S3") || n.Receipt.Action.BucketName == "" || n.Receipt.Action.ObjectKey == "":
		return nil, fmt.Errorf("decode SES notification: action %q has no S3 object", n.Receipt.Action.Type)
	}
	return &n, nil
}

// Process turns one stored mail into a ticket or a message on one, then
// acknowledges it when it should. Errors a retry cannot fix are marked
// permanent. Replays skip the SES verdicts: someone decided to let the
// mail in.
func (h *Handler) Process(ctx context.Context, n *Notification, replay bool) error {
	sesID := n.Mail.MessageID
	if !replay {
		for _, v := range []struct{ name, status string }{{"spam", n.Receipt.SpamVerdict.Status}, {"virus", n.Receipt.VirusVerdict.Status}} {
			if strings.EqualFold(v.status, "FAIL") {
				return permanent(fmt.Errorf("mail %s: %s verdict FAIL: %w", sesID, v.name, errVerdict))
			}
		}
	}
	m, err := h.fetch(ctx, n)
	if err != nil {
		return err
	}
	// The envelope recipients carry the reply token even when the
	// headers do not show it (Bcc, a list expanding the address).
	for _, r := range n.Receipt.Recipients {
		if !slices.Contains(m.To, r) {
			m.To = append(m.To, r)
		}
	}
	source := sesID
	if m.MessageID != "" && m.From.Address != "" {
		// The same mail can reach us as two SES messages (two recipients,
		// two rules); its Message-ID from the same sender makes them one.
		if source, err = h.Aliases.ClaimAlias(ctx, ticket.Email, strings.ToLower(m.From.Address)+"\n"+m.MessageID, sesID); err != nil {
			return err
		}
	}
	at := n.Mail.Timestamp
	if at.IsZero() {
		at = h.now()
	}
	if m.Bounce != nil {
		if err := h.bounce(ctx, m, at); err != nil {
			return err
		}
	}
	in, err := h.inbound(ctx, n, m, source, at)
	if err != nil {
		return err
	}
	r, err := h.Intake.Receive(ctx, in)
	var verr ticket.ValidationError
	if errors.As(err, &verr) {
		return permanent(fmt.Errorf("mail %s: %w", sesID, err))
	}
	if err != nil {
		return fmt.Errorf("receive mail %s: %w", sesID, err)
	}
	slog.InfoContext(ctx, "email received", "sesMessageId", sesID, "ref", r.Ticket.Ref,
		"created", r.Created, "duplicate", r.Duplicate, "automatic", m.Automatic, "attachments", len(in.Attachments))
	// A redelivery of the mail that opened the ticket still gets the
	// acknowledgement its first delivery may not have sent; the claim
	// keeps it to one.
	opened := r.Created || r.Duplicate && r.Ticket.CreatedAt.Equal(in.At.UTC())
	if h.Ack != nil && !m.Automatic && opened && r.Ticket.Contact.Email == in.Contact.Email {
		if err := h.acknowledge(ctx, r.Ticket, m, in.Contact.Email); err != nil {
			return err
		}
	}
	return nil
}

// fetch reads and parses the stored mail, streaming it from S3.
func (h *Handler) fetch(ctx context.Context, n *Notification) (*Mail, error) {
	a := n.Receipt.Action
	body, size, err := h.Objects.Open(ctx, a.BucketName, a.ObjectKey)
	if errors.Is(err, ticket.ErrNotFound) {
		return nil, permanent(fmt.Errorf("read mail %s: %w", n.Mail.MessageID, err))
	}
	if err != nil {
		return nil, fmt.Errorf("read mail %s: %w", n.Mail.MessageID, err)
	}
	defer body.Close()
	lim := h.Limits.withDefaults()
	if size > lim.MaxMessage {
		return nil, permanent(fmt.Errorf("mail %s: %d bytes: %w", n.Mail.MessageID, size, ErrTooLarge))
	}
	m, err := Parse(body, lim)
	if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrMalformed) {
		return nil, permanent(fmt.Errorf("mail %s: %w", n.Mail.MessageID, err))
	}
	if err != nil {
		return nil, fmt.Errorf("mail %s: %w", n.Mail.MessageID, err)
	}
	return m, nil
}

// bounce records what a delivery report says: a permanent failure of
// mail Frontdesk sent marks the address undeliverable. Anyone can send
// mail that looks like a report, so it counts only when it names a
// Message-ID of mail Frontdesk sent, and only for the address that mail
// went to: the contact of its ticket.
func (h *Handler) bounce(ctx context.Context, m *Mail, at time.Time) error {
	t, err := h.bouncedTicket(ctx, reportedIDs(m))
	if errors.Is(err, ticket.ErrNotFound) {
		slog.InfoContext(ctx, "delivery report ignored", "why", "not about mail Frontdesk sent")
		return nil
	}
	if err != nil {
		return err
	}
	for _, r := range m.Bounce.Recipients {
		if !r.Permanent() {
			continue
		}
		addr, code := ticket.NormalizeEmail(r.Address)
		if code != "" || !sameAddress(addr, t.Contact.Email) {
			continue
		}
		if err := h.Bounces.MarkUndeliverable(ctx, addr, r.Status, at); err != nil {
			return err
		}
		slog.InfoContext(ctx, "email address undeliverable", "ref", t.Ref, "status", r.Status)
	}
	return nil
}

// maxReportedIDs bounds the Message-IDs of a delivery report looked up.
const maxReportedIDs = 10

// reportedIDs lists the Message-IDs a delivery report says it is about:
// the returned headers' first, then In-Reply-To and References.
func reportedIDs(m *Mail) []string {
	var out []string
	if m.Bounce.OriginalMessageID != "" {
		out = append(out, m.Bounce.OriginalMessageID)
	}
	out = append(append(out, m.InReplyTo...), m.References...)
	return out[:min(len(out), maxReportedIDs)]
}

// bouncedTicket finds the ticket of the mail a delivery report returns:
// one of ids is our own signed Message-ID, or the ID SES gave mail we
// sent. It fails with ticket.ErrNotFound when none is.
func (h *Handler) bouncedTicket(ctx context.Context, ids []string) (*ticket.Ticket, error) {
	for _, mid := range ids {
		id, ok := h.Signer.FromMessageID(mid)
		if !ok {
			var err error
			if id, err = h.sent(ctx, mid); errors.Is(err, ticket.ErrNotFound) {
				continue
			} else if err != nil {
				return nil, fmt.Errorf("find bounced mail: %w", err)
			}
		}
		t, err := h.Tickets.Ticket(ctx, id)
		if errors.Is(err, ticket.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load bounced ticket %s: %w", id, err)
		}
		return t, nil
	}
	return nil, fmt.Errorf("delivery report: %w", ticket.ErrNotFound)
}

// inbound builds what intake receives: the contact, the texts cut to what
// an item holds, the attachments stored, and the ticket it threads onto.
func (h *Handler) inbound(ctx context.Context, n *Notification, m *Mail, source string, at time.Time) (intake.Inbound, error) {
	id, how, err := h.Thread(ctx, m)
	if err != nil {
		return intake.Inbound{}, err
	}
	if m.Bounce != nil && id == "" {
		return intake.Inbound{}, permanent(fmt.Errorf("mail %s: %w", n.Mail.MessageID, errUnknown))
	}
	contact := ticket.Contact{Name: m.From.Name, Email: m.From.Address}
	if addr, code := ticket.NormalizeEmail(m.From.Address); code != "" || m.Bounce != nil {
		// A report from a mail system, or a sender address that does not
		// parse, still belongs on the ticket it threads onto.
		if id == "" {
			return intake.Inbound{}, permanent(fmt.Errorf("mail %s: sender address: %s", n.Mail.MessageID, code))
		}
		t, err := h.Tickets.Ticket(ctx, id)
		if err != nil {
			return intake.Inbound{}, fmt.Errorf("load ticket %s: %w", id, err)
		}
		contact = t.Contact
	} else {
		contact.Email = addr
	}
	if utf8.RuneCountInString(contact.Name) > ticket.MaxName {
		contact.Name = string([]rune(contact.Name)[:ticket.MaxName])
	}
	body, cutBody := cut(m.Body, maxBodyBytes)
	full := ""
	if m.Text != m.Body {
		full, _ = cut(m.Text, maxFullBytes)
	}
	meta := map[string]string{"s3Key": objectURL(n), "sesMessageId": n.Mail.MessageID}
	fields := map[string]string{"messageId": m.MessageID, "charset": m.Charset, "autoReason": m.AutoReason, "threadedBy": how, "listId": m.ListID}
	if m.Bounce != nil {
		var st, diag []string
		for _, r := range m.Bounce.Recipients {
			st = append(st, r.Action+" "+r.Status)
			if r.Diagnostic != "" {
				diag = append(diag, r.Diagnostic)
			}
		}
		fields["bounce"] = strings.Join(st, ", ")
		fields["bounceDiagnostic"] = strings.Join(diag, "\n")
		fields["bouncedMessageId"] = m.Bounce.OriginalMessageID
	}
	for k, v := range fields {
		if v != "" {
			meta[k] = v
		}
	}
	for k, v := range meta {
		// Headers can be long; an item cannot (400 KB).
		meta[k] = truncateRunes(v, maxMeta)
	}
	if m.FromHTML {
		meta["fromHtml"] = "true"
	}
	if cutBody || m.Truncated {
		meta["truncated"] = "true"
	}
	atts, err := h.storeAttachments(ctx, n, m, source)
	if err != nil {
		return intake.Inbound{}, err
	}
	kind := ticket.Kind("")
	if m.Automatic {
		kind = ticket.Other
	}
	return intake.Inbound{
		Source:      ticket.Source{Channel: ticket.Email, ID: source},
		Contact:     contact,
		Kind:        kind,
		Subject:     truncateRunes(m.Subject, 500),
		Body:        body,
		FullBody:    full,
		At:          at,
		Language:    ticket.DetectLanguage(m.Subject + "\n" + m.Body),
		Automatic:   m.Automatic,
		Attachments: atts,
		Meta:        meta,
		TicketID:    id,
		Actor:       actor(m),
	}, nil
}

func actor(m *Mail) string {
	if m.Automatic {
		return ticket.AutomaticActor(m.AutoReason)
	}
	return "customer"
}

// cut keeps at most max bytes of s, on a rune boundary.
func cut(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max], true
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// storeAttachments writes the attachments next to the raw mail under keys
// derived from the source, so a redelivery overwrites instead of adding.
func (h *Handler) storeAttachments(ctx context.Context, n *Notification, m *Mail, source string) ([]ticket.Attachment, error) {
	var out []ticket.Attachment
	for i, a := range m.Attachments {
		ta := ticket.Attachment{Name: a.Name, Type: a.Type, Size: a.Size, Inline: a.Inline, Skipped: a.Oversize}
		if !a.Oversize {
			key := h.AttachmentPrefix + source + "/" + strconv.Itoa(i+1) + "-" + url.PathEscape(a.Name)
			if err := h.Objects.Put(ctx, n.Receipt.Action.BucketName, key, a.Type, a.Data); err != nil {
				return nil, fmt.Errorf("store attachment %d of %s: %w", i+1, n.Mail.MessageID, err)
			}
			ta.Key = key
		}
		out = append(out, ta)
	}
	return out, nil
}
