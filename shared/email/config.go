package email

import (
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/mailparse"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Config is the email channel's configuration, read from the environment
// once at start-up. The email function and the replay command read the
// very same, so that a replay handles mail as the function would.
type Config struct {
	Table string
	// From is the mailbox acknowledgements come from (MAIL_FROM).
	From string
	// ConfigurationSet is the SES configuration set mail is sent with,
	// if any.
	ConfigurationSet string
	AttachmentPrefix string
	// Region reads phone numbers written without a country code.
	Region string
	Rules  *ticket.Rules
	// Directory is set when VIP customers are looked up in the customer
	// directory (CUSTOMER_DIRECTORY, on by default).
	Directory bool
	// Keys sign and check reply tokens, newest first: REPLY_TOKEN_KEYS, or
	// read by FetchKeys from the Secrets Manager secret KeysSecret
	// (REPLY_TOKEN_SECRET), so the keys never sit in the function's
	// configuration.
	Keys          [][]byte
	KeysSecret    string
	Limits        mailparse.Limits
	AckMaxPerHour int
	// DynamoDB, S3, SES and SSM override the services' endpoints (local
	// runs).
	DynamoDB, S3, SES, SSM *string
}

// DefaultMaxMessage is the largest raw message read when
// MAIL_MAX_MESSAGE_BYTES is not set (SES stops at 40 MB).
const DefaultMaxMessage = mailparse.DefaultMaxMessage

// MinKeyLength is the shortest reply-token key accepted.
const MinKeyLength = 16

// ReadConfig reads the configuration through e, which collects every
// missing or malformed variable for e.Err to report at once.
func ReadConfig(e *env.Reader) Config {
	zone := e.Zone("BUSINESS_TIME_ZONE")
	secret := e.Optional("REPLY_TOKEN_SECRET", "")
	var keys [][]byte
	if secret == "" {
		keys = e.Keys("REPLY_TOKEN_KEYS", MinKeyLength)
	}
	return Config{
		Table:            e.String("TABLE_NAME"),
		From:             e.Mailbox("MAIL_FROM"),
		ConfigurationSet: e.Optional("SES_CONFIGURATION_SET", ""),
		AttachmentPrefix: e.Optional("ATTACHMENT_PREFIX", ""),
		Region:           e.Region("DEFAULT_PHONE_REGION"),
		Rules:            e.Rules("RULES_FILE", zone),
		Directory:        e.Switch("CUSTOMER_DIRECTORY", true),
		Keys:             keys,
		KeysSecret:       secret,
		Limits: mailparse.Limits{
			MaxMessage:    int64(e.Int("MAIL_MAX_MESSAGE_BYTES", DefaultMaxMessage)),
			MaxAttachment: int64(e.Int("MAIL_MAX_ATTACHMENT_BYTES", mailparse.DefaultMaxAttachment)),
		},
		AckMaxPerHour: e.Int("ACK_MAX_PER_HOUR", 5),
		DynamoDB:      e.Endpoint("DYNAMODB"),
		S3:            e.Endpoint("S3"),
		SES:           e.Endpoint("SESV2"),
		SSM:           e.Endpoint("SSM"),
	}
}

// Store is the ticket table as the email channel uses it (dynamo.Store).
type Store interface {
	intake.Store
	outbound.Store
	Tickets
	Recorder
	Bounces
	Aliases
	Quarantine
}

// Handler builds the handler this configuration describes over the ticket
// table, the customer directory (used when Directory is set), the mail
// bucket and the mail sender (SES): the function and the replay command
// wire it this way. Acknowledgements go through outbound, as every message
// to a customer does.
func (c Config) Handler(st Store, dir intake.Directory, objects Objects, mailer outbound.RawSender) *Handler {
	in := &intake.Service{Store: st, Rules: c.Rules, Region: c.Region}
	if c.Directory {
		in.Directory = dir
	}
	signer := Signer{Keys: c.Keys}
	h := &Handler{
		Objects: objects, Intake: in,
		Tickets: st, Recorder: st, Bounces: st, Aliases: st, Quarantine: st,
		Signer: signer, Limits: c.Limits, AttachmentPrefix: c.AttachmentPrefix, From: c.From,
		Outbound: &outbound.Service{
			Store: st, Mail: &outbound.SESMailer{Raw: mailer}, From: c.From, Signer: signer,
			MailAcks: c.AckMaxPerHour,
		},
	}
	if c.Rules != nil {
		h.Zone = c.Rules.Calendar.Zone
	}
	return h
}
