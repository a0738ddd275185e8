// Package notice tells staff about ticket events. The ticket table is the
// outbox: every history event is its own item, written in the same
// transaction as the change it records, and carries a snapshot of the
// ticket. The notifier reads those items from the table's stream, builds a
// versioned JSON notice with filterable SNS message attributes, and
// publishes it to one topic with PublishBatch.
//
// A notice leaves Frontdesk for mailboxes and systems outside its control,
// so it carries only what Frontdesk itself wrote — reference, kind,
// priority, channel, queue, time limits, VIP flag, the rule keywords that
// classified the ticket, a link for staff — and never a word the customer
// wrote: no summary, no subject, no message, no contact. Masking free text
// for phone numbers and addresses cannot be made safe, so nothing is
// masked; it is left out.
package notice

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Version is the notice schema version. Fields are only ever added within
// a version; a field that changes meaning or goes away bumps it. Version 2
// dropped the masked summary and added the rule keywords.
const Version = 2

// Limits on what a notice carries, in runes.
const (
	MaxDetail   = 200
	maxActor    = 100
	maxKeywords = 10
	maxLink     = 2000
)

// Notice is what staff and other systems receive for one ticket event.
// The README documents the schema.
type Notice struct {
	Version int `json:"version"`
	// ID is the history event's ID: the same stream record always gives
	// the same notice ID, so consumers can drop replays.
	ID    string           `json:"id"`
	Event ticket.EventType `json:"event"`
	At    time.Time        `json:"at"`
	// Actor is who caused the event as Frontdesk names it: "customer",
	// "frontdesk", "staff:<subject>", "system:<reason>".
	Actor string `json:"actor,omitempty"`
	// Detail is the event's detail where Frontdesk composed it (see
	// composedDetail); absent otherwise.
	Detail string `json:"detail,omitempty"`
	// Ticket fields, as they stood when the event happened.
	TicketID        ticket.ID      `json:"ticketId"`
	Ref             ticket.Ref     `json:"ref"`
	Kind            ticket.Kind    `json:"kind"`
	Priority        string         `json:"priority"`
	Channel         ticket.Channel `json:"channel"`
	Owner           string         `json:"owner"`
	Status          ticket.Status  `json:"status"`
	VIP             bool           `json:"vip"`
	AccountManager  string         `json:"accountManager,omitempty"`
	EscalationLevel int            `json:"escalationLevel"`
	CreatedAt       time.Time      `json:"createdAt"`
	AckBy           time.Time      `json:"ackBy,omitzero"`
	ResolveBy       time.Time      `json:"resolveBy,omitzero"`
	Callback        *Callback      `json:"callback,omitempty"`
	// Keywords are the rules file's keywords that classified the ticket
	// (empty when the customer's chosen kind decided alone).
	Keywords []string `json:"keywords"`
	// Urgent is set when a P1 must page someone at any hour: once per
	// escalation level (opened or raised to P1, escalated), not for the
	// replies and messages in between (ticket.Pages).
	Urgent bool `json:"urgent"`
	// Automatic is set when automatic traffic caused the event (an
	// out-of-office reply on the ticket, say): the notice is never urgent
	// and its priority attribute is P4, whatever the ticket's priority.
	Automatic bool `json:"automatic,omitempty"`
	// Targets says who the notice is for: "owner:<queue>" always, and
	// "accountManager:<name>" for a VIP ticket with an account manager.
	Targets []string `json:"targets"`
	// Link opens the ticket in the operator's console.
	Link string `json:"link,omitempty"`
}

// Callback is a requested callback window (no phone number: the console
// has it).
type Callback struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Zone  string    `json:"timeZone"`
}

// Events lists every event type a notice is built for.
var Events = []ticket.EventType{
	ticket.EventCreated, ticket.EventMessageAdded, ticket.EventAcknowledged, ticket.EventAssigned,
	ticket.EventEscalated, ticket.EventCallbackRequested, ticket.EventCallbackDue, ticket.EventCallbackMissed,
	ticket.EventBreached, ticket.EventSurveyAnswered, ticket.EventResolved, ticket.EventReopened,
	ticket.EventClosed, ticket.EventReplySent,
	// The day sweep's: the customer reminded of a callback, the survey
	// sent, the return visit closed (unanswered, not visitable).
	ticket.EventCallbackReminded, ticket.EventSurveySent, ticket.EventVisitClosed,
}

// Builder makes notices. Its zero value makes notices without links.
type Builder struct {
	// Link is the console URL of a ticket with "{ref}" or "{id}" where the
	// ticket's reference or ID goes, e.g.
	// "https://console.example.com/tickets/{ref}".
	Link string
}

// ErrLinkTemplate reports a link template that cannot make links.
var ErrLinkTemplate = errors.New("link template must be an absolute http(s) URL containing {ref} or {id}")

// NewBuilder checks the link template (empty: no links).
func NewBuilder(link string) (Builder, error) {
	if link == "" {
		return Builder{}, nil
	}
	if len(link) > maxLink || !(strings.Contains(link, "{ref}") || strings.Contains(link, "{id}")) {
		return Builder{}, ErrLinkTemplate
	}
	u, err := url.Parse(strings.NewReplacer("{ref}", "x", "{id}", "x").Replace(link))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Builder{}, ErrLinkTemplate
	}
	return Builder{Link: link}, nil
}

