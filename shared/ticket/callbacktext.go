package ticket

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/width"
)

// Refusal codes for a callback time given in words, beside the calendar's
// CodePast, CodeTooFar, CodeOutsideHours and CodeDate.
const (
	// CodeNoTime: the text names neither a day nor a time.
	CodeNoTime = "callback_no_time"
	// CodeAmbiguous: the text reads more than one way; Readings lists them.
	CodeAmbiguous = "callback_ambiguous"
	// CodeSkippedTime: the wall time does not exist that day, the clocks
	// jumping over it; Readings holds it.
	CodeSkippedTime = "callback_skipped_time"
)

// DefaultCallbackLength is the window a single time stands for: "tomorrow
// 10am" asks for a call between 10:00 and 11:00. A window that would run
// past closing time ends at closing time.
const DefaultCallbackLength = time.Hour

// CallbackReading is what reading a callback time needs besides the words.
type CallbackReading struct {
	Calendar Calendar
	// Zone is the customer's zone; nil means the calendar's.
	Zone *time.Location
	Now  time.Time
	// MaxAhead is how far ahead a callback may be; 0 means MaxCallbackAhead.
	MaxAhead time.Duration
	// Length is the window a single time stands for; 0 means
	// DefaultCallbackLength.
	Length time.Duration
}

// CallbackWindow is a callback time read from words: the request as the
// customer's local date and times, and the same window as instants.
type CallbackWindow struct {
	Request  CallbackRequest
	Callback Callback
}

// CallbackTextError says why words could not become a callback window.
type CallbackTextError struct {
	Code string
	// Readings are the candidate readings of an ambiguous text ("2026-12-03",
	// "2026-03-12"), or the skipped wall time ("2026-03-08 02:30"), in the
	// customer's zone.
	Readings []string
	// Args say what is allowed, as the calendar reports them: hours, zone,
	// latest, maxDays, localNow; for a skipped time, date, time and the wall
	// times the clocks jump from and to (jumpFrom, jumpTo).
	Args map[string]string
}

// Error names the code and the readings; it never quotes the customer.
func (e *CallbackTextError) Error() string {
	if len(e.Readings) > 0 {
		return "callback time: " + e.Code + " (" + strings.Join(e.Readings, " or ") + ")"
	}
	return "callback time: " + e.Code
}

