package sms

import (
	"errors"
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

// ParseEnv reads the configuration through lookup (os.LookupEnv in main),
// reporting every missing or malformed variable at once. The Twilio
// variables are required when twilio is set.
func ParseEnv(lookup func(string) (string, bool), twilio bool) (Config, error) {
	var errs []error
	get := func(name string, required bool) string {
		v, _ := lookup(name)
		v = strings.TrimSpace(v)
		if v == "" && required {
			errs = append(errs, fmt.Errorf("%s is not set", name))
		}
		return v
	}
	dur := func(name string, def time.Duration) time.Duration {
		v := get(name, false)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q is not a positive duration such as 10m or 168h", name, v))
		}
		return d
	}
	c := Config{
		Table:             get("TABLE_NAME", true),
		Region:            get("DEFAULT_PHONE_REGION", true),
		ThreadWindow:      dur("SMS_THREAD_WINDOW", DefaultThreadWindow),
		AckEvery:          dur("SMS_ACK_EVERY", outbound.DefaultAckEvery),
		OriginationNumber: get("SMS_ORIGINATION_NUMBER", false),
		SenderID:          get("SMS_SENDER_ID", false),
	}
	if c.Region != "" && (len(c.Region) != 2 || strings.ToUpper(c.Region) != c.Region) {
		errs = append(errs, fmt.Errorf("DEFAULT_PHONE_REGION=%q is not an ISO 3166 code such as CN", c.Region))
	}
	if c.OriginationNumber != "" && !e164.MatchString(c.OriginationNumber) {
		errs = append(errs, fmt.Errorf("SMS_ORIGINATION_NUMBER=%q is not an E.164 number such as +8610690000", c.OriginationNumber))
	}
	if zone := get("BUSINESS_TIME_ZONE", true); zone != "" {
		loc, err := time.LoadLocation(zone)
		if err != nil || zone == "Local" {
			errs = append(errs, fmt.Errorf("BUSINESS_TIME_ZONE=%q is not an IANA time zone", zone))
		} else {
			c.Zone = loc
			rules := env.New(func(k string) string { v, _ := lookup(k); return v })
			if c.Rules = rules.Rules("RULES_FILE", loc); rules.Err() != nil {
				errs = append(errs, rules.Err())
			}
		}
	}
	kw := DefaultKeywords()
	if v := get("SMS_KEYWORDS", false); v != "" {
		kw = []byte(v)
	}
	var err error
	if c.Keywords, err = ParseKeywords(kw); err != nil {
		errs = append(errs, fmt.Errorf("SMS_KEYWORDS: %w", err))
	}
	if twilio {
		c.TwilioURL = get("TWILIO_PUBLIC_URL", false)
		if c.TwilioURL != "" {
			if u, err := url.Parse(c.TwilioURL); err != nil || u.Scheme != "https" || u.Host == "" {
				errs = append(errs, fmt.Errorf("TWILIO_PUBLIC_URL=%q is not an https URL", c.TwilioURL))
			}
		}
		c.TwilioTokensParameter = get("TWILIO_TOKENS_PARAMETER", true)
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("configuration: %w", errors.Join(errs...))
	}
	return c, nil
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
