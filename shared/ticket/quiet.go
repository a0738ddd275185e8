package ticket

import (
	"fmt"
	"strings"
	"time"
)

// QuietHours is the part of every local night when no customer SMS goes out
// unless it is an emergency. Start and End are minutes after local midnight;
// a Start later than End wraps midnight (21:00–08:00). Start equal to End
// means no quiet hours at all.
type QuietHours struct {
	Start, End int
}

// DefaultQuietHours is 21:00–08:00 in the customer's own zone.
var DefaultQuietHours = QuietHours{Start: 21 * 60, End: 8 * 60}

// ParseQuietHours reads "21:00-08:00" (an en dash or "~" also separates).
func ParseQuietHours(s string) (QuietHours, error) {
	s = strings.NewReplacer("–", "-", "~", "-", " ", "").Replace(s)
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return QuietHours{}, fmt.Errorf("quiet hours %q are not HH:MM-HH:MM", s)
	}
	start, err := parseClock(from)
	if err != nil {
		return QuietHours{}, fmt.Errorf("quiet hours start: %w", err)
	}
	end, err := parseClock(to)
	if err != nil {
		return QuietHours{}, fmt.Errorf("quiet hours end: %w", err)
	}
	return QuietHours{Start: start, End: end}, nil
}

// String returns the quiet hours as "21:00–08:00".
func (q QuietHours) String() string { return clock(q.Start) + "–" + clock(q.End) }

// QuietZone is the zone quiet hours are kept in: the customer's own IANA zone
// when known and valid, else the business's zone.
func QuietZone(customer string, business *time.Location) *time.Location {
	if customer == "" || customer == "Local" {
		return business
	}
	z, err := time.LoadLocation(customer)
	if err != nil {
		return business
	}
	return z
}

// Next reports whether t falls in quiet hours in zone, and the first instant
// at or after t when a message may go out (t itself when it is not quiet).
//
// A quiet night is the stretch from the first instant the local clock shows
// Start to the first instant after that it shows End. On clock-change nights
// that is what the customer's wall clock says: quiet hours ending at 01:30
// end at the first 01:30 of a night that repeats the hour, and a Start or End
// inside a skipped hour is reached the moment the clock jumps past it.
func (q QuietHours) Next(t time.Time, zone *time.Location) (quiet bool, next time.Time) {
	if q.Start == q.End {
		return false, t
	}
	local := t.In(zone)
	y, m, d := local.Date()
	// The night holding t began on its local date or, for a night wrapping
	// midnight, on the day before.
	for back := 0; back <= 1; back++ {
		start := firstAtOrAfterWall(y, m, d-back, q.Start, zone)
		endDay := d - back
		if q.End < q.Start {
			endDay++
		}
		end := firstAtOrAfterWall(y, m, endDay, q.End, zone)
		if !t.Before(start) && t.Before(end) {
			return true, end
		}
	}
	return false, t
}

// firstAtOrAfterWall returns the first instant whose local wall clock on the
// date y-m-d (normalized, so d may be 0 or 32) reaches min minutes after
// midnight. A wall time shown twice gives its first occurrence; one skipped by
// a clock change gives the instant the clock jumped over it.
func firstAtOrAfterWall(y int, m time.Month, d, min int, zone *time.Location) time.Time {
	if t, ok := wallInstant(y, m, d, min, zone); ok {
		return t
	}
	// In a gap: read with the offset of the day before, the wall time lands
	// after the jump, in the zone period that the jump starts.
	_, before := time.Date(y, m, d-1, min/60, min%60, 0, 0, zone).Zone()
	after := time.Date(y, m, d, min/60, min%60, 0, 0, time.UTC).Add(-time.Duration(before) * time.Second)
	start, _ := after.In(zone).ZoneBounds()
	return start
}

// wallInstant returns the earliest instant whose local wall clock in zone
// shows the date y-m-d (normalized) at min minutes after midnight, and false
// when a clock change skips that wall time. time.Date alone picks either
// occurrence of a repeated time depending on the zone, so the candidates are
// worked out from the offsets in force around it.
func wallInstant(y int, m time.Month, d, min int, zone *time.Location) (time.Time, bool) {
	wall := time.Date(y, m, d, min/60, min%60, 0, 0, time.UTC)
	want := wall.Format("2006-01-02 15:04")
	guess := time.Date(y, m, d, min/60, min%60, 0, 0, zone)
	var best time.Time
	for _, probe := range []time.Time{guess.Add(-24 * time.Hour), guess, guess.Add(24 * time.Hour)} {
		_, offset := probe.Zone()
		c := wall.Add(-time.Duration(offset) * time.Second)
		if c.In(zone).Format("2006-01-02 15:04") != want {
			continue
		}
		if best.IsZero() || c.Before(best) {
			best = c
		}
	}
	return best.In(zone), !best.IsZero()
}