// ReadCallback reads a callback time from a customer's words in Simplified
// or Traditional Chinese or English ("明天上午10点", "星期五下午2点到4点",
// "後天早上9點半", "tomorrow 10am", "Fri 2-4pm", "next Monday morning",
// "3 Dec 14:00") into a window in the customer's zone, checked against the
// calendar. The reading rules:
//
//   - A day is today, tomorrow, the day after, a weekday, a date with the
//     month in words ("3 Dec", "12月3日") or in ISO order ("2026-12-03").
//     "12/3" is refused as ambiguous (3 December or 12 March) unless one
//     number cannot be a month. A weekday alone is the next such day
//     (today if the time is still ahead, else a week on); "下周五" is
//     Friday of next week; "next Friday" is refused when the coming Friday
//     and Friday of next week differ.
//   - A time ("10am", "14:00", "下午2点", "9点半") stands for a window of
//     r.Length, or up to closing time when the customer is free from then
//     on ("after 2pm", "3点以后"); a range ("2-4pm", "2点到4点") is that
//     range; a part of the day ("上午", "morning", "下午", "afternoon") is
//     its business hours, morning being before noon and afternoon after it;
//     a day alone is all its business hours.
//   - An hour without am/pm or a part of the day ("3点", "at 9") is the one
//     of its two readings inside business hours, and ambiguous when both are.
//   - Without a day, the time is today's if it is still ahead, else
//     tomorrow's.
//   - A wall time the clocks skip is refused (CodeSkippedTime); one they show
//     twice is refused by the calendar (CodeTimeRepeated), since it names two
//     instants. The window's length is counted on the wall clock, as the
//     request states it.
//   - The window is then checked with Calendar.Callback, whose refusals
//     (CodePast, CodeTooFar, CodeOutsideHours) come back with its Args.
//     Message renders any refusal as a reply to the customer.
//
// Errors are *CallbackTextError.
func ReadCallback(text string, r CallbackReading) (CallbackWindow, error) {
	if r.Zone == nil {
		r.Zone = r.Calendar.Zone
	}
	if r.MaxAhead <= 0 {
		r.MaxAhead = MaxCallbackAhead
	}
	if r.Length <= 0 {
		r.Length = DefaultCallbackLength
	}
	s := normalizeCallbackText(text)
	today := civilDate(r.Now.In(r.Zone))
	days, s, dayPeriod, weekdayToday, err := findDays(s, today)
	if err != nil {
		return CallbackWindow{}, err
	}
	times, periods := findTimes(s)
	if dayPeriod != "" {
		periods = append(periods, dayPeriod)
	}
	if len(days) == 0 && len(times) == 0 && len(periods) == 0 {
		return CallbackWindow{}, &CallbackTextError{Code: CodeNoTime}
	}
	if len(times) > 1 {
		readings := make([]string, len(times))
		for i, t := range times {
			readings[i] = t.String()
		}
		return CallbackWindow{}, &CallbackTextError{Code: CodeAmbiguous, Readings: readings}
	}
	periods = uniq(periods)
	if len(periods) > 1 && len(times) == 0 {
		return CallbackWindow{}, &CallbackTextError{Code: CodeAmbiguous, Readings: periods}
	}
	var w wallWindow
	switch {
	case len(times) == 1:
		w = times[0]
		if w.mer == 0 && len(periods) == 1 {
			w = w.inPeriod(periods[0])
		}
	case len(periods) == 1:
		p := dayPeriods[periods[0]]
		w = wallWindow{from: p.from, to: p.to, part: true}
	default:
		w = wallWindow{from: 0, to: 24 * 60, part: true}
	}
	candidates := days
	switch {
	case len(candidates) == 0:
		candidates = []date{today, today.add(1)}
	case weekdayToday:
		// "Friday afternoon" said on a Friday evening is next Friday's.
		candidates = []date{today, today.add(7)}
	}
	var picked []resolved
	var fallback *resolved
	for _, d := range candidates {
		for _, rv := range r.resolve(d, w) {
			// When nothing fits, the refusal is about the first reading
			// still ahead ("10am" on a Friday evening: Saturday is closed),
			// else about the first one (it has passed).
			if fallback == nil || fallback.err == nil && !fallback.start.After(r.Now) && rv.start.After(r.Now) {
				rv := rv
				fallback = &rv
			}
			if rv.err == nil && rv.open && rv.start.After(r.Now) {
				picked = append(picked, rv)
			}
		}
		if len(picked) > 0 {
			break
		}
	}
	if len(picked) > 1 {
		readings := make([]string, len(picked))
		for i, p := range picked {
			readings[i] = p.req.Date + " " + p.req.From + "-" + p.req.To
		}
		return CallbackWindow{}, &CallbackTextError{Code: CodeAmbiguous, Readings: readings}
	}
	if len(picked) == 0 {
		picked = append(picked, *fallback)
	}
	return r.check(picked[0])
}

// resolved is one reading of the words as a request and the instants it
// stands for.
type resolved struct {
	req        CallbackRequest
	start, end time.Time
	open       bool
	err        error
}

// check validates a reading against the calendar. The calendar reads wall
// times with time.Date, which picks either occurrence of a repeated wall time
// depending on the zone; the window keeps the first occurrence worked out
// here.
func (r CallbackReading) check(p resolved) (CallbackWindow, error) {
	if p.err != nil {
		return CallbackWindow{}, p.err
	}
	cb, errs := r.Calendar.Callback(p.req, r.Now, r.MaxAhead)
	if len(errs) > 0 {
		return CallbackWindow{}, &CallbackTextError{Code: errs[0].Code, Args: errs[0].Args}
	}
	cb.Start, cb.End = p.start.UTC(), p.end.UTC()
	if !cb.Start.After(r.Now) {
		return CallbackWindow{}, &CallbackTextError{Code: CodePast, Args: map[string]string{"localNow": r.Now.In(r.Zone).Format("2006-01-02 15:04")}}
	}
	return CallbackWindow{Request: p.req, Callback: *cb}, nil
}

// resolve turns a wall-clock window on day d into requests: one per reading
// of an hour given without am/pm, the part of the day cut to business hours.
func (r CallbackReading) resolve(d date, w wallWindow) []resolved {
	var out []resolved
	for _, v := range w.readings() {
		out = append(out, r.resolveOne(d, v))
	}
	return out
}

