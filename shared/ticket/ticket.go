// Package ticket is Frontdesk's domain: tickets, contacts, messages, history,
// classification, routing and time limits. It imports no AWS SDK; adapters
// (DynamoDB, SNS, S3, SES) depend on it, never the other way round.
package ticket

import (
	"fmt"
	"strings"
	"time"
)

// Channel is the way a contact reached the business.
type Channel string

// The channels Frontdesk takes contacts from.
const (
	SMS   Channel = "sms"
	Web   Channel = "web"
	Email Channel = "email"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return c == SMS || c == Web || c == Email }

// Kind is what a contact is about. The default list is DOMAIN.md's; the
// rules file may route and classify them differently but not add kinds.
type Kind string

// The kinds of contact.
const (
	Emergency  Kind = "emergency"
	Complaint  Kind = "complaint"
	Repair     Kind = "repair"
	Inquiry    Kind = "inquiry"
	Billing    Kind = "billing"
	Suggestion Kind = "suggestion"
	Praise     Kind = "praise"
	CallbackRq Kind = "callback"
	Other      Kind = "other"
)

// Kinds lists every kind in the order forms show them.
var Kinds = []Kind{Emergency, Complaint, Repair, Inquiry, Billing, Suggestion, Praise, CallbackRq, Other}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// Priority orders tickets: P1 (emergency, any hour) is the most urgent, P4
// (praise, suggestion) the least.
type Priority int

// The priorities.
const (
	P1 Priority = 1
	P2 Priority = 2
	P3 Priority = 3
	P4 Priority = 4
)

// String returns "P1" … "P4".
func (p Priority) String() string {
	if p < P1 || p > P4 {
		return "P?"
	}
	return "P" + string(rune('0'+int(p)))
}

// MarshalJSON writes the priority as "P1" … "P4".
func (p Priority) MarshalJSON() ([]byte, error) { return []byte(`"` + p.String() + `"`), nil }

// UnmarshalJSON reads "P1" … "P4", or the bare number.
func (p *Priority) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	s = strings.TrimPrefix(strings.ToUpper(s), "P")
	if len(s) != 1 || s[0] < '1' || s[0] > '4' {
		return fmt.Errorf("priority %s is not P1–P4", b)
	}
	*p = Priority(s[0] - '0')
	return nil
}

// Status is where a ticket stands in its life.
type Status string

// The statuses: new → acknowledged → in_progress → resolved → closed, and
// reopened (after a low survey score or a new message on a resolved case);
// waiting while staff wait for the customer or a third party. lifecycle.go
// holds the machine.
const (
	New          Status = "new"
	Acknowledged Status = "acknowledged"
	InProgress   Status = "in_progress"
	Waiting      Status = "waiting"
	Resolved     Status = "resolved"
	Closed       Status = "closed"
	Reopened     Status = "reopened"
)

// Statuses lists every status in the order of a ticket's life.
var Statuses = []Status{New, Acknowledged, InProgress, Waiting, Resolved, Closed, Reopened}

// Open reports whether a ticket in status s still needs work.
func (s Status) Open() bool { return s != Resolved && s != Closed }

// Contact is who wrote in. Phone is E.164, Email is trimmed with its domain
// lowercased; at least one of them is set on every ticket.
type Contact struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

// Direction tells inbound messages from the ones Frontdesk sent.
type Direction string

// The directions.
const (
	Inbound  Direction = "in"
	Outbound Direction = "out"
	// Internal marks a note staff keep on the ticket: never sent.
	Internal Direction = "note"
)

// Attachment describes a file that came with a message; the bytes live in
// object storage under Key.
type Attachment struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Size   int64  `json:"size"`
	Key    string `json:"key,omitempty"`
	Inline bool   `json:"inline,omitempty"`
	// Skipped is set when the attachment was over the size limit: it is
	// listed but was not stored.
	Skipped bool `json:"skipped,omitempty"`
}

