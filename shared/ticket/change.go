package ticket

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Source identifies one inbound delivery: the channel and the provider's
// message ID (inboundMessageId, MessageSid, the SES message ID, the web
// form's idempotency key). The same source twice is the same contact.
type Source struct {
	Channel Channel
	ID      string
}

// String returns "channel:id".
func (s Source) String() string { return string(s.Channel) + ":" + s.ID }

// RateLimit is a counter a new ticket must stay under: at most Max per
// Window for Key (an IP address, "global", …). Windows start on multiples
// of Window (as time.Truncate counts them), shifted by Offset: two limits
// on one key, their offsets half a window apart, catch two events close
// together wherever they fall.
type RateLimit struct {
	Key    string
	Max    int
	Window time.Duration
	Offset time.Duration
	// Takeover, when set, names the ticket last counted (a LimitError's
	// Holder) whose counter may be taken whatever its count, because that
	// ticket is finished. The counter then names the new ticket, so of two
	// changes taking over from the same ticket only one succeeds.
	Takeover ID
}

// Start returns when the window holding at begins.
func (l RateLimit) Start(at time.Time) time.Time {
	return at.Add(-l.Offset).Truncate(l.Window).Add(l.Offset)
}

// Change is one atomic write to a ticket: the ticket as it now stands, the
// messages and history events it gained, and what must hold for the write
// to happen. A store applies all of it or none of it.
type Change struct {
	Ticket *Ticket
	// Create is set for a new ticket: its ID and reference must be unused.
	// Otherwise the stored ticket must still be at PrevVersion.
	Create      bool
	PrevVersion int
	// Prev, when set, is the ticket as it was read; the store then writes
	// only the index entries that changed.
	Prev     *Ticket
	Messages []Message
	Events   []Event
	// Source, when set, is claimed: a second change with the same source
	// fails with a *DuplicateError.
	Source *Source
	// Limits are counted with the change; one over its maximum fails the
	// whole change with a *LimitError.
	Limits []RateLimit
	// AckAt, on a new ticket, takes the ticket's acknowledgement slot at
	// that instant in the same write, for a channel that acknowledges
	// right after (and gives the slot back if it cannot).
	AckAt time.Time
	// Request, when set, is the staff request the change answers: its
	// answer is stored under its idempotency key in the same write, so a
	// retried request replays the answer instead of acting twice. A key
	// already answered fails the change with ErrAnswered.
	Request *Answer
}

// Answer is a request's answer kept under its idempotency key.
type Answer struct {
	// Key is the idempotency key, scoped by the caller (per member of
	// staff).
	Key    string
	Status int
	Body   []byte
	// Token is the claim's token when the key was claimed before acting
	// (an action that sends something); the answer then replaces that
	// claim only.
	Token string
}

// Errors stores return; callers check them with errors.Is and errors.As.
var (
	// ErrNotFound: no such ticket (or source, or reference).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the ticket changed since it was read; read it again.
	ErrConflict = errors.New("ticket changed concurrently")
	// ErrRefTaken: the new ticket's reference is in use; pick another.
	ErrRefTaken = errors.New("reference already taken")
	// ErrAnswered: the request's idempotency key already has an answer (or
	// another attempt holds it); replay that answer.
	ErrAnswered = errors.New("request already answered")
)

// DuplicateError reports a source that was already received: TicketID and
// MessageID say what it made the first time.
type DuplicateError struct {
	Source    Source
	TicketID  ID
	MessageID string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("source %s already received as ticket %s", e.Source, e.TicketID)
}

// LimitError reports a rate limit that was reached. Holder, when known, is
// the last ticket counted against it.
type LimitError struct {
	Key        string
	RetryAfter time.Duration
	Holder     ID
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("rate limit %s reached, retry after %s", e.Key, e.RetryAfter)
}

// Quarantined is an inbound delivery that could not be made into a ticket,
// kept with the reason so it can be replayed once the cause is fixed.
type Quarantined struct {
	Channel Channel   `json:"channel"`
	ID      string    `json:"id"`
	Source  string    `json:"source,omitempty"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
	// Payload is the delivery as received, when small enough to keep in
	// the table; otherwise ObjectKey names where the raw bytes are.
	Payload   []byte    `json:"payload,omitempty"`
	ObjectKey string    `json:"objectKey,omitempty"`
	Replayed  time.Time `json:"replayed,omitzero"`
}

// SummaryLen is the most characters a ticket summary keeps.
const SummaryLen = 120

// Summarize returns the first line of body that has text, cut to
// SummaryLen characters.
func Summarize(subject, body string) string {
	s := strings.TrimSpace(subject)
	if s == "" {
		for _, line := range strings.Split(body, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				s = line
				break
			}
		}
	}
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > SummaryLen {
		r := []rune(s)
		s = string(r[:SummaryLen-1]) + "…"
	}
	return s
}
