package blast

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Kind is what a blast is about.
type Kind string

// The kinds of blast.
const (
	Outage      Kind = "outage"
	Restoration Kind = "restoration"
	Billing     Kind = "billing"
	Notice      Kind = "notice"
	// Emergency goes out at once, in quiet hours too; only an admin may
	// create or send one.
	Emergency Kind = "emergency"
)

// Valid reports whether k is one of the kinds.
func (k Kind) Valid() bool {
	switch k {
	case Outage, Restoration, Billing, Notice, Emergency:
		return true
	}
	return false
}

// State is where a blast is in its life.
type State string

// The states. A blast is planned when created (an uploaded audience is
// planned by the sender, the blast planning meanwhile), sends only after a
// member of staff says so, and ends done (every recipient handled) or
// cancelled.
const (
	// Awaiting: created for an uploaded audience not yet read, or whose
	// plan failed (PlanError says why).
	Awaiting State = "awaiting_audience"
	// Planning: the uploaded audience is being read into recipients by a
	// plan job on the send queue.
	Planning  State = "planning"
	Planned   State = "planned"
	Sending   State = "sending"
	Paused    State = "paused"
	Done      State = "done"
	Cancelled State = "cancelled"
)

// Final reports whether nothing more happens to a blast in state s.
func (s State) Final() bool { return s == Done || s == Cancelled }

// Action is what staff (or the sender, for Finish) do to a blast.
type Action string

// The actions.
const (
	Create Action = "create"
	// QueuePlan hands an uploaded audience to a plan job.
	QueuePlan Action = "queue_plan"
	// PlanAudience reads an uploaded audience into the plan.
	PlanAudience Action = "plan"
	// PlanFailed is the plan job's: the audience could not be planned
	// (Detail and PlanError say why); the blast awaits a new file.
	PlanFailed Action = "plan_failed"
	Send       Action = "send"
	Pause      Action = "pause"
	Resume     Action = "resume"
	Cancel     Action = "cancel"
	// Finish is the sender's: every recipient has been handled.
	Finish Action = "finish"
	// Hold is the sender's: quiet hours hold the blast until Detail.
	Hold Action = "hold"
)

// transitions says which state each action leads to from each state.
var transitions = map[Action]map[State]State{
	QueuePlan:    {Awaiting: Planning},
	PlanAudience: {Planning: Planned},
	PlanFailed:   {Planning: Awaiting},
	Send:         {Planned: Sending},
	Pause:        {Sending: Paused},
	Resume:       {Paused: Sending},
	Cancel:       {Awaiting: Cancelled, Planning: Cancelled, Planned: Cancelled, Sending: Cancelled, Paused: Cancelled},
	Finish:       {Sending: Done},
}

// ErrTransition is returned for an action the blast's state does not allow
// (sending a blast twice, resuming one that is not paused).
var ErrTransition = errors.New("blast cannot do that in its state")

// ErrNotFound is returned for a blast that does not exist.
// It wraps ticket.ErrNotFound.
var ErrNotFound = fmt.Errorf("blast %w", ticket.ErrNotFound)

// ErrConflict is returned when a blast changed since it was read.
var ErrConflict = errors.New("blast changed meanwhile")

// Defaults of a blast.
const (
	// DefaultPace is one message per second: a long code's rate.
	DefaultPace = 1.0
	// MaxPace bounds the pace a blast may ask for (short codes allow 100).
	MaxPace = 100.0
	// DefaultReplyWindow is how long after sending replies are linked to
	// the blast's incident.
	DefaultReplyWindow = 72 * time.Hour
	// MaxListed is the most recipients a request may list inline; larger
	// audiences are uploaded as a CSV.
	MaxListed = 1000
	// ChunkSize is how many recipients one send-queue message covers.
	ChunkSize = 50
)

// Event is one entry of a blast's append-only history.
type Event struct {
	At     time.Time `json:"at"`
	Action Action    `json:"action"`
	Actor  string    `json:"actor"`
	Detail string    `json:"detail,omitempty"`
}

// Removed counts audience rows that are not recipients.
type Removed struct {
	Invalid    int `json:"invalid"`
	Duplicates int `json:"duplicates"`
	OptedOut   int `json:"optedOut"`
}

// Blast is a notice texted to many customers at once.
type Blast struct {
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// Texts are the message by language (ticket.SimplifiedChinese,
	// TraditionalChinese, English); DefaultLanguage's is sent when a
	// recipient's is missing.
	Texts           map[string]string `json:"texts"`
	DefaultLanguage string            `json:"defaultLanguage"`
	// Pace is messages per second, a ceiling across every sender.
	Pace  float64 `json:"pace"`
	State State   `json:"state"`
	// Quiet are the quiet hours kept in each recipient's zone; Zone is the
	// business zone, used when a recipient's is unknown.
	Quiet ticket.QuietHours `json:"quiet"`
	Zone  string            `json:"zone"`
	// ReplyWindow is how long after sending replies join the incident.
	ReplyWindow time.Duration `json:"replyWindow"`
	Plan        Plan          `json:"plan"`
	Removed     Removed       `json:"removed"`
	// Problems are the audience rows reported (invalid, duplicate), at most
	// MaxProblems of them; Removed counts them all.
	Problems []Row `json:"problems,omitempty"`
	// PlanError is why the last plan of an uploaded audience failed ("" once
	// one succeeds).
	PlanError string `json:"planError,omitempty"`
	// Chunks is how many send-queue messages cover the recipients.
	Chunks    int       `json:"chunks"`
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	// SentAt is when sending first started (zero before).
	SentAt  time.Time `json:"sentAt,omitzero"`
	Version int       `json:"version"`
	History []Event   `json:"history"`
}