// ErrIncomplete reports an event or snapshot that lacks what every notice
// needs.
var ErrIncomplete = errors.New("event or ticket snapshot incomplete")

// Build makes the notice for event e of ticket t (the snapshot stored with
// the event). It copies no text the customer wrote: not the contact, the
// summary, a subject or a message.
func (b Builder) Build(e ticket.Event, t ticket.Ticket) (Notice, error) {
	if e.ID == "" || !validType(e.Type) || t.ID == "" || t.Ref == "" {
		return Notice{}, fmt.Errorf("build notice for event %q of ticket %q: %w", e.ID, t.Ref, ErrIncomplete)
	}
	n := Notice{
		Version:         Version,
		ID:              e.ID,
		Event:           e.Type,
		At:              e.At.UTC(),
		Actor:           cut(e.Actor, maxActor),
		Detail:          composedDetail(e),
		TicketID:        t.ID,
		Ref:             t.Ref,
		Kind:            t.Kind,
		Priority:        t.Priority.String(),
		Channel:         t.Channel,
		Owner:           t.Owner,
		Status:          t.Status,
		VIP:             t.VIP,
		EscalationLevel: t.EscalationLevel,
		CreatedAt:       t.CreatedAt.UTC(),
		AckBy:           t.AckBy.UTC(),
		ResolveBy:       t.ResolveBy.UTC(),
		Keywords:        keywords(t.Keywords),
		Urgent:          ticket.Pages(e, t),
		Automatic:       ticket.IsAutomatic(e.Actor),
		Targets:         []string{"owner:" + t.Owner},
	}
	if t.VIP && t.AccountManager != "" {
		n.AccountManager = t.AccountManager
		n.Targets = append(n.Targets, "accountManager:"+t.AccountManager)
	}
	if t.Callback != nil {
		n.Callback = &Callback{Start: t.Callback.Start.UTC(), End: t.Callback.End.UTC(), Zone: t.Callback.Zone}
	}
	n.Link = b.link(t.Ref, t.ID)
	return n, nil
}

// validType accepts event types as the domain writes them: lower-case
// words joined by underscores. Types added later pass through unchanged.
func validType(t ticket.EventType) bool {
	if len(t) == 0 || len(t) > 40 {
		return false
	}
	for _, c := range []byte(t) {
		if (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

// composed lists the events whose detail Frontdesk's own code writes
// (classification, survey score, callback window, why a ticket reopened,
// what was sent). Other events — a resolution, an escalation — may carry
// a note a person typed, which may quote the customer, so their detail
// stays out of notices.
var composed = map[ticket.EventType]bool{
	ticket.EventCreated: true, ticket.EventCallbackRequested: true, ticket.EventSurveyAnswered: true,
	ticket.EventReopened: true, ticket.EventReplySent: true,
	// The day sweep's: windows, attempts, the agent, why a visit closed.
	ticket.EventCallbackDue: true, ticket.EventCallbackMissed: true, ticket.EventCallbackReminded: true,
	ticket.EventSurveySent: true, ticket.EventVisitClosed: true,
}

func composedDetail(e ticket.Event) string {
	if !composed[e.Type] {
		return ""
	}
	return cut(e.Detail, MaxDetail)
}

// keywords copies at most maxKeywords rule keywords; never nil, so the
// field is always present.
func keywords(ks []string) []string {
	out := make([]string, 0, min(len(ks), maxKeywords))
	for _, k := range ks[:min(len(ks), maxKeywords)] {
		out = append(out, cut(k, maxActor))
	}
	return out
}

// cut shortens s to max runes, ending in an ellipsis when cut.
func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// Attribute names for subscription filter policies.
const (
	AttrEvent           = "event"
	AttrKind            = "kind"
	AttrPriority        = "priority"
	AttrChannel         = "channel"
	AttrOwner           = "owner"
	AttrVIP             = "vip"
	AttrEscalationLevel = "escalationLevel"
	AttrUrgent          = "urgent"
	AttrAutomatic       = "automatic"
	AttrAccountManager  = "accountManager"
)

// Attribute is one SNS message attribute: DataType "String" or "Number".
type Attribute struct {
	DataType string
	Value    string
}

// Attributes returns the message attributes subscriptions filter on.
// Empty values are left out (SNS refuses them).
func (n Notice) Attributes() map[string]Attribute {
	str := func(v string) Attribute { return Attribute{DataType: "String", Value: v} }
	a := map[string]Attribute{
		AttrEvent:           str(string(n.Event)),
		AttrKind:            str(string(n.Kind)),
		AttrPriority:        str(n.Priority),
		AttrChannel:         str(string(n.Channel)),
		AttrOwner:           str(n.Owner),
		AttrVIP:             str(strconv.FormatBool(n.VIP)),
		AttrUrgent:          str(strconv.FormatBool(n.Urgent)),
		AttrEscalationLevel: {DataType: "Number", Value: strconv.Itoa(n.EscalationLevel)},
		AttrAccountManager:  str(n.AccountManager),
	}
	if n.Automatic {
		// Filter policies route by priority: automatic traffic must not
		// page anyone, so it is routed as the lowest.
		a[AttrPriority] = str(ticket.P4.String())
		a[AttrAutomatic] = str("true")
	}
	for k, v := range a {
		if v.Value == "" {
			delete(a, k)
		}
	}
	return a
}
