package ticket

import (
	"fmt"
	"time"
)

// Between returns the business time from a to b (zero when b is not after
// a): the inverse of Add.
func (c Calendar) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if c.Close <= c.Open {
		return b.Sub(a)
	}
	var d time.Duration
	cur := c.nextOpen(a)
	for i := 0; cur.Before(b) && i < 3660; i++ {
		_, close := c.bounds(cur)
		end := close
		if b.Before(end) {
			end = b
		}
		d += end.Sub(cur)
		cur = c.nextOpen(close)
	}
	return d
}

// DefaultWaitSpan is how long a ticket waits on a silent customer before
// the reminder, and again before it resolves itself.
var DefaultWaitSpan = Span{Days: 3, Business: true}

// WaitSpan returns how long a wait on the customer lasts before each step
// (DefaultWaitSpan unless the rules set Wait).
func (r *Rules) WaitSpan() Span {
	if !r.Wait.IsZero() {
		return r.Wait
	}
	return DefaultWaitSpan
}

// spans returns the acknowledge and resolve limits of a ticket of kind k
// at priority p: the major resolve limit for major repairs, the
// emergency limits for anything raised to P1.
func (r *Rules) spans(k Kind, p Priority, major bool) (ack, resolve Span) {
	rule := r.byKind[k]
	if rule == nil {
		rule = r.byKind[Other]
	}
	ack, resolve = rule.Ack, rule.Resolve
	if major && !rule.ResolveMajor.IsZero() {
		resolve = rule.ResolveMajor
	}
	if p == P1 && k != Emergency {
		em := r.byKind[Emergency]
		ack, resolve = em.Ack, em.Resolve
	}
	return ack, resolve
}

// Clocks sets t's limits from its kind, priority, major flag, clock start
// and pauses, so that any change to them (a reclassification, a resumed
// wait) recomputes both limits the same way: the resolve limit moves by
// the time paused, counted as the limit counts (business time for
// business limits). It also sets when the next escalation falls due.
func (r *Rules) Clocks(t *Ticket) {
	start := t.ClockStart
	if start.IsZero() {
		start = t.CreatedAt
	}
	ackSpan, resSpan := r.spans(t.Kind, t.Priority, t.Major)
	t.AckBy = ackSpan.After(r.Calendar, start)
	t.ResolveBy = time.Time{}
	if !resSpan.IsZero() {
		base := resSpan.After(r.Calendar, start)
		var paused time.Duration
		for _, p := range t.Pauses {
			if resSpan.Business {
				paused += r.Calendar.Between(p.Since, p.Until)
			} else {
				paused += p.Until.Sub(p.Since)
			}
		}
		switch {
		case paused <= 0:
			t.ResolveBy = base
		case resSpan.Business:
			t.ResolveBy = r.Calendar.Add(base, paused)
		default:
			t.ResolveBy = base.Add(paused).UTC()
		}
	}
	t.EscalateAt = nextEscalation(t)
}

// Breach is a limit that passed while it still applied.
type Breach struct {
	// Due is "ack" or "resolve".
	Due      string
	Deadline time.Time
}

// Due kinds of a ticket's limits.
const (
	DueAck     = "ack"
	DueResolve = "resolve"
)

// AckDue reports whether t still owes a first response, and by when.
func (t *Ticket) AckDue() (time.Time, bool) {
	unacked := (t.Status == New || t.Status == Reopened) && t.AckedAt.IsZero()
	return t.AckBy, unacked && !t.AckBy.IsZero()
}

// ResolveDue reports whether t's resolve clock is running, and when it
// ends. It does not run while paused: while the ticket waits, or while
// the last word is staff's.
func (t *Ticket) ResolveDue() (time.Time, bool) {
	return t.ResolveBy, t.Status.Open() && t.Pause == nil && !t.ResolveBy.IsZero()
}

// Breaches returns the limits of t that had passed at now and still
// apply.
func (t *Ticket) Breaches(now time.Time) []Breach {
	var out []Breach
	if at, on := t.AckDue(); on && !now.Before(at) {
		out = append(out, Breach{Due: DueAck, Deadline: at})
	}
	if at, on := t.ResolveDue(); on && !now.Before(at) {
		out = append(out, Breach{Due: DueResolve, Deadline: at})
	}
	return out
}

// Escalation is one breached limit and how far up the ladder it went.
type Escalation struct {
	Due      string    `json:"due"`
	Deadline time.Time `json:"deadline"`
	// Level: 1 the supervisor was told (on the breach), 2 the senior
	// manager (a further delay later).
	Level int       `json:"level"`
	At    time.Time `json:"at"`
	// Next is when level 2 falls due.
	Next time.Time `json:"next,omitzero"`
}

// The escalation ladder: the owner is responsible from the start; a
// breach goes to the supervisor, and a further delay later to the senior
// manager.
const (
	LevelSupervisor = 1
	LevelManager    = 2
)

// Ladder is how breaches climb.
type Ladder struct {
	// ManagerAfter is the delay after a breach before the senior manager
	// is told.
	ManagerAfter time.Duration
}

// DefaultManagerAfter is the default delay from a breach to the senior
// manager.
const DefaultManagerAfter = 4 * time.Hour

// current reports whether e is about a limit that still applies to t.
func current(t *Ticket, e Escalation) bool {
	var at time.Time
	var on bool
	switch e.Due {
	case DueAck:
		at, on = t.AckDue()
	case DueResolve:
		at, on = t.ResolveDue()
	}
	return on && at.Equal(e.Deadline)
}

func nextEscalation(t *Ticket) time.Time {
	var next time.Time
	for _, e := range t.Escalations {
		if e.Level < LevelManager && !e.Next.IsZero() && current(t, e) && (next.IsZero() || e.Next.Before(next)) {
			next = e.Next
		}
	}
	return next
}

