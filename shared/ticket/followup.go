package ticket

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// CallbackOp is what a callback action does.
type CallbackOp string

// The callback actions staff take.
const (
	CallbackSchedule   CallbackOp = "schedule"
	CallbackReschedule CallbackOp = "reschedule"
	CallbackCancel     CallbackOp = "cancel"
	CallbackOutcome    CallbackOp = "outcome"
)

// CallbackResult is how a callback went, as staff record it.
type CallbackResult string

// The outcomes of a callback. NoAnswer books another attempt after the
// policy's delay, until the attempts run out.
const (
	CallbackDone        CallbackResult = "done"
	CallbackNoAnswer    CallbackResult = "no_answer"
	CallbackWrongNumber CallbackResult = "wrong_number"
	CallbackDeclined    CallbackResult = "declined"
)

// CallbackStatus is where a callback stands.
type CallbackStatus string

// The statuses of a callback. Scheduled is the empty string, so windows
// stored before callbacks had statuses read as scheduled.
const (
	CallbackScheduled CallbackStatus = ""
	CallbackCompleted CallbackStatus = "done"
	CallbackCancelled CallbackStatus = "cancelled"
	// CallbackGaveUp: no answer on every attempt; the customer is told we
	// tried.
	CallbackGaveUp    CallbackStatus = "gave_up"
	CallbackBadNumber CallbackStatus = "wrong_number"
	CallbackRefused   CallbackStatus = "declined"
)

// ClaimTimeout is how long a claimed send holds its item: a run that
// claimed and then died leaves it for the next run after this.
const ClaimTimeout = 10 * time.Minute

// CallbackPolicy is how callbacks are carried out.
type CallbackPolicy struct {
	// RetryAfter is the business time from a no_answer to the next attempt.
	RetryAfter time.Duration
	// MaxAttempts counts calls, the first included, before giving up.
	MaxAttempts int
	// AgentLead is how long before the window the owning agent is
	// reminded.
	AgentLead time.Duration
	// CustomerLead is how long before the window the customer is
	// reminded, moved out of quiet hours.
	CustomerLead time.Duration
	Quiet        QuietHours
	// MaxAhead is how far ahead a callback may be booked.
	MaxAhead time.Duration
}

// DefaultCallbackPolicy: retry after 2 business hours, 3 calls, the agent
// reminded 15 minutes before, the customer 2 hours before, quiet hours
// 21:00–08:00 in the customer's zone, booked at most 14 days ahead.
var DefaultCallbackPolicy = CallbackPolicy{
	RetryAfter: 2 * time.Hour, MaxAttempts: 3, AgentLead: 15 * time.Minute,
	CustomerLead: 2 * time.Hour, Quiet: DefaultQuietHours, MaxAhead: MaxCallbackAhead,
}

// VisitPolicy is how return visits (回访) are made.
type VisitPolicy struct {
	// Kinds are the kinds visited once resolved.
	Kinds []Kind
	// Delay runs from resolution to the survey.
	Delay Span
	// AnswerWithin is how long a survey waits for its answer before the
	// visit closes as unanswered.
	AnswerWithin time.Duration
	// Every is the least time between two surveys to one customer.
	Every time.Duration
	// Quiet hours no survey goes out in, in the customer's zone.
	Quiet QuietHours
}

// DefaultVisitPolicy: repairs and complaints, one business day after
// resolution, three days to answer, one survey per customer per 30 days.
var DefaultVisitPolicy = VisitPolicy{
	Kinds: []Kind{Repair, Complaint}, Delay: Span{Days: 1, Business: true},
	AnswerWithin: 72 * time.Hour, Every: 30 * 24 * time.Hour, Quiet: DefaultQuietHours,
}

