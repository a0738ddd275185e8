package ticket

import (
	"fmt"
	"strings"
	"time"
)

// Calendar is the business's working time: opening hours on working days in
// its time zone, less holidays.
type Calendar struct {
	Zone *time.Location
	// Open and Close are minutes after local midnight (08:30 is 510).
	Open, Close int
	// Days marks the working weekdays.
	Days [7]bool
	// Holidays holds local dates ("2026-10-01") with no business hours.
	Holidays map[string]bool
}

// DefaultCalendar is 08:30–17:30 Monday to Friday in zone, with no holidays.
func DefaultCalendar(zone *time.Location) Calendar {
	c := Calendar{Zone: zone, Open: 8*60 + 30, Close: 17*60 + 30, Holidays: map[string]bool{}}
	for d := time.Monday; d <= time.Friday; d++ {
		c.Days[d] = true
	}
	return c
}

// DayLength is the length of one business day (nine hours by default).
func (c Calendar) DayLength() time.Duration {
	return time.Duration(c.Close-c.Open) * time.Minute
}

// IsBusinessDay reports whether the local date of t has business hours.
func (c Calendar) IsBusinessDay(t time.Time) bool {
	t = t.In(c.Zone)
	return c.Days[t.Weekday()] && !c.Holidays[t.Format(time.DateOnly)]
}

// IsOpen reports whether t falls inside business hours.
func (c Calendar) IsOpen(t time.Time) bool {
	if !c.IsBusinessDay(t) {
		return false
	}
	open, close := c.bounds(t)
	return !t.Before(open) && t.Before(close)
}

// bounds returns the opening and closing instants of t's local date.
func (c Calendar) bounds(t time.Time) (open, close time.Time) {
	t = t.In(c.Zone)
	y, m, d := t.Date()
	// time.Date, not midnight plus a duration, so days that change clocks
	// still open at 08:30 on the wall.
	open = time.Date(y, m, d, c.Open/60, c.Open%60, 0, 0, c.Zone)
	close = time.Date(y, m, d, c.Close/60, c.Close%60, 0, 0, c.Zone)
	return open, close
}

// nextOpen returns the first business instant at or after t.
func (c Calendar) nextOpen(t time.Time) time.Time {
	t = t.In(c.Zone)
	// A year of closed days means a broken calendar; stop rather than spin.
	for i := 0; i < 366; i++ {
		if c.IsBusinessDay(t) {
			open, close := c.bounds(t)
			if t.Before(open) {
				return open
			}
			if t.Before(close) {
				return t
			}
		}
		y, m, d := t.Date()
		t = time.Date(y, m, d+1, 0, 0, 0, 0, c.Zone)
	}
	return t
}

// Add returns the instant d of business time after t. Time outside business
// hours does not count: a four-hour limit set at 16:30 on a Friday ends at
// 11:30 on Monday.
func (c Calendar) Add(t time.Time, d time.Duration) time.Time {
	if c.Close <= c.Open {
		return t.Add(d)
	}
	cur := c.nextOpen(t)
	for {
		_, close := c.bounds(cur)
		left := close.Sub(cur)
		if d <= left {
			return cur.Add(d).UTC()
		}
		d -= left
		cur = c.nextOpen(close)
	}
}

// Validate reports a calendar that cannot work.
func (c Calendar) Validate() error {
	var problems []string
	if c.Zone == nil {
		problems = append(problems, "no time zone")
	}
	if c.Open < 0 || c.Close > 24*60 || c.Close <= c.Open {
		problems = append(problems, fmt.Sprintf("opening hours %s–%s do not make a day", clock(c.Open), clock(c.Close)))
	}
	any := false
	for _, d := range c.Days {
		any = any || d
	}
	if !any {
		problems = append(problems, "no working days")
	}
	if len(problems) > 0 {
		return fmt.Errorf("calendar: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Hours returns the opening hours as "08:30–17:30".
func (c Calendar) Hours() string { return clock(c.Open) + "–" + clock(c.Close) }

func clock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// parseClock reads "HH:MM" as minutes after midnight.
func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("time of day %q is not HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}