// Escalate climbs the ladder for t at now: each breach that still
// applies goes up one level when due, once per level. It returns the
// events to record and false when nothing is due, so a sweep run twice
// changes nothing the second time. actor is the sweep's name in history.
func (l Ladder) Escalate(t *Ticket, now time.Time, actor string) (*Ticket, []Event) {
	delay := l.ManagerAfter
	if delay <= 0 {
		delay = DefaultManagerAfter
	}
	now = now.UTC()
	next := t.Clone()
	var events []Event
	ev := func(typ EventType, detail string) {
		events = append(events, Event{ID: string(NewID(now)), Type: typ, At: now, Actor: actor, Detail: detail})
	}
	for _, b := range t.Breaches(now) {
		i := -1
		for j, e := range next.Escalations {
			if e.Due == b.Due && e.Deadline.Equal(b.Deadline) {
				i = j
			}
		}
		if i < 0 {
			next.Escalations = append(next.Escalations, Escalation{
				Due: b.Due, Deadline: b.Deadline, Level: LevelSupervisor, At: now, Next: b.Deadline.Add(delay),
			})
			next.EscalationLevel = max(next.EscalationLevel, LevelSupervisor)
			ev(EventBreached, fmt.Sprintf("%s limit %s passed; owner %s", b.Due, b.Deadline.Format(time.RFC3339), orNone(ownerOf(t))))
			ev(EventEscalated, fmt.Sprintf("level %d supervisor: %s limit passed", LevelSupervisor, b.Due))
			continue
		}
		e := &next.Escalations[i]
		if e.Level < LevelManager && !e.Next.IsZero() && !now.Before(e.Next) {
			e.Level, e.At, e.Next = LevelManager, now, time.Time{}
			next.EscalationLevel = max(next.EscalationLevel, LevelManager)
			ev(EventEscalated, fmt.Sprintf("level %d senior manager: %s limit passed %s ago", LevelManager, b.Due, now.Sub(b.Deadline).Round(time.Minute)))
		}
	}
	if len(events) == 0 {
		return t, nil
	}
	next.Version++
	next.EscalateAt = nextEscalation(next)
	return next, events
}

func ownerOf(t *Ticket) string {
	if t.Agent != "" {
		return t.Agent
	}
	return t.Owner
}

// Pages reports whether event e of ticket t (as it stood after e) should
// page someone: a P1 pages once per escalation level — when it is opened
// or raised to P1, and at each escalation — never for the replies and
// messages in between.
func Pages(e Event, t Ticket) bool {
	if t.Priority != P1 || IsAutomatic(e.Actor) {
		return false
	}
	switch e.Type {
	case EventCreated, EventEscalated, EventRaised:
		return true
	}
	return false
}

// WaitStep moves a wait on a silent customer on at now: the first time
// its span passes the customer is reminded (remind is true: the caller
// sends the reminder), the second time the ticket resolves itself. It
// returns t unchanged and no events when nothing is due.
func (r *Rules) WaitStep(t *Ticket, now time.Time, actor string) (next *Ticket, events []Event, remind bool) {
	p := t.Pause
	if !t.Status.Open() || p == nil || p.Reason != PauseWait || p.On != OnCustomer || p.Due.IsZero() || now.Before(p.Due) {
		return t, nil, false
	}
	now = now.UTC()
	next = t.Clone()
	next.Version++
	ev := func(typ EventType, detail string) {
		events = append(events, Event{ID: string(NewID(now)), Type: typ, At: now, Actor: actor, Detail: detail})
	}
	if p.Reminded.IsZero() {
		next.Pause.Reminded = now
		next.Pause.Due = r.WaitSpan().After(r.Calendar, now)
		ev(EventWaitReminded, "no answer from the customer since "+p.Since.Format(time.RFC3339))
		return next, events, true
	}
	r.resolve(next, now)
	next.Resolution, next.Fault = "no answer from the customer", FaultNobody
	r.Clocks(next)
	ev(EventResolved, "no answer from the customer after the reminder")
	return next, events, false
}

// WaitDue reports whether a wait on the customer needs a step, and when.
func (t *Ticket) WaitDue() (time.Time, bool) {
	p := t.Pause
	if !t.Status.Open() || p == nil || p.Reason != PauseWait || p.Due.IsZero() {
		return time.Time{}, false
	}
	return p.Due, true
}

// FollowUp checks a person's follow-up message on t against the emergency
// rules, like a new contact: an emergency word raises the ticket to P1
// with the emergency desk as owner and emergency limits counted from at,
// to be acknowledged again. It never lowers a priority. It reports
// whether it raised the ticket, with the event that records it.
func (r *Rules) FollowUp(t *Ticket, text string, at time.Time, actor string) (Event, bool) {
	if t.Priority == P1 || !t.Status.Open() {
		return Event{}, false
	}
	c := r.Classify(t.Kind, text, false)
	if !c.EmergencyWord && c.Kind != Emergency {
		return Event{}, false
	}
	at = at.UTC()
	from := t.Priority.String() + " " + t.Owner
	em := r.byKind[Emergency]
	if t.Pause != nil {
		r.resume(t, at)
	}
	t.Priority, t.Owner = P1, em.Queue
	t.Status, t.AckedAt = New, time.Time{}
	t.ClockStart, t.Pauses = at, nil
	r.Clocks(t)
	return Event{ID: string(NewID(at)), Type: EventRaised, At: at, Actor: actor,
		Detail: "emergency keyword in a follow-up: " + from + " → P1 " + em.Queue}, true
}
