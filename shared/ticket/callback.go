package ticket

import (
	"strconv"
	"time"
)

// CallbackRequest is a callback window as a customer gives it: a local date
// and times in their own time zone.
type CallbackRequest struct {
	Date     string `json:"date"`     // YYYY-MM-DD
	From     string `json:"from"`     // HH:MM
	To       string `json:"to"`       // HH:MM
	TimeZone string `json:"timeZone"` // IANA, e.g. Asia/Shanghai
}

// IsZero reports an empty request (no callback asked for).
func (r CallbackRequest) IsZero() bool {
	return r.Date == "" && r.From == "" && r.To == "" && r.TimeZone == ""
}

// MaxCallbackAhead is how far ahead a callback may be booked by default.
const MaxCallbackAhead = 14 * 24 * time.Hour

// Callback checks a callback request against the calendar: a real IANA
// zone, a window that is not in the past, not more than maxAhead away and
// wholly inside business hours. Problems are reported on the fields
// "callback.date", "callback.from", "callback.to" and "callback.timeZone",
// with Args saying what is allowed. A time the customer's clocks skip (a
// daylight-saving gap) or pass twice (the repeated hour) is refused with
// CodeTimeSkipped or CodeTimeRepeated.
func (c Calendar) Callback(r CallbackRequest, now time.Time, maxAhead time.Duration) (*Callback, ValidationError) {
	var errs ValidationError
	zone, err := time.LoadLocation(r.TimeZone)
	if r.TimeZone == "" || err != nil || r.TimeZone == "Local" {
		errs.Add("callback.timeZone", CodeZone, nil)
		return nil, errs
	}
	// The date read as a plain date: read in zone, a day whose midnight
	// the clocks skip (Santiago) would begin the day before.
	day, err := time.Parse(time.DateOnly, r.Date)
	if err != nil {
		errs.Add("callback.date", CodeDate, nil)
	}
	from, errFrom := parseClock(r.From)
	if errFrom != nil {
		errs.Add("callback.from", CodeTime, nil)
	}
	to, errTo := parseClock(r.To)
	if errTo != nil {
		errs.Add("callback.to", CodeTime, nil)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	y, m, d := day.Date()
	start, startCode := wallClock(y, m, d, from, zone)
	end, endCode := wallClock(y, m, d, to, zone)
	// A time the clocks skip or pass twice names no one instant: asking
	// the customer beats calling an hour early or late.
	if startCode != "" {
		errs.Add("callback.from", startCode, map[string]string{"time": r.From, "date": r.Date, "timeZone": zone.String()})
	}
	if endCode != "" {
		errs.Add("callback.to", endCode, map[string]string{"time": r.To, "date": r.Date, "timeZone": zone.String()})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if !end.After(start) {
		errs.Add("callback.to", CodeWindow, nil)
		return nil, errs
	}
	latest := now.Add(maxAhead).In(zone)
	allowed := map[string]string{
		"hours":    c.Hours(),
		"zone":     c.Zone.String(),
		"latest":   latest.Format(time.DateOnly),
		"maxDays":  strconv.Itoa(int(maxAhead / (24 * time.Hour))),
		"localNow": now.In(zone).Format("2006-01-02 15:04"),
	}
	switch {
	case !start.After(now):
		errs.Add("callback.date", CodePast, allowed)
	case end.After(now.Add(maxAhead)):
		errs.Add("callback.date", CodeTooFar, allowed)
	case !c.IsOpen(start) || !c.IsOpen(end.Add(-time.Minute)) || !sameBusinessDay(c, start, end):
		errs.Add("callback.from", CodeOutsideHours, allowed)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &Callback{Start: start.UTC(), End: end.UTC(), Zone: zone.String()}, nil
}

// wallClock returns the instant of min minutes after midnight on the
// local date y-m-d in zone, or a code when that wall time names no one
// instant: CodeTimeSkipped when the clocks jump over it (a DST gap),
// CodeTimeRepeated when they pass it twice (the hour repeated when clocks
// go back).
func wallClock(y int, m time.Month, d, min int, zone *time.Location) (time.Time, string) {
	t := time.Date(y, m, d, min/60, min%60, 0, 0, zone)
	if ty, tm, td := t.Date(); ty != y || tm != m || td != d || t.Hour()*60+t.Minute() != min {
		return t, CodeTimeSkipped
	}
	// The same wall time under the offset in force half a day either side
	// is another instant when the clocks change in between (no zone
	// changes twice within a day).
	wall := time.Date(y, m, d, min/60, min%60, 0, 0, time.UTC)
	for _, probe := range []time.Time{t.Add(-12 * time.Hour), t.Add(12 * time.Hour)} {
		_, off := probe.Zone()
		u := wall.Add(-time.Duration(off) * time.Second).In(zone)
		if !u.Equal(t) && u.Hour()*60+u.Minute() == min && u.Day() == d {
			return t, CodeTimeRepeated
		}
	}
	return t, ""
}

// sameBusinessDay rejects windows that span closing time and reopen the
// next morning: the window must be one stretch of business hours.
func sameBusinessDay(c Calendar, start, end time.Time) bool {
	_, close := c.bounds(start)
	return !end.After(close)
}
