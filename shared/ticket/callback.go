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
// with Args saying what is allowed.
func (c Calendar) Callback(r CallbackRequest, now time.Time, maxAhead time.Duration) (*Callback, ValidationError) {
	var errs ValidationError
	zone, err := time.LoadLocation(r.TimeZone)
	if r.TimeZone == "" || err != nil || r.TimeZone == "Local" {
		errs.Add("callback.timeZone", CodeZone, nil)
		return nil, errs
	}
	day, err := time.ParseInLocation(time.DateOnly, r.Date, zone)
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
	start := time.Date(y, m, d, from/60, from%60, 0, 0, zone)
	end := time.Date(y, m, d, to/60, to%60, 0, 0, zone)
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

// sameBusinessDay rejects windows that span closing time and reopen the
// next morning: the window must be one stretch of business hours.
func sameBusinessDay(c Calendar, start, end time.Time) bool {
	_, close := c.bounds(start)
	return !end.After(close)
}