func (r CallbackReading) resolveOne(d date, w wallWindow) resolved {
	req := CallbackRequest{Date: d.String(), TimeZone: r.Zone.String()}
	if w.part {
		// A part of the day starts when the clock reaches it, even where
		// the clocks skip its first minutes (midnight, in some zones).
		start := firstAtOrAfterWall(d.y, d.m, d.d, w.from, r.Zone)
		end := firstAtOrAfterWall(d.y, d.m, d.d, w.to, r.Zone)
		start, end, ok := r.businessPart(start, end)
		if !ok {
			// Nothing of that part of the day is open: let the calendar say
			// what is allowed.
			req.From, req.To = clock(w.from), clock(min(w.to, 24*60-1))
			return resolved{req: req, err: r.calendarError(req)}
		}
		if !start.After(r.Now) && end.After(r.Now) {
			// What is left of today: from the next quarter hour.
			start = r.Now.Truncate(15 * time.Minute).Add(15 * time.Minute)
			if !start.Before(end) {
				start = end
			}
		}
		req.From, req.To = hhmmOn(start, r.Zone, d), hhmmOn(end, r.Zone, d)
		return resolved{req: req, start: start, end: end, open: r.Calendar.IsOpen(start) && end.After(start)}
	}
	start, ok := wallInstant(d.y, d.m, d.d, w.from, r.Zone)
	if !ok {
		return resolved{req: req, err: skipped(d, w.from, r.Zone)}
	}
	// The window's length is counted on the wall clock, as the request
	// states it: "1:30am" on a night that repeats an hour is 01:30–02:30.
	endMin := min(w.from+int(r.Length/time.Minute), 24*60-1)
	end := firstAtOrAfterWall(d.y, d.m, d.d, endMin, r.Zone)
	if w.to > 0 {
		var ok bool
		end, ok = wallInstant(d.y, d.m, d.d, w.to, r.Zone)
		if !ok {
			return resolved{req: req, err: skipped(d, w.to, r.Zone)}
		}
	} else if r.Calendar.IsOpen(start) {
		if _, close := r.Calendar.bounds(start); end.After(close) || w.after {
			end = close
		}
	}
	req.From, req.To = clock(w.from), hhmmOn(end, r.Zone, d)
	return resolved{req: req, start: start, end: end, open: r.Calendar.IsOpen(start)}
}

// skipped is the refusal of a wall time the clocks jump over, saying where
// they jump from and to: Args "date", "time", "jumpFrom", "jumpTo".
func skipped(d date, min int, zone *time.Location) *CallbackTextError {
	jump := firstAtOrAfterWall(d.y, d.m, d.d, min, zone)
	_, before := jump.Add(-time.Second).Zone()
	return &CallbackTextError{
		Code:     CodeSkippedTime,
		Readings: []string{d.String() + " " + clock(min)},
		Args: map[string]string{
			"date":     d.String(),
			"time":     clock(min),
			"jumpFrom": jump.UTC().Add(time.Duration(before) * time.Second).Format("15:04"),
			"jumpTo":   jump.In(zone).Format("15:04"),
		},
	}
}

// calendarError asks the calendar why req cannot be booked.
func (r CallbackReading) calendarError(req CallbackRequest) error {
	_, errs := r.Calendar.Callback(req, r.Now, r.MaxAhead)
	if len(errs) == 0 {
		return &CallbackTextError{Code: CodeOutsideHours}
	}
	return &CallbackTextError{Code: errs[0].Code, Args: errs[0].Args}
}

// businessPart cuts [start, end) down to its first stretch of business
// hours.
func (r CallbackReading) businessPart(start, end time.Time) (time.Time, time.Time, bool) {
	c := r.Calendar
	for t := start; t.Before(end); {
		if c.IsBusinessDay(t) {
			open, close := c.bounds(t)
			from, to := maxTime(start, open), minTime(end, close)
			if from.Before(to) {
				return from, to, true
			}
		}
		y, m, d := t.In(c.Zone).Date()
		t = time.Date(y, m, d+1, 0, 0, 0, 0, c.Zone)
	}
	return time.Time{}, time.Time{}, false
}

// hhmmOn is t's local time on day d as HH:MM; an instant on a later day
// (the end of a window reaching midnight) is 23:59.
func hhmmOn(t time.Time, zone *time.Location, d date) string {
	l := t.In(zone)
	if civilDate(l) != d {
		return "23:59"
	}
	return l.Format("15:04")
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// date is a civil date in the customer's zone.
type date struct {
	y int
	m time.Month
	d int
}

func civilDate(t time.Time) date {
	y, m, d := t.Date()
	return date{y, m, d}
}

// add returns the date n days later, normalized.
func (d date) add(n int) date {
	return civilDate(time.Date(d.y, d.m, d.d+n, 12, 0, 0, 0, time.UTC))
}

func (d date) weekday() time.Weekday {
	return time.Date(d.y, d.m, d.d, 12, 0, 0, 0, time.UTC).Weekday()
}

func (d date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.y, d.m, d.d) }

