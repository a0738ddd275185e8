package desk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ses"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Outbound is the one service every message to a customer goes through
// (outbound.Service).
type Outbound interface {
	Send(ctx context.Context, r outbound.Request) (outbound.Sent, error)
}

// Channels replies through the outbound service, which picks the channel
// (the ticket's own; for a web ticket, a text when the customer gave a
// phone number, else mail), refuses opted-out numbers and undeliverable
// addresses, and records the reply with its provider ID so the customer's
// answer threads back. A mail reply carries the thread's In-Reply-To and
// References, and the outbound service signs its Message-ID and Reply-To.
type Channels struct {
	Out     Outbound
	Tickets interface {
		View(ctx context.Context, id ticket.ID) (*ticket.Ticket, error)
	}
}

var _ Messenger = (*Channels)(nil)

// ReplyChannel is the channel a reply to t goes through, as the outbound
// service picks it: the ticket's own; for a web ticket, a text when the
// customer gave a phone number, else mail.
func ReplyChannel(t *ticket.Ticket) ticket.Channel { return outbound.Channel(t) }

// Reply sends text to t's customer and records it. The key is the ticket
// and the version the reply was decided at: a retried action sends
// nothing twice.
func (c *Channels) Reply(ctx context.Context, t *ticket.Ticket, text, actor string) (ticket.Message, error) {
	r := outbound.Request{
		Ticket: t, Purpose: outbound.Reply, Actor: actor,
		Key: "reply#" + string(t.ID) + "#" + strconv.Itoa(t.Version),
	}
	subject := ""
	if outbound.Channel(t) == ticket.Email {
		full, err := c.Tickets.View(ctx, t.ID)
		if err != nil {
			return ticket.Message{}, err
		}
		subject, r.InReplyTo, r.References = thread(full)
	}
	r.Render = func(ticket.Channel, ticket.Language) outbound.Content {
		return outbound.Content{Subject: subject, Text: text}
	}
	sent, err := c.Out.Send(ctx, r)
	switch {
	case errors.Is(err, outbound.ErrOptedOut), errors.Is(err, outbound.ErrUndeliverable),
		errors.Is(err, outbound.ErrNoContact), errors.Is(err, outbound.ErrNoChannel):
		return ticket.Message{}, fmt.Errorf("%w: %w", ErrUnreachable, err)
	case err != nil && sent.ProviderID == "":
		return ticket.Message{}, err
	}
	// Sent but perhaps not recorded: the message is out either way.
	return ticket.Message{
		ID: sent.MessageID, Direction: ticket.Outbound, Channel: sent.Channel, Subject: sent.Subject,
		Body: sent.Text, At: sent.At, SourceID: sent.ProviderID,
	}, nil
}

// maxReferences bounds the References header.
const maxReferences = 10

// thread returns the reply's subject and threading headers from the
// ticket's mail so far.
func thread(t *ticket.Ticket) (subject, inReplyTo string, refs []string) {
	subject = "[" + string(t.Ref) + "] " + t.Summary
	for _, m := range t.Messages {
		if m.Channel != ticket.Email || m.Direction == ticket.Internal {
			continue
		}
		id := m.SourceID
		if m.Direction == ticket.Inbound {
			id = m.Meta["messageId"]
			if id != "" {
				inReplyTo = id
			}
			if m.Subject != "" && !m.Automatic {
				subject = m.Subject
			}
		}
		if id != "" {
			refs = append(refs, id)
		}
	}
	if len(refs) > maxReferences {
		refs = append(refs[:1], refs[len(refs)-maxReferences+1:]...)
	}
	if !strings.Contains(subject, string(t.Ref)) {
		subject = "[" + string(t.Ref) + "] " + subject
	}
	if !strings.HasPrefix(strings.ToLower(subject), "re:") {
		subject = "Re: " + subject
	}
	return subject, inReplyTo, refs
}

// ChannelsConfig is what replies need from the environment.
type ChannelsConfig struct {
	Table string
	// MailFrom is the support mailbox (MAIL_FROM); Keys sign reply tokens
	// (REPLY_TOKEN_KEYS, or the Secrets Manager secret REPLY_TOKEN_SECRET
	// names), as the email intake reads them.
	Mail email.Config
	// SMS origination number and sender ID (SMS_ORIGINATION_NUMBER,
	// SMS_SENDER_ID).
	OriginationNumber, SenderID string
	DynamoDB, SNS, SES          *string
	// Quiet are the customers' quiet hours the outbound service keeps
	// (its default when zero); the caller sets them.
	Quiet ticket.QuietHours
}

// ReadChannels reads the replies' configuration through e.
func ReadChannels(e *env.Reader) ChannelsConfig {
	secret := e.Optional("REPLY_TOKEN_SECRET", "")
	var keys [][]byte
	if secret == "" {
		keys = e.Keys("REPLY_TOKEN_KEYS", email.MinKeyLength)
	}
	return ChannelsConfig{
		Table: e.String("TABLE_NAME"),
		Mail: email.Config{
			From: e.Mailbox("MAIL_FROM"), Keys: keys, KeysSecret: secret,
			ConfigurationSet: e.Optional("SES_CONFIGURATION_SET", ""), SSM: e.Endpoint("SSM"),
		},
		OriginationNumber: e.Optional("SMS_ORIGINATION_NUMBER", ""),
		SenderID:          e.Optional("SMS_SENDER_ID", ""),
		DynamoDB:          e.Endpoint("DYNAMODB"), SNS: e.Endpoint("SNS"), SES: e.Endpoint("SESV2"),
	}
}

// Build makes the store and the reply channels over AWS clients made from
// a, fetching the reply-token keys from their secret when configured into
// c.Mail.Keys, where callers signing other links with them find them.
func (c *ChannelsConfig) Build(ctx context.Context, a aws.Config, zone *time.Location) (*dynamo.Store, *Channels, error) {
	if err := c.Mail.FetchKeys(ctx, a); err != nil {
		return nil, nil, err
	}
	store := dynamo.New(dynamodb.NewFromConfig(a, func(o *dynamodb.Options) { o.BaseEndpoint = c.DynamoDB }), c.Table)
	store.Zone = zone
	mailer := ses.New(sesv2.NewFromConfig(a, func(o *sesv2.Options) { o.BaseEndpoint = c.SES }))
	mailer.ConfigurationSet = c.Mail.ConfigurationSet
	sender := &sms.SNSSender{Client: sns.NewFromConfig(a, func(o *sns.Options) { o.BaseEndpoint = c.SNS }),
		OriginationNumber: c.OriginationNumber, SenderID: c.SenderID}
	out := &outbound.Service{
		Store: store, Texts: sender, From: c.Mail.From, Zone: zone, Quiet: c.Quiet,
		Mail: &outbound.SESMailer{Raw: mailer}, Signer: email.Signer{Keys: c.Mail.Keys},
	}
	return store, &Channels{Out: out, Tickets: store}, nil
}