// Message is one contact or reply on a ticket.
type Message struct {
	ID        string    `json:"id"`
	Direction Direction `json:"direction"`
	Channel   Channel   `json:"channel"`
	Subject   string    `json:"subject,omitempty"`
	Body      string    `json:"body"`
	// FullBody keeps the whole text when Body was trimmed for staff (an
	// email's quoted reply, say).
	FullBody string    `json:"fullBody,omitempty"`
	At       time.Time `json:"at"`
	// SourceID is the provider's message ID: inboundMessageId, MessageSid,
	// the SES message ID, the web form's idempotency key, or for outbound
	// messages the ID the provider returned.
	SourceID    string       `json:"sourceId,omitempty"`
	Automatic   bool         `json:"automatic,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	// Meta holds channel details worth keeping (Message-ID, blast ID, …).
	Meta map[string]string `json:"meta,omitempty"`
}

// Callback is a window in which the customer asked to be called, stored as
// UTC instants plus the customer's IANA zone.
type Callback struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Zone  string    `json:"timeZone"`
	// Status is where the callback stands (scheduled when empty);
	// Outcome is the last outcome staff recorded.
	Status  CallbackStatus `json:"status,omitempty"`
	Outcome CallbackResult `json:"outcome,omitempty"`
	// Attempts numbers this call: 1 for the first, one more after each
	// no_answer.
	Attempts int `json:"attempts,omitempty"`
	// AgentAt is when the owning agent is reminded, AgentReminded when
	// they were.
	AgentAt       time.Time `json:"agentAt,omitzero"`
	AgentReminded time.Time `json:"agentReminded,omitzero"`
	// RemindAt is when the customer is reminded (zero: no decent time was
	// left), Reminded when they were.
	RemindAt time.Time `json:"remindAt,omitzero"`
	Reminded time.Time `json:"reminded,omitzero"`
	// Missed is when the window was found ended without an outcome.
	Missed time.Time `json:"missed,omitzero"`
	// TriedAt is when the customer is to be told we tried to call (after
	// the last unanswered attempt), Told when they were.
	TriedAt time.Time `json:"triedAt,omitzero"`
	Told    time.Time `json:"told,omitzero"`
	// Claim is set while a run sends the customer a message about the
	// callback.
	Claim time.Time `json:"claim,omitzero"`
	// MessageID names the last message sent about it.
	MessageID string `json:"messageId,omitempty"`
}

// Fault records who was at fault in a complaint, when known.
type Fault string

// The faults.
const (
	FaultUnknown  Fault = ""
	FaultProvider Fault = "provider"
	FaultCustomer Fault = "customer"
	FaultNobody   Fault = "nobody"
	// FaultUncontrollable: nobody could have prevented it (weather, a
	// third party's works).
	FaultUncontrollable Fault = "uncontrollable"
)

// Ticket is one case: every contact about the same matter lands on it.
type Ticket struct {
	ID       ID       `json:"id"`
	Ref      Ref      `json:"ref"`
	Channel  Channel  `json:"channel"`
	Kind     Kind     `json:"kind"`
	Priority Priority `json:"priority"`
	Status   Status   `json:"status"`
	Contact  Contact  `json:"contact"`
	Language Language `json:"language,omitempty"`
	Owner    string   `json:"owner"`
	VIP      bool     `json:"vip,omitempty"`
	// AccountManager is set for VIP customers with one.
	AccountManager string `json:"accountManager,omitempty"`
	// NeedsPerson flags a ticket that automation must not answer for (a
	// "please stop texting me" sentence, say).
	NeedsPerson bool `json:"needsPerson,omitempty"`
	// Major flags repairs with the longer resolve limit (cable work).
	Major           bool   `json:"major,omitempty"`
	Fault           Fault  `json:"fault,omitempty"`
	EscalationLevel int    `json:"escalationLevel,omitempty"`
	BlastID         string `json:"blastId,omitempty"`
	// Keywords are the rules' keywords that classified the ticket
	// (Classification.Keywords): Frontdesk's words, safe to show staff
	// anywhere, unlike Summary.
	Keywords  []string  `json:"keywords,omitempty"`
	Summary   string    `json:"summary"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	AckBy     time.Time `json:"ackBy"`
	ResolveBy time.Time `json:"resolveBy,omitzero"`
	Callback  *Callback `json:"callback,omitempty"`
	// Visit is the return visit after a repair or complaint is resolved.
	Visit *Visit `json:"visit,omitempty"`
	// CallbackAsk is the question asking when suits the customer for a
	// callback they asked for without a time.
	CallbackAsk *CallbackAsk `json:"callbackAsk,omitempty"`
	// Agent is the member of staff personally responsible (first-contact
	// ownership): the first to acknowledge, changed only by assign or
	// transfer. Owner stays the queue.
	Agent string `json:"agent,omitempty"`
	// AckedAt is the first response: an acknowledgement or a reply by
	// staff. It meets the acknowledge limit for good.
	AckedAt    time.Time `json:"ackedAt,omitzero"`
	ResolvedAt time.Time `json:"resolvedAt,omitzero"`
	Resolution string    `json:"resolution,omitempty"`
	// ClockStart is when the current time limits started: creation, or
	// the last reopening (CreatedAt when zero).
	ClockStart time.Time `json:"clockStart,omitzero"`
	// Pauses are the finished pauses of the resolve clock; Pause is the
	// one running, if any. The resolve limit is moved by the time paused.
	Pauses []Pause `json:"pauses,omitempty"`
	Pause  *Pause  `json:"pause,omitempty"`
	// Escalations records each breached limit and the ladder level it
	// reached; EscalateAt is when the next level falls due.
	Escalations []Escalation `json:"escalations,omitempty"`
	EscalateAt  time.Time    `json:"escalateAt,omitzero"`
	// MergedInto names the ticket this one was merged into.
	MergedInto   Ref `json:"mergedInto,omitempty"`
	MergedIntoID ID  `json:"mergedIntoId,omitempty"`
	// Version counts writes, for optimistic concurrency.
	Version  int       `json:"version"`
	Messages []Message `json:"messages,omitempty"`
	History  []Event   `json:"history,omitempty"`
}