// valid reports whether y-m-d names a real day (not 30 February).
func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	t := time.Date(y, time.Month(m), d, 12, 0, 0, 0, time.UTC)
	return t.Day() == d
}

// nextMonthDay is the first m-d on or after today, this year or next.
func nextMonthDay(today date, m, d int) (date, bool) {
	for y := today.y; y <= today.y+1; y++ {
		if !validDate(y, m, d) {
			continue
		}
		c := date{y, time.Month(m), d}
		if c.String() >= today.String() {
			return c, true
		}
	}
	return date{}, false
}

// wallWindow is a window in wall-clock minutes after midnight before a day
// is chosen. An hour given without am/pm keeps both readings.
type wallWindow struct {
	from, to int // to is 0 for a single time
	// mer is 'a' or 'p' when am/pm or a part of the day fixed the hour, 0
	// when the hour was written on a 12-hour clock without saying which half.
	mer byte
	// part marks a part of the day or a whole day, cut to business hours.
	part bool
	// after marks a time the customer is free from ("3点以后", "after
	// 2pm"): the window runs to closing time.
	after bool
}

// readings lists the 24-hour readings of the window: one, or two for an
// hour from 1 to 12 given without am/pm.
func (w wallWindow) readings() []wallWindow {
	if w.part || w.mer != 0 || w.from >= 13*60 || w.from < 60 {
		return []wallWindow{w}
	}
	if w.from >= 12*60 {
		// "12点" is noon, and "12-1" runs into the afternoon.
		return []wallWindow{w}
	}
	pm := w
	pm.from += 12 * 60
	if pm.to > 0 && pm.to < 12*60 {
		pm.to += 12 * 60
	}
	return []wallWindow{w, pm}
}

// inPeriod reads a 12-hour clock in a part of the day: "下午2点" is 14:00.
func (w wallWindow) inPeriod(period string) wallWindow {
	p := dayPeriods[period]
	w.mer = p.mer
	w.from = to24(w.from, p.mer, period)
	if w.to > 0 {
		w.to = to24(w.to, p.mer, period)
		if w.to <= w.from {
			w.to += 12 * 60
		}
	}
	return w
}

func to24(min int, mer byte, period string) int {
	h := min / 60
	switch {
	case h > 12:
	case mer == 'p' && h < 12 && !(period == "noon" && h >= 11):
		min += 12 * 60
	case mer == 'a' && h == 12:
		min -= 12 * 60
	}
	return min
}

func (w wallWindow) String() string {
	if w.to > 0 {
		return clock(w.from) + "-" + clock(w.to)
	}
	return clock(w.from)
}

// dayPeriod is a part of the day in wall-clock minutes, and the half of a
// 12-hour clock it puts an hour in.
type dayPeriod struct {
	from, to int
	mer      byte
}

var dayPeriods = map[string]dayPeriod{
	"small hours": {0, 6 * 60, 'a'},
	"morning":     {0, 12 * 60, 'a'},
	"noon":        {11*60 + 30, 13*60 + 30, 'p'},
	"afternoon":   {12 * 60, 18 * 60, 'p'},
	"dusk":        {17 * 60, 19 * 60, 'p'},
	"evening":     {18 * 60, 24 * 60, 'p'},
}

// periodWords name the parts of the day, longest first within a script.
var periodWords = []struct{ word, period string }{
	{"凌晨", "small hours"}, {"早上", "morning"}, {"早晨", "morning"}, {"清早", "morning"}, {"上午", "morning"},
	{"中午", "noon"}, {"下午", "afternoon"}, {"傍晚", "dusk"}, {"晚上", "evening"}, {"夜里", "evening"},
	{"in the morning", "morning"}, {"in the afternoon", "afternoon"}, {"in the evening", "evening"},
	{"morning", "morning"}, {"afternoon", "afternoon"}, {"evening", "evening"}, {"noon", "noon"}, {"midday", "noon"}, {"lunchtime", "noon"},
}

