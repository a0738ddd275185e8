// Package env reads a function's configuration from its environment,
// collecting every missing or malformed variable so that a function's
// loadConfig reports them all at once. main passes os.Getenv; nothing
// below main reads the environment itself.
package env

import (
	"errors"
	"fmt"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Reader reads variables through Get and remembers what was wrong.
type Reader struct {
	Get  func(string) string
	errs []error
}

// New returns a reader over get (os.Getenv in main).
func New(get func(string) string) *Reader { return &Reader{Get: get} }

func (r *Reader) fail(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
}

// String returns a required variable.
func (r *Reader) String(name string) string {
	v := strings.TrimSpace(r.Get(name))
	if v == "" {
		r.fail(name, "is not set")
	}
	return v
}

// Optional returns a variable, or def when it is unset.
func (r *Reader) Optional(name, def string) string {
	if v := strings.TrimSpace(r.Get(name)); v != "" {
		return v
	}
	return def
}

// Int returns a positive whole number, or def when unset.
func (r *Reader) Int(name string, def int) int {
	v := strings.TrimSpace(r.Get(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		r.fail(name, "%q is not a positive whole number", v)
		return def
	}
	return n
}

// Duration returns a Go duration ("10m"), or def when unset.
func (r *Reader) Duration(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(r.Get(name))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "%q is not a positive duration like 90s, 10m or 168h", v)
		return def
	}
	return d
}

// List returns a comma-separated list, empty items dropped.
func (r *Reader) List(name string) []string {
	var out []string
	for _, p := range strings.Split(r.Get(name), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Mailbox returns a required mailbox such as "Frontdesk <support@example.com>".
func (r *Reader) Mailbox(name string) string {
	v := r.String(name)
	if _, err := mail.ParseAddress(v); v != "" && err != nil {
		r.fail(name, "%q is not a mailbox such as Frontdesk <support@example.com>: %v", v, err)
	}
	return v
}

// Keys returns a required comma-separated list of secret keys, each at
// least min characters long. The values never appear in an error.
func (r *Reader) Keys(name string, min int) [][]byte {
	v := r.String(name)
	if v == "" {
		return nil
	}
	keys, err := ParseKeys(v, min)
	if err != nil {
		r.fail(name, "%v", err)
	}
	return keys
}

// ParseKeys splits a comma-separated list of secret keys, each at least
// min characters long. The values never appear in the error.
func ParseKeys(list string, min int) ([][]byte, error) {
	var keys [][]byte
	for _, k := range strings.Split(list, ",") {
		if k = strings.TrimSpace(k); len(k) < min {
			return nil, fmt.Errorf("every key needs at least %d characters", min)
		}
		keys = append(keys, []byte(k))
	}
	return keys, nil
}

// Zone returns an IANA time zone.
func (r *Reader) Zone(name string) *time.Location {
	v := r.String(name)
	if v == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(v)
	if err != nil || v == "Local" {
		r.fail(name, "%q is not an IANA time zone such as Asia/Shanghai", v)
		return time.UTC
	}
	return loc
}

// Region returns an ISO 3166 region code such as "CN".
func (r *Reader) Region(name string) string {
	v := strings.ToUpper(r.String(name))
	if len(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z' {
		if v != "" {
			r.fail(name, "%q is not a two-letter region code such as CN", v)
		}
	}
	return v
}

// Rules returns the classification and time-limit rules: the file named
// by the variable when set, the shipped rules otherwise, with the
// callback and return-visit policy the environment sets (FollowUps).
func (r *Reader) Rules(name string, zone *time.Location) *ticket.Rules {
	rules := r.rulesFile(name, zone)
	r.FollowUps(rules)
	return rules
}

func (r *Reader) rulesFile(name string, zone *time.Location) *ticket.Rules {
	data := ticket.DefaultRules()
	if path := strings.TrimSpace(r.Get(name)); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			r.fail(name, "read rules file: %v", err)
			return nil
		}
		data = b
	}
	rules, err := ticket.ParseRules(data, zone)
	if err != nil {
		r.fail(name, "%v", err)
		return nil
	}
	return rules
}

// Err returns every problem found, or nil.
func (r *Reader) Err() error {
	if len(r.errs) == 0 {
		return nil
	}
	return fmt.Errorf("configuration: %w", errors.Join(r.errs...))
}

