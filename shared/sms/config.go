package sms

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// e164 is the shape of a number texts are sent from; short and long codes
// are not all "valid" numbers to a phone-number library, so only the shape
// is checked.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{4,14}$`)

// Config is the SMS functions' configuration, read from the environment
// once at start-up.
type Config struct {
	Table        string
	Region       string
	Zone         *time.Location
	Rules        *ticket.Rules
	Keywords     *Keywords
	ThreadWindow time.Duration
	AckEvery     time.Duration
	// OriginationNumber and SenderID identify texts Frontdesk sends.
	OriginationNumber string
	SenderID          string
	// TwilioURL and TwilioTokensParameter are set for the webhook: the
	// public URL Twilio calls, and the SSM parameter (SecureString) that
	// holds the auth tokens, comma-separated.
	TwilioURL             string
	TwilioTokensParameter string
}

// ParseEnv reads the configuration through lookup (os.LookupEnv),
// reporting every missing or malformed variable at once. The Twilio
// variables are required when twilio is set.
func ParseEnv(lookup func(string) (string, bool), twilio bool) (Config, error) {
	e := env.New(func(k string) string { v, _ := lookup(k); return v })
	c := ReadConfig(e, twilio)
	if err := e.Err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// ReadConfig reads the configuration through e, which collects every
// missing or malformed variable for e.Err to report at once. The Twilio
// variables are read (and required) when twilio is set.
func ReadConfig(e *env.Reader, twilio bool) Config {
	c := Config{
		Table:             e.String("TABLE_NAME"),
		Region:            e.Region("DEFAULT_PHONE_REGION"),
		ThreadWindow:      e.Duration("SMS_THREAD_WINDOW", DefaultThreadWindow),
		AckEvery:          e.Duration("SMS_ACK_EVERY", outbound.DefaultAckEvery),
		OriginationNumber: e.Optional("SMS_ORIGINATION_NUMBER", ""),
		SenderID:          e.Optional("SMS_SENDER_ID", ""),
	}
	if c.OriginationNumber != "" && !e164.MatchString(c.OriginationNumber) {
		e.Fail("SMS_ORIGINATION_NUMBER", "%q is not an E.164 number such as +8610690000", c.OriginationNumber)
	}
	c.Zone = e.Zone("BUSINESS_TIME_ZONE")
	c.Rules = e.Rules("RULES_FILE", c.Zone)
	kw := DefaultKeywords()
	if v := e.Optional("SMS_KEYWORDS", ""); v != "" {
		kw = []byte(v)
	}
	var err error
	if c.Keywords, err = ParseKeywords(kw); err != nil {
		e.Fail("SMS_KEYWORDS", "%v", err)
	}
	if twilio {
		c.TwilioURL = e.Optional("TWILIO_PUBLIC_URL", "")
		if c.TwilioURL != "" {
			if u, err := url.Parse(c.TwilioURL); err != nil || u.Scheme != "https" || u.Host == "" {
				e.Fail("TWILIO_PUBLIC_URL", "%q is not an https URL", c.TwilioURL)
			}
		}
		c.TwilioTokensParameter = e.String("TWILIO_TOKENS_PARAMETER")
	}
	return c
}

// Tokens splits a comma-separated list of auth tokens (one, or two during
// a rotation).
func Tokens(list string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(list, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	if len(out) == 0 || len(out) > 2 {
		return nil, fmt.Errorf("want one or two auth tokens, got %d", len(out))
	}
	return out, nil
}

// Service builds the SMS service this configuration describes, over the
// given store, intake and sender: both SMS functions wire it this way.
func (c Config) Service(store Store, in *intake.Service, sender Sender) *Service {
	svc := New(store, in, c.Keywords, sender, c.Region)
	svc.ThreadWindow, svc.Outbound.AckEvery, svc.Outbound.Zone = c.ThreadWindow, c.AckEvery, c.Zone
	return svc
}
