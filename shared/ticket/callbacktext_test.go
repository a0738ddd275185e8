package ticket

import (
	"slices"
	"testing"
	"time"
)

// allHours is a calendar open round the clock every day, so that the hours
// clocks skip or repeat (always at night, on a Sunday) can be booked.
func allHours(zone *time.Location) Calendar {
	c := Calendar{Zone: zone, Open: 0, Close: 24 * 60, Holidays: map[string]bool{}}
	for d := range c.Days {
		c.Days[d] = true
	}
	return c
}

func TestReadCallback(t *testing.T) {
	newYork := mustZone("America/New_York")
	london := mustZone("Europe/London")
	// Monday 2026-11-23, 10:00 in Shanghai.
	monday := at(shanghai, "2026-11-23 10:00")
	sh := CallbackReading{Calendar: DefaultCalendar(shanghai), Now: monday}
	shLondon := sh
	shLondon.Zone = london
	shNewYork := sh
	shNewYork.Zone = newYork
	twoHours := sh
	twoHours.Length = 2 * time.Hour
	roundClock := CallbackReading{Calendar: allHours(shanghai), Now: monday}
	// Saturday before clocks go forward (02:00 → 03:00 on Sunday 2026-03-08)
	// and before they go back (02:00 → 01:00 on Sunday 2026-11-01).
	nySpring := CallbackReading{Calendar: allHours(newYork), Now: at(newYork, "2026-03-07 12:00")}
	nyAutumn := CallbackReading{Calendar: allHours(newYork), Now: at(newYork, "2026-10-31 12:00")}
	nyOffice := CallbackReading{Calendar: DefaultCalendar(newYork), Now: at(newYork, "2026-10-30 12:00")}
	// London goes forward at 01:00 on 2026-03-29 and back at 02:00 on 2026-10-25.
	ldSpring := CallbackReading{Calendar: allHours(london), Now: at(london, "2026-03-28 12:00")}
	ldAutumn := CallbackReading{Calendar: allHours(london), Now: at(london, "2026-10-24 12:00")}
	ldOffice := CallbackReading{Calendar: DefaultCalendar(london), Now: at(london, "2026-11-23 10:00")}
	utc := func(s string) time.Time { return at(time.UTC, s) }

	tests := []struct {
		name     string
		r        CallbackReading
		text     string
		want     CallbackRequest // zero when refused
		start    time.Time       // checked when set
		code     string
		readings []string
	}{
		{"zh-Hans morning hour", sh, "明天上午10点", CallbackRequest{"2026-11-24", "10:00", "11:00", "Asia/Shanghai"}, at(shanghai, "2026-11-24 10:00"), "", nil},
		{"weekday afternoon", sh, "周五下午", CallbackRequest{"2026-11-27", "12:00", "17:30", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"weekday range", sh, "星期五下午2点到4点", CallbackRequest{"2026-11-27", "14:00", "16:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"zh-Hant half past", sh, "後天早上9點半", CallbackRequest{"2026-11-25", "09:30", "10:30", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"zh-Hant next week", sh, "下週三下午兩點", CallbackRequest{"2026-12-02", "14:00", "15:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"Chinese numerals", sh, "十二月三日下午三点一刻", CallbackRequest{"2026-12-03", "15:15", "16:15", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"full-width digits", sh, "明天１０：３０", CallbackRequest{"2026-11-24", "10:30", "11:30", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"english tomorrow", sh, "tomorrow 10am", CallbackRequest{"2026-11-24", "10:00", "11:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"english range", sh, "Fri 2-4pm", CallbackRequest{"2026-11-27", "14:00", "16:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"weekday naming today, still ahead", sh, "Monday 3pm", CallbackRequest{"2026-11-23", "15:00", "16:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"weekday naming today, passed", sh, "周一上午9点", CallbackRequest{"2026-11-30", "09:00", "10:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"this week's day passed", sh, "这周一上午9点", CallbackRequest{}, time.Time{}, CodePast, nil},
		{"Friday evening, no day", CallbackReading{Calendar: DefaultCalendar(shanghai), Now: at(shanghai, "2026-11-27 18:00")}, "10am", CallbackRequest{}, time.Time{}, CodeOutsideHours, nil},
		{"o'clock", sh, "Wednesday 3 o'clock", CallbackRequest{"2026-11-25", "15:00", "16:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"range without am/pm", sh, "周五 2-4", CallbackRequest{"2026-11-27", "14:00", "16:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"free from a time", sh, "明天下午三点以后", CallbackRequest{"2026-11-24", "15:00", "17:30", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"after a time", sh, "Wed after 2pm", CallbackRequest{"2026-11-25", "14:00", "17:30", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"between two times", sh, "tomorrow between 2 and 4pm", CallbackRequest{"2026-11-24", "14:00", "16:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"range across noon", sh, "Thursday 11-1pm", CallbackRequest{"2026-11-26", "11:00", "13:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"today with minutes", sh, "today 3:30pm", CallbackRequest{"2026-11-23", "15:30", "16:30", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"next Monday morning", sh, "next Monday morning", CallbackRequest{"2026-11-30", "08:30", "12:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"month in words", sh, "3 Dec 14:00", CallbackRequest{"2026-12-03", "14:00", "15:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"month first in words", sh, "call me on December 1st at 9", CallbackRequest{"2026-12-01", "09:00", "10:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"zh month day", sh, "12月3日", CallbackRequest{"2026-12-03", "08:30", "17:30", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"numeric date that reads one way", sh, "25/11 3pm", CallbackRequest{"2026-11-25", "15:00", "16:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"ISO date", sh, "2026-11-26 16:00", CallbackRequest{"2026-11-26", "16:00", "17:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"bare hour read in business hours", sh, "明天3点", CallbackRequest{"2026-11-24", "15:00", "16:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"bare morning hour", sh, "明天9点", CallbackRequest{"2026-11-24", "09:00", "10:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"at an hour", sh, "tomorrow at 3", CallbackRequest{"2026-11-24", "15:00", "16:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"time without a day, still ahead", sh, "3点", CallbackRequest{"2026-11-23", "15:00", "16:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"time without a day, passed", sh, "9:00", CallbackRequest{"2026-11-24", "09:00", "10:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"window cut at closing", sh, "5pm tomorrow", CallbackRequest{"2026-11-24", "17:00", "17:30", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"rest of today", sh, "今天", CallbackRequest{"2026-11-23", "10:15", "17:30", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"this afternoon", sh, "下午", CallbackRequest{"2026-11-23", "12:00", "17:30", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"part of day after the hour", sh, "tomorrow 10 in the morning", CallbackRequest{"2026-11-24", "10:00", "11:00", "Asia/Shanghai"}, time.Time{}, "", nil},
		{"longer default window", twoHours, "明天上午10点", CallbackRequest{"2026-11-24", "10:00", "12:00", "Asia/Shanghai"}, time.Time{}, "", nil},

		{"day and month could swap", sh, "12/3 14:00", CallbackRequest{}, time.Time{}, CodeAmbiguous, []string{"2026-12-03", "2027-03-12"}},
		{"next Friday said on a Monday", sh, "next Friday 10am", CallbackRequest{}, time.Time{}, CodeAmbiguous, []string{"2026-11-27", "2026-12-04"}},
		{"two times", sh, "明天上午10点或者11点", CallbackRequest{}, time.Time{}, CodeAmbiguous, []string{"10:00", "11:00"}},
		{"two days", sh, "tomorrow or Wednesday", CallbackRequest{}, time.Time{}, CodeAmbiguous, []string{"2026-11-24", "2026-11-25"}},
		{"two days in Chinese", sh, "周二或周三下午", CallbackRequest{}, time.Time{}, CodeAmbiguous, []string{"2026-11-24", "2026-11-25"}},
		{"bare hour both open, in English", roundClock, "Tuesday at 3", CallbackRequest{}, time.Time{}, CodeAmbiguous, []string{"2026-11-24 03:00-04:00", "2026-11-24 15:00-16:00"}},
		{"morning or afternoon", sh, "明天上午或下午", CallbackRequest{}, time.Time{}, CodeAmbiguous, []string{"morning", "afternoon"}},
		{"both hours open", roundClock, "明天3点", CallbackRequest{}, time.Time{}, CodeAmbiguous, []string{"2026-11-24 03:00-04:00", "2026-11-24 15:00-16:00"}},
		{"no time", sh, "please call me back", CallbackRequest{}, time.Time{}, CodeNoTime, nil},
		{"empty", sh, "", CallbackRequest{}, time.Time{}, CodeNoTime, nil},
		{"no such date", sh, "2月30日", CallbackRequest{}, time.Time{}, CodeDate, nil},
		{"in the past", sh, "today 9am", CallbackRequest{}, time.Time{}, CodePast, nil},
		{"too far ahead", sh, "Dec 20 10am", CallbackRequest{}, time.Time{}, CodeTooFar, nil},
		{"evening", sh, "明天晚上8点", CallbackRequest{}, time.Time{}, CodeOutsideHours, nil},
		{"weekend", sh, "这周六上午", CallbackRequest{}, time.Time{}, CodeOutsideHours, nil},
		{"Sunday", sh, "星期天", CallbackRequest{}, time.Time{}, CodeOutsideHours, nil},
		{"early hour", sh, "明天7点", CallbackRequest{}, time.Time{}, CodeOutsideHours, nil},

		// A customer in London, the business in Shanghai: 02:00 in London is
		// 10:00 in Shanghai; London's morning is open from 00:30 to 09:30.
		{"customer zone, open", shLondon, "tomorrow 2am", CallbackRequest{"2026-11-24", "02:00", "03:00", "Europe/London"}, at(shanghai, "2026-11-24 10:00"), "", nil},
		{"customer zone, morning", shLondon, "tomorrow morning", CallbackRequest{"2026-11-24", "00:30", "09:30", "Europe/London"}, at(shanghai, "2026-11-24 08:30"), "", nil},
		{"customer zone, closed", shLondon, "tomorrow 10am", CallbackRequest{}, time.Time{}, CodeOutsideHours, nil},
		// A customer in New York: Shanghai's 08:30–17:30 is their 19:30–04:30
		// the evening before.
		{"New York customer, their evening", shNewYork, "tomorrow 8pm", CallbackRequest{"2026-11-23", "20:00", "21:00", "America/New_York"}, at(shanghai, "2026-11-24 09:00"), "", nil},
		{"New York customer, in Chinese", shNewYork, "明天晚上8点半", CallbackRequest{"2026-11-23", "20:30", "21:30", "America/New_York"}, at(shanghai, "2026-11-24 09:30"), "", nil},
		// It is 21:00 on Sunday in New York: tonight's 8 o'clock has passed.
		{"New York customer, tonight passed", shNewYork, "今晚8点", CallbackRequest{}, time.Time{}, CodePast, nil},
		{"New York customer, their morning", shNewYork, "tomorrow 10am", CallbackRequest{}, time.Time{}, CodeOutsideHours, nil},
		{"London customer, in Chinese", shLondon, "明天凌晨2点", CallbackRequest{"2026-11-24", "02:00", "03:00", "Europe/London"}, at(shanghai, "2026-11-24 10:00"), "", nil},
		{"London office", ldOffice, "tomorrow 10am", CallbackRequest{"2026-11-24", "10:00", "11:00", "Europe/London"}, utc("2026-11-24 10:00"), "", nil},

		// New York, clocks forward: 02:00–03:00 does not exist on 2026-03-08.
		{"skipped hour", nySpring, "tomorrow 2:30am", CallbackRequest{}, time.Time{}, CodeSkippedTime, []string{"2026-03-08 02:30"}},
		{"before the skipped hour", nySpring, "tomorrow 1:30am", CallbackRequest{"2026-03-08", "01:30", "03:00", "America/New_York"}, utc("2026-03-08 06:30"), "", nil},
		{"after the skipped hour", nySpring, "tomorrow 3am", CallbackRequest{"2026-03-08", "03:00", "04:00", "America/New_York"}, utc("2026-03-08 07:00"), "", nil},
		{"skipped hour in Chinese", nySpring, "明天凌晨2点半", CallbackRequest{}, time.Time{}, CodeSkippedTime, []string{"2026-03-08 02:30"}},
		{"range ending in the skipped hour", nySpring, "tomorrow 1-2:30am", CallbackRequest{}, time.Time{}, CodeSkippedTime, []string{"2026-03-08 02:30"}},
		// New York, clocks back: 01:00–02:00 happens twice on 2026-11-01; a
		// time in it is its first occurrence, still in summer time.
		{"repeated hour", nyAutumn, "tomorrow 1:30am", CallbackRequest{}, time.Time{}, CodeTimeRepeated, nil},
		{"repeated hour in Chinese", nyAutumn, "明天凌晨1点半", CallbackRequest{}, time.Time{}, CodeTimeRepeated, nil},
		{"after the repeated hour", nyAutumn, "tomorrow 2:30am", CallbackRequest{"2026-11-01", "02:30", "03:30", "America/New_York"}, utc("2026-11-01 07:30"), "", nil},
		{"office hours after the change", nyOffice, "Monday 9am", CallbackRequest{"2026-11-02", "09:00", "10:00", "America/New_York"}, utc("2026-11-02 14:00"), "", nil},
		// A wall time the clocks show twice names no one instant: refused,
		// in London as in New York.
		{"London skipped hour", ldSpring, "tomorrow 1:30am", CallbackRequest{}, time.Time{}, CodeSkippedTime, []string{"2026-03-29 01:30"}},
		{"London repeated hour", ldAutumn, "tomorrow 1:30am", CallbackRequest{}, time.Time{}, CodeTimeRepeated, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadCallback(tt.text, tt.r)
			if tt.code != "" {
				e, ok := err.(*CallbackTextError)
				if !ok || e.Code != tt.code || tt.readings != nil && !slices.Equal(e.Readings, tt.readings) {
					t.Fatalf("ReadCallback(%q) = %+v, %v, want %s %v", tt.text, got, err, tt.code, tt.readings)
				}
				if (tt.code == CodePast || tt.code == CodeTooFar || tt.code == CodeOutsideHours) && e.Args["hours"] == "" && e.Args["localNow"] == "" {
					t.Errorf("ReadCallback(%q) refusal %v does not say what is allowed", tt.text, e)
				}
				return
			}
			if err != nil || got.Request != tt.want {
				t.Fatalf("ReadCallback(%q) = %+v, %v, want %+v", tt.text, got.Request, err, tt.want)
			}
			if !tt.start.IsZero() && !got.Callback.Start.Equal(tt.start) {
				t.Errorf("ReadCallback(%q) starts at %v, want %v", tt.text, got.Callback.Start, tt.start.UTC())
			}
			if !got.Callback.End.After(got.Callback.Start) || !got.Callback.Start.After(tt.r.Now) || got.Callback.Zone != tt.want.TimeZone {
				t.Errorf("ReadCallback(%q) gave the window %+v", tt.text, got.Callback)
			}
		})
	}
}

func TestChineseNumerals(t *testing.T) {
	tests := []struct{ in, want string }{
		{"十二点", "12点"}, {"九点半", "9点半"}, {"二十三号", "23号"}, {"十点", "10点"},
		{"两点", "2点"}, {"二零二六年", "2026年"}, {"星期一", "星期1"}, {"三点一刻", "3点1刻"},
	}
	for _, tt := range tests {
		if got := chineseNumerals(tt.in); got != tt.want {
			t.Errorf("chineseNumerals(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzReadCallback(f *testing.F) {
	for _, s := range []string{"明天上午10点", "周五下午", "星期五下午2点到4点", "後天早上9點半", "tomorrow 10am", "Fri 2-4pm",
		"today 3:30pm", "next Monday morning", "12/3 14:00", "3 Dec", "12月3日", "tomorrow 2:30am", "11-1pm", "十二点半"} {
		f.Add(s, "Asia/Shanghai")
	}
	f.Add("tomorrow 1:30am", "America/New_York")
	f.Add("明天凌晨2点半", "America/New_York")
	f.Add("明天晚上8点半", "America/New_York")
	f.Add("周二或周三下午", "Asia/Shanghai")
	f.Add("Sunday 1:30", "Europe/London")
	now := at(time.UTC, "2026-10-30 23:00")
	f.Fuzz(func(t *testing.T, text, zone string) {
		z, err := time.LoadLocation(zone)
		if err != nil || zone == "" || zone == "Local" {
			return
		}
		for _, cal := range []Calendar{DefaultCalendar(shanghai), allHours(z)} {
			r := CallbackReading{Calendar: cal, Zone: z, Now: now}
			w, err := ReadCallback(text, r)
			if err != nil {
				if _, ok := err.(*CallbackTextError); !ok {
					t.Fatalf("ReadCallback(%q) error %v is not a *CallbackTextError", text, err)
				}
				continue
			}
			cb := w.Callback
			if !cb.End.After(cb.Start) || !cb.Start.After(now) || cb.End.After(now.Add(MaxCallbackAhead)) || !cal.IsOpen(cb.Start) || cb.Zone != z.String() {
				t.Fatalf("ReadCallback(%q) in %s accepted %+v", text, zone, w)
			}
			if l := cb.Start.In(z); l.Format(time.DateOnly) != w.Request.Date || l.Format("15:04") != w.Request.From {
				t.Fatalf("ReadCallback(%q) in %s: request %+v does not start at %v", text, zone, w.Request, l)
			}
		}
	})
}

func BenchmarkReadCallback(b *testing.B) {
	r := CallbackReading{Calendar: DefaultCalendar(shanghai), Now: at(shanghai, "2026-11-23 10:00")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadCallback("星期五下午2点到4点", r); err != nil {
			b.Fatal(err)
		}
	}
}