// MaxProblems bounds the problem rows a blast keeps to show; the counts
// cover them all.
const MaxProblems = 1000

// Check reports what is wrong with a new blast, all at once.
func (b *Blast) Check() error {
	var errs []error
	if !b.Kind.Valid() {
		errs = append(errs, fmt.Errorf("kind %q is not one of outage, restoration, billing, notice, emergency", b.Kind))
	}
	if len(b.Texts) == 0 {
		errs = append(errs, errors.New("text: give the message in zh and/or en"))
	}
	for l, t := range b.Texts {
		if l != string(ticket.SimplifiedChinese) && l != string(ticket.TraditionalChinese) && l != string(ticket.English) {
			errs = append(errs, fmt.Errorf("text: language %q is not zh, zh-Hant or en", l))
		}
		if len(t) > 1600 {
			errs = append(errs, fmt.Errorf("text: the %s text is longer than 1600 bytes", l))
		}
	}
	if b.Texts[b.DefaultLanguage] == "" && len(b.Texts) > 0 {
		errs = append(errs, fmt.Errorf("text: no text in the default language %q", b.DefaultLanguage))
	}
	if b.Pace <= 0 || b.Pace > MaxPace || math.IsNaN(b.Pace) {
		errs = append(errs, fmt.Errorf("pace %v is not between 0 and %v messages per second", b.Pace, MaxPace))
	}
	return errors.Join(errs...)
}

// Apply moves the blast by action a at at, recording who did it in the
// history. It returns ErrTransition when the state does not allow a.
func (b *Blast) Apply(a Action, actor string, at time.Time, detail string) error {
	next, ok := transitions[a][b.State]
	if !ok {
		return fmt.Errorf("%s a %s blast: %w", a, b.State, ErrTransition)
	}
	if a == Send && b.Kind == Emergency && detail == "" {
		detail = "emergency: sent at once, quiet hours not kept"
	}
	if a == Send && b.SentAt.IsZero() {
		b.SentAt = at
	}
	b.State = next
	b.Version++
	b.History = append(b.History, Event{At: at, Action: a, Actor: actor, Detail: detail})
	return nil
}

// Text returns the message for a recipient's language.
func (b *Blast) Text(language string) string {
	if t := b.Texts[language]; t != "" {
		return t
	}
	return b.Texts[b.DefaultLanguage]
}

// Hold reports whether quiet hours hold a message to a recipient in zone
// (an IANA name, or "" for the business zone) at t, and until when. An
// emergency blast is never held.
func (b *Blast) Hold(t time.Time, zone string) (bool, time.Time) {
	if b.Kind == Emergency {
		return false, t
	}
	return b.Quiet.Next(t, b.zone(zone))
}

// zone is a recipient's zone: their own (an IANA name) when known, else
// the business's.
func (b *Blast) zone(recipient string) *time.Location {
	business := time.UTC
	if z, err := time.LoadLocation(b.Zone); err == nil {
		business = z
	}
	return ticket.QuietZone(recipient, business)
}

// InReplyWindow reports whether a reply at t is within the blast's reply
// window.
func (b *Blast) InReplyWindow(t time.Time) bool {
	if b.SentAt.IsZero() {
		return false
	}
	w := b.ReplyWindow
	if w <= 0 {
		w = DefaultReplyWindow
	}
	return !t.Before(b.SentAt) && t.Sub(b.SentAt) <= w
}

// RecipientStatus is where one recipient's message is.
type RecipientStatus string

// The recipient statuses.
const (
	// Pending: not yet texted.
	Pending RecipientStatus = "pending"
	// Claimed: a sender took the recipient and is texting them. A claim
	// whose sender died between the provider accepting the text and the
	// record of it stays Claimed: never texted again, counted as
	// unconfirmed.
	Claimed   RecipientStatus = "claimed"
	Sent      RecipientStatus = "sent"
	Delivered RecipientStatus = "delivered"
	Failed    RecipientStatus = "failed"
	// Skipped: the number had opted out when its turn came.
	Skipped RecipientStatus = "opted_out"
)

// Recipient is one number a blast texts.
type Recipient struct {
	Phone    string `json:"phone"`
	Name     string `json:"name,omitempty"`
	Language string `json:"language,omitempty"`
	// Zone is the recipient's IANA zone, "" when unknown.
	Zone string `json:"zone,omitempty"`
	// Seq numbers recipients from 0 in audience order; Seq/ChunkSize is
	// the send-queue message that covers it.
	Seq        int             `json:"seq"`
	Status     RecipientStatus `json:"status"`
	ProviderID string          `json:"providerId,omitempty"`
	Attempts   int             `json:"attempts,omitempty"`
	// Response is the carrier's word in the delivery receipt, when one
	// came.
	Response string `json:"response,omitempty"`
}

// Chunk is the send-queue message that covers seq.
func Chunk(seq int) int { return seq / ChunkSize }

// Counts are a blast's per-recipient tallies.
type Counts struct {
	Sent int `json:"sent"`
	// Delivered and Undelivered count the sent texts whose delivery
	// receipt came back (where the deployment has receipts): reached the
	// handset's network, or not.
	Delivered   int `json:"delivered"`
	Undelivered int `json:"undelivered"`
	// Failed counts recipients never texted: every attempt to send failed.
	Failed int `json:"failed"`
	// OptedOut counts recipients skipped because they opted out after the
	// blast was planned.
	OptedOut int `json:"optedOut"`
	Replied  int `json:"replied"`
}

// Handled is how many recipients need nothing more.
func (c Counts) Handled() int { return c.Sent + c.Failed + c.OptedOut }