// normalizeCallbackText folds width and case, maps Traditional characters
// of time words to Simplified ones and Chinese numerals to digits, so that
// "後天早上9點半" and "后天早上九点半" read the same.
func normalizeCallbackText(s string) string {
	s = strings.ToLower(width.Fold.String(s))
	s = tradToSimp.Replace(s)
	return chineseNumerals(s)
}

var tradToSimp = strings.NewReplacer(
	"點", "点", "時", "时", "後", "后", "週", "周", "禮", "礼", "號", "号", "兩", "两", "個", "个",
	"鐘", "钟", "這", "这", "來", "来", "–", "-", "—", "-", "~", "-", "～", "-", "〜", "-",
	"。", " ", "，", " ", "、", " ", "’", "'",
)

// chineseNumerals rewrites runs of Chinese numerals as digits: 十二 → 12,
// 二十三 → 23, 九 → 9, 二零二六 → 2026.
func chineseNumerals(s string) string {
	const digits = "零一二三四五六七八九"
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && (strings.ContainsRune(digits, rs[j]) || rs[j] == '十' || rs[j] == '两' || rs[j] == '〇') {
			j++
		}
		if j == i {
			b.WriteRune(rs[i])
			i++
			continue
		}
		run := rs[i:j]
		value := func(r rune) int {
			switch r {
			case '两':
				return 2
			case '〇':
				return 0
			}
			return strings.IndexRune(digits, r) / len("零")
		}
		if k := indexRune(run, '十'); k >= 0 && len(run) <= 3 {
			tens, ones := 1, 0
			if k > 0 {
				tens = value(run[k-1])
			}
			if k+1 < len(run) && run[k+1] != '十' {
				ones = value(run[k+1])
			}
			b.WriteString(strconv.Itoa(tens*10 + ones))
		} else {
			for _, r := range run {
				if r == '十' {
					b.WriteString("10")
					continue
				}
				b.WriteString(strconv.Itoa(value(r)))
			}
		}
		i = j
	}
	return b.String()
}

func indexRune(rs []rune, r rune) int {
	for i, x := range rs {
		if x == r {
			return i
		}
	}
	return -1
}

const monthNames = `(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)`

var (
	reISODate     = regexp.MustCompile(`(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?`)
	reCNMonthDay  = regexp.MustCompile(`(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?`)
	reENDayMonth  = regexp.MustCompile(`\b(\d{1,2})(?:st|nd|rd|th)?\s*(?:of\s+)?` + monthNames + `\b\.?`)
	reENMonthDay  = regexp.MustCompile(`\b` + monthNames + `\.?\s*(\d{1,2})(?:st|nd|rd|th)?\b`)
	reNumericDate = regexp.MustCompile(`(?:^|[^\d:])((\d{1,2})\s*/\s*(\d{1,2})(?:\s*/\s*(\d{2,4}))?)(?:$|[^\d:])`)
	reCNWeekday   = regexp.MustCompile(`(下下个|下下|下个|下|这个|这|本)?\s*(?:周|星期|礼拜)\s*([1-7日天])`)
	reENWeekday   = regexp.MustCompile(`\b(?:(next|this|coming)\s+)?(monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thur|thu|friday|fri|saturday|sat|sunday|sun)\b\.?`)
	reCNDay       = regexp.MustCompile(`(\d{1,2})\s*[日号]`)
	reENDay       = regexp.MustCompile(`\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b`)
)

// relativeDays name a day counted from today, with the part of the day some
// of them imply; longest first.
var relativeDays = []struct {
	word   string
	days   int
	period string
}{
	{"day after tomorrow", 2, ""}, {"大后天", 3, ""}, {"后天", 2, ""},
	{"明天", 1, ""}, {"明日", 1, ""}, {"明早", 1, "morning"}, {"明晚", 1, "evening"},
	{"tomorrow", 1, ""}, {"tmrw", 1, ""}, {"tmr", 1, ""},
	{"今天", 0, ""}, {"今日", 0, ""}, {"今晚", 0, "evening"}, {"today", 0, ""}, {"tonight", 0, "evening"},
}

