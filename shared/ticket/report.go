package ticket

import (
	"strconv"
	"time"
)

// Tally is one increment of a daily report counter: Counter on the local
// Day (YYYY-MM-DD in the business's time zone) goes up by N.
type Tally struct {
	Day     string
	Counter string
	N       int
}

// Daily report counters. Contacts and kinds are counted per channel and
// kind: "contacts.sms", "kind.repair".
const (
	CountAcked           = "acked"
	CountAckedInLimit    = "ackedInLimit"
	CountResolved        = "resolved"
	CountResolvedInLimit = "resolvedInLimit"
	// CountOpenDelta is the day's change in open tickets: open at the end
	// of a day is the open count now less the deltas of the days since.
	CountOpenDelta = "openDelta"
	// CountEscalations is followed by the level: "escalations.1".
	CountEscalations = "escalations."
)

// Follow-up counters of the daily digest, each counted on the local day
// the thing happened: callbacks staff recorded done, callbacks found
// missed (the window ended without an outcome); return visits sent,
// closed unsent because the customer cannot be reached (not visitable) or
// was surveyed recently, answered, and answered satisfied (a score of 4
// or 5).
const (
	CountCallbacksDone     = "callbacks.done"
	CountCallbacksMissed   = "callbacks.missed"
	CountVisitsSent        = "visits.sent"
	CountVisitsUnreachable = "visits.notVisitable"
	CountVisitsRecent      = "visits.recentlySurveyed"
	CountVisitsAnswered    = "visits.answered"
	CountVisitsSatisfied   = "visits.satisfied"
)

// Satisfied reports whether a survey score counts as satisfied (4–5).
func Satisfied(score int) bool { return score >= 4 }

// Count returns the report increments a change makes: prev is the ticket
// as it was (nil for a new one), next as it is now. Counting from the
// change itself, in the transaction that writes it, keeps reports exact
// without ever reading the table.
func Count(prev, next *Ticket, zone *time.Location) []Tally {
	if zone == nil {
		zone = time.UTC
	}
	day := func(t time.Time) string { return t.In(zone).Format(time.DateOnly) }
	var out []Tally
	add := func(at time.Time, c string, n int) { out = append(out, Tally{Day: day(at), Counter: c, N: n}) }
	if prev == nil {
		add(next.CreatedAt, "contacts."+string(next.Channel), 1)
		add(next.CreatedAt, "kind."+string(next.Kind), 1)
		if next.Status.Open() {
			add(next.CreatedAt, CountOpenDelta, 1)
		}
		prev = &Ticket{Status: New}
	}
	if prev.AckedAt.IsZero() && !next.AckedAt.IsZero() {
		add(next.AckedAt, CountAcked, 1)
		if !next.AckedAt.After(next.AckBy) {
			add(next.AckedAt, CountAckedInLimit, 1)
		}
	}
	switch {
	case prev.Status.Open() && !next.Status.Open():
		add(next.UpdatedAt, CountOpenDelta, -1)
		if next.Status == Resolved && !next.ResolvedAt.IsZero() {
			add(next.ResolvedAt, CountResolved, 1)
			if next.ResolveBy.IsZero() || !next.ResolvedAt.After(next.ResolveBy) {
				add(next.ResolvedAt, CountResolvedInLimit, 1)
			}
		}
	case !prev.Status.Open() && next.Status.Open():
		add(next.UpdatedAt, CountOpenDelta, 1)
	}
	countFollowUps(prev, next, add)
	for _, e := range next.Escalations {
		was := 0
		for _, p := range prev.Escalations {
			if p.Due == e.Due && p.Deadline.Equal(e.Deadline) {
				was = p.Level
			}
		}
		for l := was + 1; l <= e.Level; l++ {
			add(e.At, CountEscalations+strconv.Itoa(l), 1)
		}
	}
	return out
}

// countFollowUps adds the callback and return-visit counters a change
// makes.
func countFollowUps(prev, next *Ticket, add func(at time.Time, c string, n int)) {
	var was Callback
	if prev.Callback != nil {
		was = *prev.Callback
	}
	if cb := next.Callback; cb != nil {
		if cb.Status == CallbackCompleted && was.Status != CallbackCompleted {
			add(next.UpdatedAt, CountCallbacksDone, 1)
		}
		if !cb.Missed.IsZero() && !cb.Missed.Equal(was.Missed) {
			add(cb.Missed, CountCallbacksMissed, 1)
		}
	}
	var wasV Visit
	if prev.Visit != nil {
		wasV = *prev.Visit
	}
	v := next.Visit
	if v == nil {
		return
	}
	if !v.SentAt.IsZero() && wasV.SentAt.IsZero() {
		add(v.SentAt, CountVisitsSent, 1)
	}
	if v.Status != wasV.Status {
		switch v.Status {
		case VisitNotVisitable:
			add(next.UpdatedAt, CountVisitsUnreachable, 1)
		case VisitRecent:
			add(next.UpdatedAt, CountVisitsRecent, 1)
		}
	}
	if !v.AnsweredAt.IsZero() && wasV.AnsweredAt.IsZero() {
		add(v.AnsweredAt, CountVisitsAnswered, 1)
		if Satisfied(v.Score) {
			add(v.AnsweredAt, CountVisitsSatisfied, 1)
		}
	}
}