// Switch returns an on/off variable ("on", "off", "true", "false"), or
// def when unset.
func (r *Reader) Switch(name string, def bool) bool {
	switch v := strings.ToLower(strings.TrimSpace(r.Get(name))); v {
	case "":
		return def
	case "on", "true":
		return true
	case "off", "false":
		return false
	default:
		r.fail(name, "%q is not on or off", v)
		return def
	}
}

// Fail records a problem with a variable that the reader's own methods do
// not check, so that Err reports it with the rest.
func (r *Reader) Fail(name, format string, args ...any) { r.fail(name, format, args...) }

// IntBetween returns a whole number from min to max, or def when unset.
func (r *Reader) IntBetween(name string, def, min, max int) int {
	v := strings.TrimSpace(r.Get(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		r.fail(name, "%q is not a whole number from %d to %d", v, min, max)
		return def
	}
	return n
}

// Recorder wraps a lookup and remembers every name read through it, in
// the order first read: the template test compares them with what
// template.yaml sets.
type Recorder struct {
	get  func(string) string
	seen map[string]bool
	read []string
}

// NewRecorder returns a recorder over get.
func NewRecorder(get func(string) string) *Recorder {
	return &Recorder{get: get, seen: map[string]bool{}}
}

// Getenv reads name through the wrapped lookup and records it.
func (r *Recorder) Getenv(name string) string {
	if !r.seen[name] {
		r.seen[name] = true
		r.read = append(r.read, name)
	}
	return r.get(name)
}

// Read returns the names read so far, in the order first read.
func (r *Recorder) Read() []string { return append([]string(nil), r.read...) }

// Span returns a time limit written as the rules file writes them ("15m",
// "24h", "4bh" for business hours, "3bd" for business days), or the zero
// span (the default) when unset.
func (r *Reader) Span(name string) ticket.Span {
	v := strings.TrimSpace(r.Get(name))
	s, err := ticket.ParseSpan(v)
	if err != nil {
		r.fail(name, "%v", err)
	}
	return s
}

// QuietHours returns quiet hours written "21:00-08:00", or def when unset.
func (r *Reader) QuietHours(name string, def ticket.QuietHours) ticket.QuietHours {
	v := strings.TrimSpace(r.Get(name))
	if v == "" {
		return def
	}
	q, err := ticket.ParseQuietHours(v)
	if err != nil {
		r.fail(name, "%v", err)
		return def
	}
	return q
}

// FollowUps sets the callback and return-visit policy of rules (nil:
// only read) from the environment, each variable overriding the rules
// file, unset ones keeping it (or the defaults): QUIET_HOURS (the
// customers' quiet hours, 21:00-08:00), CALLBACK_AGENT_LEAD (how long
// before a callback the owning agent is reminded, 15m),
// CALLBACK_RETRY_AFTER (business time from a no_answer to the next call,
// 2h), CALLBACK_ATTEMPTS (calls before giving up, 3), SURVEY_DELAY (from
// resolution to the return visit, 1bd), SURVEY_ANSWER_WITHIN (before an
// unanswered visit closes, 72h) and SURVEY_EVERY (the least time between
// two surveys to one customer, 720h). Every function deciding on tickets
// reads them through Rules, so all apply one policy.
func (r *Reader) FollowUps(rules *ticket.Rules) {
	cb, visit := ticket.DefaultCallbackPolicy, ticket.DefaultVisitPolicy
	if rules != nil {
		cb, visit = rules.CallbackPolicy(), rules.VisitPolicy()
	}
	quiet := r.QuietHours("QUIET_HOURS", cb.Quiet)
	cb.Quiet, visit.Quiet = quiet, quiet
	cb.AgentLead = r.Duration("CALLBACK_AGENT_LEAD", cb.AgentLead)
	cb.RetryAfter = r.Duration("CALLBACK_RETRY_AFTER", cb.RetryAfter)
	cb.MaxAttempts = r.IntBetween("CALLBACK_ATTEMPTS", cb.MaxAttempts, 1, 10)
	if v := strings.TrimSpace(r.Get("SURVEY_DELAY")); v != "" {
		if s := r.Span("SURVEY_DELAY"); !s.IsZero() {
			visit.Delay = s
		}
	}
	visit.AnswerWithin = r.Duration("SURVEY_ANSWER_WITHIN", visit.AnswerWithin)
	visit.Every = r.Duration("SURVEY_EVERY", visit.Every)
	if rules != nil {
		rules.Callbacks, rules.Visits = cb, visit
	}
}
