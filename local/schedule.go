package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// schedule is when a scheduled event fires: every period (a rate()
// expression), or at the times a cron() expression names in its zone
// (EventBridge Scheduler's ScheduleExpressionTimezone, UTC when unset).
type schedule struct {
	every time.Duration
	cron  *cronFields
	zone  *time.Location
}

// cronFields are an EventBridge cron expression's fields, each the set of
// values it matches: minutes, hours, day of month, month, day of week.
type cronFields struct {
	minute, hour, dom, month, dow []bool
}

// parseSchedule reads "rate(5 minutes)" or "cron(0 2 * * ? *)" with the
// IANA zone cron times are in.
func parseSchedule(expr, zone string) (schedule, error) {
	if strings.HasPrefix(expr, "rate(") {
		every, err := rate(expr)
		return schedule{every: every}, err
	}
	inner, ok := strings.CutPrefix(expr, "cron(")
	if !ok || !strings.HasSuffix(inner, ")") {
		return schedule{}, fmt.Errorf("schedule %q is neither rate() nor cron()", expr)
	}
	loc := time.UTC
	if zone != "" {
		var err error
		if loc, err = time.LoadLocation(zone); err != nil {
			return schedule{}, fmt.Errorf("schedule time zone %q: %w", zone, err)
		}
	}
	c, err := parseCron(strings.TrimSuffix(inner, ")"))
	if err != nil {
		return schedule{}, fmt.Errorf("schedule %q: %w", expr, err)
	}
	return schedule{cron: c, zone: loc}, nil
}

var weekdays = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

// parseCron reads the six fields of an EventBridge cron expression:
// minutes hours day-of-month month day-of-week year. Each is "*", "?"
// (day fields), a value, a range a-b, a step */n or a-b/n, or a comma
// list of those; days of the week run 1-7 from Sunday or SUN-SAT. The
// year must be "*".
func parseCron(s string) (*cronFields, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, fmt.Errorf("a cron expression has 6 fields, not %d", len(f))
	}
	if f[5] != "*" {
		return nil, fmt.Errorf("only a year of * runs locally")
	}
	if (f[2] == "?") == (f[4] == "?") {
		return nil, fmt.Errorf("exactly one of day-of-month and day-of-week must be ?")
	}
	var c cronFields
	var err error
	if c.minute, err = cronField(f[0], 0, 59, nil); err != nil {
		return nil, fmt.Errorf("minutes: %w", err)
	}
	if c.hour, err = cronField(f[1], 0, 23, nil); err != nil {
		return nil, fmt.Errorf("hours: %w", err)
	}
	if c.dom, err = cronField(f[2], 1, 31, nil); err != nil {
		return nil, fmt.Errorf("day of month: %w", err)
	}
	if c.month, err = cronField(f[3], 1, 12, nil); err != nil {
		return nil, fmt.Errorf("month: %w", err)
	}
	if c.dow, err = cronField(f[4], 1, 7, weekdays); err != nil {
		return nil, fmt.Errorf("day of week: %w", err)
	}
	return &c, nil
}

// cronField returns the values in [lo, hi] a field matches, indexed by
// value.
func cronField(s string, lo, hi int, names map[string]int) ([]bool, error) {
	out := make([]bool, hi+1)
	num := func(v string) (int, error) {
		if n, ok := names[strings.ToUpper(v)]; ok {
			return n, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("%q is not a value from %d to %d", v, lo, hi)
		}
		return n, nil
	}
	for _, part := range strings.Split(s, ",") {
		rng, stepS, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			var err error
			if step, err = strconv.Atoi(stepS); err != nil || step <= 0 {
				return nil, fmt.Errorf("%q has no positive step", part)
			}
		}
		from, to := lo, hi
		switch {
		case rng == "*" || rng == "?":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if from, err = num(a); err != nil {
				return nil, err
			}
			if to, err = num(b); err != nil {
				return nil, err
			}
			if to < from {
				return nil, fmt.Errorf("%q runs backwards", rng)
			}
		default:
			n, err := num(rng)
			if err != nil {
				return nil, err
			}
			from, to = n, n
			if hasStep {
				to = hi
			}
		}
		for v := from; v <= to; v += step {
			out[v] = true
		}
	}
	return out, nil
}

// next returns the first time after t the schedule fires.
func (s schedule) next(t time.Time) time.Time {
	if s.cron == nil {
		return t.Add(s.every)
	}
	c := s.cron
	// Minute by minute in the zone's wall time, for at most a year and a
	// day: a cron matching nothing in that span never fires.
	l := t.In(s.zone).Truncate(time.Minute).Add(time.Minute)
	for i := 0; i < 366*24*60+1; i++ {
		if c.minute[l.Minute()] && c.hour[l.Hour()] && c.dom[l.Day()] && c.month[int(l.Month())] && c.dow[int(l.Weekday())+1] {
			return l
		}
		l = l.Add(time.Minute)
	}
	return time.Time{}
}
