// Package sms is Frontdesk's SMS channel: the AWS End User Messaging
// two-way SMS payload (an SNS notification inside an SQS message) and the
// Twilio-compatible webhook, both normalized into one Message; keywords
// (opt-out, opt-in, help, callback) in every configured language; survey
// answers; threading onto tickets; and the texts sent back to customers
// (acknowledgements, keyword replies), which never go to an opted-out
// number and are recorded so replies thread.
package sms

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Provider names where an inbound SMS came from.
type Provider string

// The providers.
const (
	EndUserMessaging Provider = "aws"
	Twilio           Provider = "twilio"
)

// Limits on what is accepted from outside.
const (
	// MaxBody is the most characters of an inbound text (ten parts of a
	// concatenated SMS, as carriers deliver them).
	MaxBody = 1600
	// MaxPayload is the most bytes of one delivery (the SNS message limit).
	MaxPayload = 256 << 10
	// maxField bounds IDs, numbers and keywords.
	maxField = 256
)

// Message is one inbound SMS, whichever provider delivered it.
type Message struct {
	Provider Provider
	// ID is the provider's message ID (inboundMessageId, MessageSid): the
	// same ID twice is the same message.
	ID string
	// From is the customer's number as the provider gave it; To is ours.
	From string
	To   string
	Body string
	// ReplyTo is the provider ID of the message this one answers
	// (previousPublishedMessageId), when the provider knows it.
	ReplyTo string
	// Keyword is the keyword the provider matched on our number, if any.
	Keyword string
	// At is when the provider received the message (zero when unknown).
	At time.Time
}

// Reasons a delivery is refused. They are stable codes, kept on the
// quarantine record.
const (
	ReasonMalformed = "malformed"
	ReasonTooLarge  = "payload_too_large"
	ReasonNoID      = "missing_message_id"
	ReasonNoSender  = "missing_sender"
	ReasonEmpty     = "empty_body"
	ReasonTooLong   = "body_too_long"
	ReasonNumber    = "invalid_number"
	ReasonRegion    = "unknown_region"
)

// InputError is a delivery that cannot become a ticket: it is quarantined
// with its reason, never retried.
type InputError struct {
	Reason string
	// Detail says more, without any of the message's content.
	Detail string
}

// Error names the reason, and the detail when there is one.
func (e *InputError) Error() string {
	if e.Detail == "" {
		return "bad sms input: " + e.Reason
	}
	return "bad sms input: " + e.Reason + ": " + e.Detail
}

func inputErr(reason, format string, args ...any) error {
	return &InputError{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// IsInput reports whether err is an *InputError.
func IsInput(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// check applies the limits every provider shares.
func (m Message) check() error {
	switch {
	case m.ID == "":
		return inputErr(ReasonNoID, "no provider message ID")
	case len(m.ID) > maxField || len(m.ReplyTo) > maxField || len(m.Keyword) > maxField:
		return inputErr(ReasonMalformed, "a field is longer than %d bytes", maxField)
	case !utf8.ValidString(m.ID) || !utf8.ValidString(m.ReplyTo):
		return inputErr(ReasonMalformed, "an ID is not UTF-8")
	case strings.TrimSpace(m.From) == "":
		return inputErr(ReasonNoSender, "no sender's number")
	case !utf8.ValidString(m.Body):
		return inputErr(ReasonMalformed, "body is not UTF-8")
	case utf8.RuneCountInString(m.Body) > MaxBody:
		return inputErr(ReasonTooLong, "body has %d characters, at most %d are taken", utf8.RuneCountInString(m.Body), MaxBody)
	}
	return nil
}
