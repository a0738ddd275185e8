package outbound

import "time"

// QuietHours is the part of the customer's day in which no text goes out
// for a purpose that respects it: from Start to End of the next morning,
// both as time of day in the customer's zone.
type QuietHours struct {
	Start time.Duration
	End   time.Duration
}

// DefaultQuietHours are 21:00–08:00, DOMAIN's default.
var DefaultQuietHours = QuietHours{Start: 21 * time.Hour, End: 8 * time.Hour}

// NextAllowed returns the first instant at or after at at which a message
// may reach a customer in zone (UTC when nil) outside quiet hours q: at
// itself when it is outside them, otherwise the end of the quiet hours in
// the customer's local morning. A zero q (Start == End) is never quiet.
// Clock changes are the zone's: a morning that skips or repeats an hour
// still answers the wall-clock End of that day, as time.Date reads it.
func NextAllowed(at time.Time, zone *time.Location, q QuietHours) time.Time {
	if zone == nil {
		zone = time.UTC
	}
	if q.Start == q.End {
		return at
	}
	local := at.In(zone)
	y, m, d := local.Date()
	// Wall-clock time of day, not time since midnight: a day with a clock
	// change is read as its clocks show it.
	clock := time.Duration(local.Hour())*time.Hour + time.Duration(local.Minute())*time.Minute +
		time.Duration(local.Second())*time.Second + time.Duration(local.Nanosecond())
	end := func(day int) time.Time {
		h, rest := int(q.End/time.Hour), q.End%time.Hour
		return time.Date(y, m, d+day, h, 0, 0, 0, zone).Add(rest)
	}
	if q.Start < q.End {
		// Quiet within one day (say 12:00–14:00).
		if clock >= q.Start && clock < q.End {
			return end(0)
		}
		return at
	}
	switch {
	case clock >= q.Start:
		return end(1)
	case clock < q.End:
		return end(0)
	}
	return at
}

// Quiet reports whether at falls in the quiet hours of a customer in zone.
func Quiet(at time.Time, zone *time.Location, q QuietHours) bool {
	return !NextAllowed(at, zone, q).Equal(at)
}