var monthByName = map[string]int{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

func monthNumber(name string) int { return monthByName[name[:3]] }

var weekdayByName = map[string]time.Weekday{
	"mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday,
	"fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday,
}

// blank replaces s[i:j] with spaces so later patterns neither see it nor
// join what stood either side of it.
func blank(s string, i, j int) string {
	return s[:i] + strings.Repeat(" ", j-i) + s[j:]
}

// findDays finds the day the text names and blanks what it read. More than
// one different day, or a numeric date that reads both ways, is ambiguous.
func findDays(s string, today date) (days []date, rest, period string, weekdayToday bool, err error) {
	var ambiguous []string
	invalid, bareToday := false, false
	add := func(d date) {
		for _, x := range days {
			if x == d {
				return
			}
		}
		days = append(days, d)
	}
	each := func(re *regexp.Regexp, group int, fn func(m []string)) {
		for {
			loc := re.FindStringSubmatchIndex(s)
			if loc == nil {
				return
			}
			m := make([]string, len(loc)/2)
			for k := range m {
				if loc[2*k] >= 0 {
					m[k] = s[loc[2*k]:loc[2*k+1]]
				}
			}
			fn(m)
			s = blank(s, loc[2*group], loc[2*group+1])
		}
	}
	each(reISODate, 0, func(m []string) {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		if !validDate(y, mo, d) {
			invalid = true
			return
		}
		add(date{y, time.Month(mo), d})
	})
	monthDay := func(mo, d int) {
		if x, ok := nextMonthDay(today, mo, d); ok {
			add(x)
		} else {
			invalid = true
		}
	}
	each(reCNMonthDay, 0, func(m []string) {
		mo, _ := strconv.Atoi(m[1])
		d, _ := strconv.Atoi(m[2])
		monthDay(mo, d)
	})
	each(reENDayMonth, 0, func(m []string) {
		d, _ := strconv.Atoi(m[1])
		monthDay(monthNumber(m[2]), d)
	})
	each(reENMonthDay, 0, func(m []string) {
		d, _ := strconv.Atoi(m[2])
		monthDay(monthNumber(m[1]), d)
	})
	each(reNumericDate, 1, func(m []string) {
		a, _ := strconv.Atoi(m[2])
		b, _ := strconv.Atoi(m[3])
		var readings []date
		for _, md := range [][2]int{{b, a}, {a, b}} { // day/month, then month/day
			if x, ok := nextMonthDay(today, md[0], md[1]); ok && !containsDate(readings, x) {
				readings = append(readings, x)
			}
		}
		switch len(readings) {
		case 0:
			invalid = true
		case 1:
			add(readings[0])
		default:
			for _, x := range readings {
				ambiguous = append(ambiguous, x.String())
			}
		}
	})
	for _, rel := range relativeDays {
		for {
			i := strings.Index(s, rel.word)
			if i < 0 {
				break
			}
			add(today.add(rel.days))
			if rel.period != "" {
				period = rel.period
			}
			s = blank(s, i, i+len(rel.word))
		}
	}
	each(reCNWeekday, 0, func(m []string) {
		wd := time.Weekday(0)
		if m[2] != "日" && m[2] != "天" {
			n, _ := strconv.Atoi(m[2])
			wd = time.Weekday(n % 7)
		}
		switch m[1] {
		case "下", "下个":
			add(weekOf(today, 1, wd))
		case "下下", "下下个":
			add(weekOf(today, 2, wd))
		case "这", "这个", "本":
			add(weekOf(today, 0, wd))
		default:
			add(onOrAfter(today, wd))
			bareToday = bareToday || wd == today.weekday()
		}
	})
	each(reENWeekday, 0, func(m []string) {
		wd := weekdayByName[m[2][:3]]
		switch m[1] {
		case "this":
			add(weekOf(today, 0, wd))
		case "coming":
			add(onOrAfter(today.add(1), wd))
		case "next":
			coming, following := onOrAfter(today.add(1), wd), weekOf(today, 1, wd)
			if coming == following {
				add(coming)
				return
			}
			ambiguous = append(ambiguous, coming.String(), following.String())
		default:
			add(onOrAfter(today, wd))
			bareToday = bareToday || wd == today.weekday()
		}
	})
	dayOfMonth := func(m []string) {
		d, _ := strconv.Atoi(m[1])
		for k := 0; k <= 1; k++ {
			x := civilDate(time.Date(today.y, today.m+time.Month(k), 1, 12, 0, 0, 0, time.UTC))
			if validDate(x.y, int(x.m), d) && (date{x.y, x.m, d}).String() >= today.String() {
				add(date{x.y, x.m, d})
				return
			}
		}
		invalid = true
	}
	each(reCNDay, 0, dayOfMonth)
	each(reENDay, 0, dayOfMonth)
	switch {
	case len(ambiguous) > 0:
		for _, d := range days {
			ambiguous = append(ambiguous, d.String())
		}
		ambiguous = uniq(ambiguous)
		slices.Sort(ambiguous)
		return nil, s, "", false, &CallbackTextError{Code: CodeAmbiguous, Readings: ambiguous}
	case len(days) > 1:
		readings := make([]string, len(days))
		for i, d := range days {
			readings[i] = d.String()
		}
		return nil, s, "", false, &CallbackTextError{Code: CodeAmbiguous, Readings: readings}
	case invalid && len(days) == 0:
		return nil, s, "", false, &CallbackTextError{Code: CodeDate}
	}
	return days, s, period, bareToday && len(days) == 1 && days[0] == today, nil
}

func containsDate(ds []date, d date) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

func uniq(ss []string) []string {
	var out []string
	for _, s := range ss {
		found := false
		for _, o := range out {
			found = found || o == s
		}
		if !found {
			out = append(out, s)
		}
	}
	return out
}

// onOrAfter is the first wd on or after d.
func onOrAfter(d date, wd time.Weekday) date {
	return d.add((int(wd) - int(d.weekday()) + 7) % 7)
}

// weekOf is weekday wd of the week n weeks after d's, weeks running Monday
// to Sunday as Chinese calendars print them.
func weekOf(d date, n int, wd time.Weekday) date {
	monday := d.add(-((int(d.weekday()) + 6) % 7))
	return monday.add(7*n + (int(wd)+6)%7)
}

// reTime is one time of day: an hour with optional minutes (":30", ".30",
// "点半", "点一刻", "点15分"), "o'clock" and am/pm.
var reTime = regexp.MustCompile(`(\d{1,2})(?:\s*[:.]\s*(\d{2}))?(?:\s*([点时])\s*(?:(半|1刻|3刻|整)|(\d{1,2})\s*分?)?)?(?:\s*钟)?(?:\s*(o'?clock))?(?:\s*(a\.?m\.?|p\.?m\.?)(?:[^a-z]|$))?`)

// timeAtom is one time found in the text.
type timeAtom struct {
	start, end int
	min        int
	mer        byte
	marked     bool // written as a time: a colon, 点, am/pm, "at"
}

// reRangeJoin joins two times into a range.
var reRangeJoin = regexp.MustCompile(`^\s*(?:-|to|until|till|到|至)\s*$`)

// findTimes finds the times in the text, joins ranges, and lists parts of
// the day that stand alone.
func findTimes(s string) ([]wallWindow, []string) {
	var atoms []timeAtom
	for _, loc := range reTime.FindAllStringSubmatchIndex(s, -1) {
		if loc[0] > 0 && isASCIIDigit(s[loc[0]-1]) || loc[1] < len(s) && isASCIIDigit(s[loc[1]-1]) && isASCIIDigit(s[loc[1]]) {
			continue
		}
		sub := func(k int) string {
			if loc[2*k] < 0 {
				return ""
			}
			return s[loc[2*k]:loc[2*k+1]]
		}
		h, _ := strconv.Atoi(sub(1))
		m := 0
		a := timeAtom{start: loc[0], end: loc[1]}
		if v := sub(2); v != "" {
			m, _ = strconv.Atoi(v)
			a.marked = strings.Contains(s[loc[2*1+1]:loc[2*2]], ":") || sub(7) != ""
		}
		if sub(3) != "" {
			a.marked = true
			switch sub(4) {
			case "半":
				m = 30
			case "1刻":
				m = 15
			case "3刻":
				m = 45
			}
			if v := sub(5); v != "" {
				m, _ = strconv.Atoi(v)
			}
		}
		if sub(6) != "" {
			a.marked = true
		}
		if v := sub(7); v != "" {
			a.marked = true
			a.mer = v[0]
			// The match may have taken the character after "pm".
			a.end = loc[2*7+1]
			if h < 1 || h > 12 {
				continue
			}
			if a.mer == 'p' && h < 12 {
				h += 12
			}
			if a.mer == 'a' && h == 12 {
				h = 0
			}
		}
		if h > 24 || m > 59 || h == 24 && m > 0 {
			continue
		}
		if h == 24 {
			h = 0
		}
		before := strings.TrimRight(s[:loc[0]], " ")
		if before == "at" || strings.HasSuffix(before, " at") || strings.HasSuffix(before, "@") || strings.HasSuffix(before, "around") || strings.HasSuffix(before, "约") || strings.HasSuffix(before, "大概") {
			a.marked = true
		}
		a.min = h*60 + m
		atoms = append(atoms, a)
	}
	var windows []wallWindow
	used := make([]bool, len(atoms))
	var attached []int // byte ranges of period words read with a time
	periodBefore := func(i int) (string, int) {
		before := strings.TrimRight(s[:i], " ")
		for _, w := range []string{"at", "的", "@"} {
			if strings.HasSuffix(before, w) && (w != "at" || len(before) == 2 || before[len(before)-3] == ' ') {
				before = strings.TrimRight(before[:len(before)-len(w)], " ")
			}
		}
		for _, p := range periodWords {
			if strings.HasSuffix(before, p.word) {
				return p.period, len(before) - len(p.word)
			}
		}
		return "", -1
	}
	periodAfter := func(j int) (string, int) {
		after := strings.TrimLeft(s[j:], " ")
		for _, p := range periodWords {
			if strings.HasPrefix(p.word, "in the ") && strings.HasPrefix(after, p.word) {
				return p.period, len(s) - len(after)
			}
		}
		return "", -1
	}
	for i := 0; i < len(atoms); i++ {
		if used[i] {
			continue
		}
		a := atoms[i]
		w := wallWindow{from: a.min, mer: a.mer}
		marked := a.marked
		end := a.end
		between := strings.HasSuffix(strings.TrimRight(s[:a.start], " "), "between") && i+1 < len(atoms) &&
			strings.TrimSpace(s[a.end:atoms[i+1].start]) == "and"
		if i+1 < len(atoms) && (between || reRangeJoin.MatchString(s[a.end:atoms[i+1].start])) {
			b := atoms[i+1]
			used[i+1] = true
			// Two numbers joined as a range are times ("周五 2-4").
			marked = true
			end = b.end
			w.to = b.min
			switch {
			case a.mer == 0 && b.mer != 0:
				// "2-4pm" and "11-1pm": the start takes the end's half of
				// the day when that keeps it before the end.
				w.mer = b.mer
				if b.mer == 'p' && a.min < 12*60 && a.min+12*60 < b.min {
					w.from += 12 * 60
				}
			case a.mer != 0 && b.mer == 0 && w.to <= w.from && w.to+12*60 > w.from:
				w.to += 12 * 60
			}
		}
		p, at := periodBefore(a.start)
		if p == "" {
			p, at = periodAfter(end)
		}
		if p != "" {
			marked = true
			attached = append(attached, at)
			if w.mer == 0 {
				w = w.inPeriod(p)
			}
		}
		if !marked {
			continue
		}
		if w.to == 0 && isAfter(s[:a.start], s[end:]) {
			w.after = true
		}
		if w.to > 0 && w.to <= w.from {
			// "4-2pm" is no window; keep it and let the calendar refuse it.
			w.to = w.from
		}
		windows = append(windows, w)
	}
	var periods []string
	lower := s
	for _, at := range attached {
		// Blank the word read with a time so it is not read again alone.
		for _, p := range periodWords {
			if strings.HasPrefix(lower[at:], p.word) {
				lower = blank(lower, at, at+len(p.word))
				break
			}
		}
	}
	for _, p := range periodWords {
		for {
			i := strings.Index(lower, p.word)
			if i < 0 {
				break
			}
			if !wordAt(lower, i, len(p.word)) {
				lower = blank(lower, i, i+len(p.word))
				continue
			}
			periods = append(periods, p.period)
			lower = blank(lower, i, i+len(p.word))
		}
	}
	return windows, periods
}

// isAfter reports a time given as the start of when the customer is free:
// "after 2pm", "from 2pm", "2pm onwards", "3点以后", "3点之后".
func isAfter(before, after string) bool {
	before, after = strings.TrimRight(before, " "), strings.TrimLeft(after, " ")
	for _, w := range []string{"after", "from"} {
		if strings.HasSuffix(before, w) && (len(before) == len(w) || before[len(before)-len(w)-1] == ' ') {
			return true
		}
	}
	for _, w := range []string{"以后", "之后", "后", "onwards", "onward", "or later"} {
		if strings.HasPrefix(after, w) {
			return true
		}
	}
	return false
}

// wordAt reports whether s[i:i+n] stands as a word: Latin words need
// non-letters either side, Chinese ones stand anywhere.
func wordAt(s string, i, n int) bool {
	if s[i] >= 0x80 {
		return true
	}
	return (i == 0 || !isASCIILetter(s[i-1])) && (i+n == len(s) || !isASCIILetter(s[i+n]))
}

func isASCIIDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' }