// CallbackPolicy returns the rules' callback policy, defaults filled in.
func (r *Rules) CallbackPolicy() CallbackPolicy {
	p, d := r.Callbacks, DefaultCallbackPolicy
	if p.RetryAfter <= 0 {
		p.RetryAfter = d.RetryAfter
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.AgentLead <= 0 {
		p.AgentLead = d.AgentLead
	}
	if p.CustomerLead <= 0 {
		p.CustomerLead = d.CustomerLead
	}
	if p.Quiet == (QuietHours{}) {
		p.Quiet = d.Quiet
	}
	if p.MaxAhead <= 0 {
		p.MaxAhead = d.MaxAhead
	}
	return p
}

// VisitPolicy returns the rules' return-visit policy, defaults filled in.
func (r *Rules) VisitPolicy() VisitPolicy {
	p, d := r.Visits, DefaultVisitPolicy
	if p.Kinds == nil {
		p.Kinds = d.Kinds
	}
	if p.Delay.IsZero() {
		p.Delay = d.Delay
	}
	if p.AnswerWithin <= 0 {
		p.AnswerWithin = d.AnswerWithin
	}
	if p.Every <= 0 {
		p.Every = d.Every
	}
	if p.Quiet == (QuietHours{}) {
		p.Quiet = d.Quiet
	}
	return p
}

// Scheduled reports whether the callback still waits to be made.
func (c *Callback) Scheduled() bool { return c != nil && c.Status == CallbackScheduled }

// CallbackDue reports when t's callback window starts while it is still
// to be made: the overnight planner's worklist reads these.
func (t *Ticket) CallbackDue() (time.Time, bool) {
	if !t.Status.Open() || !t.Callback.Scheduled() {
		return time.Time{}, false
	}
	return t.Callback.Start, true
}

// AgentDue reports when the owning agent is to be reminded of the
// callback.
func (t *Ticket) AgentDue() (time.Time, bool) {
	c := t.Callback
	if !t.Status.Open() || !c.Scheduled() || !c.AgentReminded.IsZero() || c.AgentAt.IsZero() {
		return time.Time{}, false
	}
	return c.AgentAt, true
}

// MissedDue reports when the callback counts as missed if no outcome is
// recorded by then: the end of its window.
func (t *Ticket) MissedDue() (time.Time, bool) {
	c := t.Callback
	if !t.Status.Open() || !c.Scheduled() || !c.Missed.IsZero() {
		return time.Time{}, false
	}
	return c.End, true
}

// CustomerDue reports when the customer is next to be messaged about the
// callback: the reminder before the window, or after the last unanswered
// attempt the message saying we tried. A claimed send is due again once
// its claim times out.
func (t *Ticket) CustomerDue() (time.Time, bool) {
	c := t.Callback
	if c == nil {
		return time.Time{}, false
	}
	var at time.Time
	switch {
	case c.Status == CallbackScheduled && t.Status.Open() && !c.RemindAt.IsZero() && c.Reminded.IsZero():
		at = c.RemindAt
	case c.Status == CallbackGaveUp && !c.TriedAt.IsZero() && c.Told.IsZero():
		at = c.TriedAt
	default:
		return time.Time{}, false
	}
	if !c.Claim.IsZero() {
		at = c.Claim.Add(ClaimTimeout)
	}
	return at, true
}

// VisitDue reports when t's return visit needs its next step: the survey
// going out, or closing it unanswered.
func (t *Ticket) VisitDue() (time.Time, bool) {
	v := t.Visit
	if v == nil || (t.Status != Resolved && t.Status != Closed && v.Status == VisitDue) {
		return time.Time{}, false
	}
	switch v.Status {
	case VisitDue:
		if !v.Claim.IsZero() {
			return v.Claim.Add(ClaimTimeout), true
		}
		return v.Due, true
	case VisitSent:
		return v.CloseAt, true
	}
	return time.Time{}, false
}

// callback decides a callback action on next.
func (r *Rules) callback(next *Ticket, req Request, ev func(EventType, string, string)) error {
	p := r.CallbackPolicy()
	at := req.At.UTC()
	switch req.Op {
	case CallbackSchedule, CallbackReschedule:
		cb, verr := r.Calendar.Callback(*req.Window, at, p.MaxAhead)
		if len(verr) > 0 {
			return &InvalidError{Problems: callbackProblems(verr)}
		}
		prev := next.Callback
		cb.Attempts = 1
		if req.Op == CallbackReschedule && prev != nil {
			cb.Attempts = prev.Attempts
		}
		r.plan(cb, at)
		next.Callback = cb
		detail := fmt.Sprintf("%s %s–%s %s", req.Op, cb.Start.Format(time.RFC3339), cb.End.Format(time.RFC3339), cb.Zone)
		ev(EventCallbackRequested, detail, "")
	case CallbackCancel:
		next.Callback.Status = CallbackCancelled
		ev(EventCallbackCancelled, "cancelled: "+req.Reason, "")
	case CallbackOutcome:
		cb := next.Callback
		cb.Outcome = req.Result
		switch req.Result {
		case CallbackDone:
			cb.Status = CallbackCompleted
			if next.AckedAt.IsZero() {
				next.AckedAt = at
			}
		case CallbackWrongNumber:
			cb.Status = CallbackBadNumber
		case CallbackDeclined:
			cb.Status = CallbackRefused
		case CallbackNoAnswer:
			if cb.Attempts >= p.MaxAttempts {
				cb.Status = CallbackGaveUp
				cb.TriedAt = at
				ev(EventCallbackOutcome, fmt.Sprintf("no_answer on attempt %d of %d: the customer is told we tried", cb.Attempts, p.MaxAttempts), "")
				return nil
			}
			length := cb.End.Sub(cb.Start)
			start := r.Calendar.Add(at, p.RetryAfter)
			_, close := r.Calendar.bounds(start)
			end := start.Add(length)
			if end.After(close) {
				end = close
			}
			if !end.After(start) {
				end = start.Add(length)
			}
			retry := &Callback{Start: start.UTC(), End: end.UTC(), Zone: cb.Zone, Attempts: cb.Attempts + 1}
			r.plan(retry, at)
			next.Callback = retry
			ev(EventCallbackOutcome, fmt.Sprintf("no_answer on attempt %d of %d: next attempt %s", cb.Attempts, p.MaxAttempts, start.Format(time.RFC3339)), "")
			return nil
		}
		ev(EventCallbackOutcome, fmt.Sprintf("%s on attempt %d", req.Result, cb.Attempts), "")
	}
	return nil
}

// PlanCallback returns a copy of cb, a window a customer asked for at at
// (the web form, words in a text), scheduled as the first attempt with
// its reminders planned; nil for nil.
func (r *Rules) PlanCallback(cb *Callback, at time.Time) *Callback {
	if cb == nil {
		return nil
	}
	c := Callback{Start: cb.Start, End: cb.End, Zone: cb.Zone, Attempts: 1}
	r.plan(&c, at.UTC())
	return &c
}

// plan sets when the agent and the customer are reminded of cb, booked
// at at. The customer's reminder goes CustomerLead before the window, or
// when that is in their quiet hours the first decent time before it: as
// quiet hours end if that leaves time, else the evening before. None is
// planned when no decent time is left.
func (r *Rules) plan(cb *Callback, at time.Time) {
	p := r.CallbackPolicy()
	cb.AgentAt = cb.Start.Add(-p.AgentLead)
	zone := QuietZone(cb.Zone, r.Calendar.Zone)
	start := cb.Start
	cands := []time.Time{start.Add(-p.CustomerLead)}
	if quiet, end := p.Quiet.Next(cands[0], zone); quiet && end.Before(start.Add(-p.AgentLead)) {
		cands = append(cands, end)
	}
	cands = append(cands, start.Add(-12*time.Hour), start.Add(-15*time.Hour))
	for _, c := range cands {
		if quiet, _ := p.Quiet.Next(c, zone); !quiet && c.After(at) {
			cb.RemindAt = c.UTC()
			return
		}
	}
	if quiet, _ := p.Quiet.Next(at, zone); !quiet && at.Before(start.Add(-p.AgentLead)) {
		cb.RemindAt = at.UTC()
	}
}

func callbackProblems(v ValidationError) []string {
	out := make([]string, 0, len(v))
	for _, f := range v {
		msg := f.Field + ": " + callbackCodeText[f.Code]
		if msg == f.Field+": " {
			msg = f.Field + ": " + f.Code
		}
		var args []string
		for _, k := range []string{"hours", "zone", "latest", "localNow", "time", "date", "timeZone"} {
			if v, ok := f.Args[k]; ok {
				args = append(args, k+" "+v)
			}
		}
		if len(args) > 0 {
			msg += " (" + strings.Join(args, ", ") + ")"
		}
		out = append(out, msg)
	}
	return out
}

// callbackCodeText says what a callback refusal means, for staff.
var callbackCodeText = map[string]string{
	CodeZone:         "not an IANA time zone",
	CodeDate:         "not a date YYYY-MM-DD",
	CodeTime:         "not a time HH:MM",
	CodeWindow:       "the window must end after it starts",
	CodePast:         "the window has begun or passed",
	CodeTooFar:       "too far ahead",
	CodeOutsideHours: "outside business hours",
	CodeTimeSkipped:  "the clocks skip this time that day: pick another",
	CodeTimeRepeated: "the clocks pass this time twice that day: pick another",
}

// VisitStatus is where a return visit stands.
type VisitStatus string

// The statuses of a return visit.
const (
	VisitDue        VisitStatus = "due"
	VisitSent       VisitStatus = "sent"
	VisitAnswered   VisitStatus = "answered"
	VisitUnanswered VisitStatus = "unanswered"
	// VisitNotVisitable: the customer cannot be reached (opted out, an
	// undeliverable address, no contact detail); counted, not skipped.
	VisitNotVisitable VisitStatus = "not_visitable"
	// VisitRecent: the customer was surveyed within the policy's Every.
	VisitRecent VisitStatus = "recently_surveyed"
)

// Visit is a ticket's return visit (回访): the satisfaction survey after a
// repair or complaint is resolved.
type Visit struct {
	Status VisitStatus `json:"status"`
	// Due is when the survey goes out; CloseAt when it closes unanswered.
	Due     time.Time `json:"due"`
	CloseAt time.Time `json:"closeAt,omitzero"`
	// Claim is set while a run sends the survey.
	Claim  time.Time `json:"claim,omitzero"`
	SentAt time.Time `json:"sentAt,omitzero"`
	// MessageID and ProviderID name the survey as sent.
	MessageID  string    `json:"messageId,omitempty"`
	ProviderID string    `json:"providerId,omitempty"`
	Score      int       `json:"score,omitempty"`
	Comment    string    `json:"comment,omitempty"`
	AnsweredAt time.Time `json:"answeredAt,omitzero"`
	Reason     string    `json:"reason,omitempty"`
}

// planVisit books t's return visit when it is resolved at at: once per
// ticket, for the kinds the policy visits, the policy's delay later.
func (r *Rules) planVisit(t *Ticket, at time.Time) {
	p := r.VisitPolicy()
	if t.Visit != nil || !slices.Contains(p.Kinds, t.Kind) {
		return
	}
	t.Visit = &Visit{Status: VisitDue, Due: p.Delay.After(r.Calendar, at).UTC()}
}

// VisitSendTime returns when a survey due at at may go out: at itself,
// or the end of the customer's quiet hours.
func (r *Rules) VisitSendTime(t *Ticket, at time.Time) time.Time {
	zone := r.Calendar.Zone
	if t.Callback != nil {
		zone = QuietZone(t.Callback.Zone, zone)
	}
	_, next := r.VisitPolicy().Quiet.Next(at, zone)
	return next
}

// AnswerVisit records a customer's survey answer on t at at. A score of
// 1 or 2 reopens the ticket and escalates it to the supervisor. It
// returns false when t has no survey waiting for an answer.
func (r *Rules) AnswerVisit(t *Ticket, a SurveyAnswer, at time.Time, actor string) (*Ticket, []Event, bool) {
	v := t.Visit
	if v == nil || (v.Status != VisitSent && v.Status != VisitUnanswered) {
		return t, nil, false
	}
	at = at.UTC()
	next := t.Clone()
	next.Version++
	if at.After(next.UpdatedAt) {
		next.UpdatedAt = at
	}
	nv := *v
	nv.Status, nv.Score, nv.Comment, nv.AnsweredAt = VisitAnswered, a.Score, a.Comment, at
	next.Visit = &nv
	var events []Event
	ev := func(typ EventType, detail string) {
		events = append(events, Event{ID: string(NewID(at)), Type: typ, At: at, Actor: actor, Detail: detail})
	}
	ev(EventSurveyAnswered, fmt.Sprintf("score=%d", a.Score))
	if a.Score <= 2 {
		if next.Status == Resolved || next.Status == Closed {
			r.reopen(next, at)
			ev(EventReopened, fmt.Sprintf("survey score %d of 5", a.Score))
		}
		next.EscalationLevel = max(next.EscalationLevel, LevelSupervisor)
		ev(EventEscalated, fmt.Sprintf("level %d supervisor: survey score %d of 5", LevelSupervisor, a.Score))
		r.Clocks(next)
	}
	return next, events, true
}