// EventType names a change in a ticket's history.
type EventType string

// The events a ticket's history records; each becomes a notice.
const (
	EventCreated           EventType = "created"
	EventMessageAdded      EventType = "message_added"
	EventAcknowledged      EventType = "acknowledged"
	EventAssigned          EventType = "assigned"
	EventEscalated         EventType = "escalated"
	EventCallbackRequested EventType = "callback_requested"
	EventCallbackDue       EventType = "callback_due"
	EventCallbackMissed    EventType = "callback_missed"
	EventBreached          EventType = "time_limit_breached"
	EventSurveyAnswered    EventType = "survey_answered"
	EventResolved          EventType = "resolved"
	EventReopened          EventType = "reopened"
	EventClosed            EventType = "closed"
	EventReplySent         EventType = "reply_sent"
	EventNoteAdded         EventType = "note_added"
	EventTransferred       EventType = "transferred"
	EventWaiting           EventType = "waiting"
	EventResumed           EventType = "resumed"
	EventMerged            EventType = "merged"
	EventReclassified      EventType = "reclassified"
	EventWaitReminded      EventType = "wait_reminded"
	EventCallbackCancelled EventType = "callback_cancelled"
	EventCallbackOutcome   EventType = "callback_outcome"
	// EventCallbackReminded: the customer was reminded of the callback
	// (or told we tried to call).
	EventCallbackReminded EventType = "callback_reminded"
	EventSurveySent       EventType = "survey_sent"
	// EventVisitClosed: a return visit closed without a score
	// (unanswered, not visitable, surveyed recently).
	EventVisitClosed EventType = "visit_closed"
	// EventRaised: a follow-up message raised the ticket to P1.
	EventRaised EventType = "priority_raised"
	// EventCallbackAsked: the customer, who asked for a callback without a
	// usable time, was asked when suits them (or asked again).
	EventCallbackAsked EventType = "callback_asked"
)

// Event is one entry of a ticket's append-only history: who did what, when.
type Event struct {
	// ID is time-ordered and unique; notices derive their IDs from it.
	ID     string    `json:"id"`
	Type   EventType `json:"type"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Detail string    `json:"detail,omitempty"`
	// MessageID names the message the event is about, if any.
	MessageID string `json:"messageId,omitempty"`
}

// automaticPrefix marks the actor of events that automatic mail or other
// machine traffic caused (an out-of-office reply, a mailing list).
const automaticPrefix = "system:"

// AutomaticActor is the history actor for something automatic caused, with
// the reason ("auto-submitted", "list", …).
func AutomaticActor(reason string) string { return automaticPrefix + reason }

// IsAutomatic reports whether an event's actor is automatic traffic: such
// events make only low-priority notices.
func IsAutomatic(actor string) bool { return strings.HasPrefix(actor, automaticPrefix) }
