package ticket

import (
	"testing"
	"time"
)

func TestQuietHoursNext(t *testing.T) {
	newYork := mustZone("America/New_York")
	london := mustZone("Europe/London")
	utc := func(s string) time.Time { return at(time.UTC, s) }
	tests := []struct {
		name      string
		q         QuietHours
		zone      *time.Location
		t         time.Time
		wantQuiet bool
		wantNext  time.Time
	}{
		{"evening before quiet", DefaultQuietHours, shanghai, at(shanghai, "2026-11-23 20:59"), false, at(shanghai, "2026-11-23 20:59")},
		{"quiet starts on the minute", DefaultQuietHours, shanghai, at(shanghai, "2026-11-23 21:00"), true, at(shanghai, "2026-11-24 08:00")},
		{"after midnight", DefaultQuietHours, shanghai, at(shanghai, "2026-11-24 03:00"), true, at(shanghai, "2026-11-24 08:00")},
		{"last quiet minute", DefaultQuietHours, shanghai, at(shanghai, "2026-11-24 07:59"), true, at(shanghai, "2026-11-24 08:00")},
		{"quiet ends on the minute", DefaultQuietHours, shanghai, at(shanghai, "2026-11-24 08:00"), false, at(shanghai, "2026-11-24 08:00")},
		{"midday", DefaultQuietHours, shanghai, at(shanghai, "2026-11-24 12:00"), false, at(shanghai, "2026-11-24 12:00")},
		// The same boundaries in a customer's zone that is not the business's.
		{"New York evening before quiet", DefaultQuietHours, newYork, at(newYork, "2026-11-23 20:59"), false, at(newYork, "2026-11-23 20:59")},
		{"New York quiet starts on the minute", DefaultQuietHours, newYork, at(newYork, "2026-11-23 21:00"), true, at(newYork, "2026-11-24 08:00")},
		{"New York last quiet minute", DefaultQuietHours, newYork, at(newYork, "2026-11-24 07:59"), true, at(newYork, "2026-11-24 08:00")},
		{"New York quiet ends on the minute", DefaultQuietHours, newYork, at(newYork, "2026-11-24 08:00"), false, at(newYork, "2026-11-24 08:00")},
		// The same instant is daytime in London and night in Shanghai.
		{"customer zone decides", DefaultQuietHours, london, utc("2026-11-23 14:00"), false, utc("2026-11-23 14:00")},
		{"customer zone at night", DefaultQuietHours, shanghai, utc("2026-11-23 14:00"), true, at(shanghai, "2026-11-24 08:00")},
		// Clocks go forward at 02:00 on 2026-03-08: the night is an hour shorter.
		{"spring night in New York", DefaultQuietHours, newYork, at(newYork, "2026-03-07 23:00"), true, utc("2026-03-08 12:00")},
		// Clocks go back at 02:00 BST on 2026-10-25: the night is an hour longer.
		{"autumn night in London", DefaultQuietHours, london, at(london, "2026-10-24 22:00"), true, utc("2026-10-25 08:00")},
		{"autumn morning in London", DefaultQuietHours, london, utc("2026-10-25 07:59"), true, utc("2026-10-25 08:00")},
		// Quiet hours ending inside the skipped hour end when the clock jumps.
		{"end in the skipped hour", QuietHours{22 * 60, 2*60 + 30}, newYork, utc("2026-03-08 06:59"), true, utc("2026-03-08 07:00")},
		{"after the skipped hour", QuietHours{22 * 60, 2*60 + 30}, newYork, utc("2026-03-08 07:00"), false, utc("2026-03-08 07:00")},
		// Quiet hours starting inside the skipped hour start when the clock jumps.
		{"start in the skipped hour", QuietHours{2*60 + 30, 6 * 60}, newYork, utc("2026-03-08 07:10"), true, at(newYork, "2026-03-08 06:00")},
		{"just before the jump", QuietHours{2*60 + 30, 6 * 60}, newYork, utc("2026-03-08 06:59"), false, utc("2026-03-08 06:59")},
		// 01:00–01:30 comes twice on 2026-11-01 in New York: quiet hours ending
		// at 01:30 end at its first occurrence and do not start again.
		{"end in the repeated hour", QuietHours{21 * 60, 90}, newYork, utc("2026-11-01 05:10"), true, utc("2026-11-01 05:30")},
		{"second pass of the repeated hour", QuietHours{21 * 60, 90}, newYork, utc("2026-11-01 06:10"), false, utc("2026-11-01 06:10")},
		{"daytime quiet hours", QuietHours{12 * 60, 14 * 60}, shanghai, at(shanghai, "2026-11-23 13:00"), true, at(shanghai, "2026-11-23 14:00")},
		{"daytime quiet hours at night", QuietHours{12 * 60, 14 * 60}, shanghai, at(shanghai, "2026-11-23 23:00"), false, at(shanghai, "2026-11-23 23:00")},
		{"no quiet hours", QuietHours{}, shanghai, at(shanghai, "2026-11-23 23:00"), false, at(shanghai, "2026-11-23 23:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			quiet, next := tt.q.Next(tt.t, tt.zone)
			if quiet != tt.wantQuiet || !next.Equal(tt.wantNext) {
				t.Errorf("%v.Next(%v) = %v, %v, want %v, %v", tt.q, tt.t.In(tt.zone), quiet, next.In(tt.zone), tt.wantQuiet, tt.wantNext.In(tt.zone))
			}
			if next.Before(tt.t) {
				t.Errorf("%v.Next(%v) goes back to %v", tt.q, tt.t, next)
			}
			if again, _ := tt.q.Next(next, tt.zone); again {
				t.Errorf("%v.Next(%v) = %v, which is quiet too", tt.q, tt.t, next)
			}
		})
	}
}

// TestQuietHoursEveryMinute walks a week around each clock change minute by
// minute: every instant is quiet exactly when its local wall clock says so
// (on the first pass of a repeated hour), and the next allowed instant is
// never quiet.
func TestQuietHoursEveryMinute(t *testing.T) {
	for _, zone := range []*time.Location{mustZone("America/New_York"), mustZone("Europe/London"), shanghai} {
		for _, from := range []time.Time{at(time.UTC, "2026-03-05 00:00"), at(time.UTC, "2026-10-22 00:00"), at(time.UTC, "2026-10-29 00:00")} {
			for i := 0; i < 7*24*60; i++ {
				now := from.Add(time.Duration(i) * time.Minute)
				quiet, next := DefaultQuietHours.Next(now, zone)
				local := now.In(zone)
				wall := local.Hour()*60 + local.Minute()
				if want := wall >= 21*60 || wall < 8*60; quiet != want {
					t.Fatalf("Next(%v) quiet = %v, want %v", local, quiet, want)
				}
				if l := next.In(zone); quiet && (l.Hour() != 8 || l.Minute() != 0 || !next.After(now) || next.Sub(now) > 12*time.Hour) {
					t.Fatalf("Next(%v) = %v, want the coming 08:00", local, l)
				}
			}
		}
	}
}

func TestParseQuietHours(t *testing.T) {
	tests := []struct {
		in   string
		want QuietHours
		ok   bool
	}{
		{"21:00-08:00", DefaultQuietHours, true},
		{"22:30–07:15", QuietHours{22*60 + 30, 7*60 + 15}, true},
		{" 12:00 ~ 14:00 ", QuietHours{12 * 60, 14 * 60}, true},
		{"21:00", QuietHours{}, false},
		{"25:00-08:00", QuietHours{}, false},
		{"21:00-8am", QuietHours{}, false},
	}
	for _, tt := range tests {
		got, err := ParseQuietHours(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseQuietHours(%q) = %v, %v, want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestQuietZone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Europe/London", "Europe/London"},
		{"", "Asia/Shanghai"},
		{"Local", "Asia/Shanghai"},
		{"Mars/Olympus", "Asia/Shanghai"},
	}
	for _, tt := range tests {
		if got := QuietZone(tt.in, shanghai).String(); got != tt.want {
			t.Errorf("QuietZone(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestWallInstant(t *testing.T) {
	newYork, london, santiago := mustZone("America/New_York"), mustZone("Europe/London"), mustZone("America/Santiago")
	utc := func(s string) time.Time { return at(time.UTC, s) }
	tests := []struct {
		name    string
		zone    *time.Location
		y       int
		m       time.Month
		d, min  int
		want    time.Time // first instant at or after the wall time
		skipped bool
	}{
		{"ordinary", shanghai, 2026, 11, 23, 9 * 60, utc("2026-11-23 01:00"), false},
		{"New York skipped", newYork, 2026, 3, 8, 2*60 + 30, utc("2026-03-08 07:00"), true},
		{"New York repeated: first", newYork, 2026, 11, 1, 90, utc("2026-11-01 05:30"), false},
		{"London skipped", london, 2026, 3, 29, 90, utc("2026-03-29 01:00"), true},
		{"London repeated: first", london, 2026, 10, 25, 90, utc("2026-10-25 00:30"), false},
		// Santiago's clocks jump from 00:00 to 01:00 on 2026-09-06.
		{"skipped midnight", santiago, 2026, 9, 6, 0, utc("2026-09-06 04:00"), true},
		{"day after normalized", shanghai, 2026, 11, 30, 24 * 60, utc("2026-11-30 16:00"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := wallInstant(tt.y, tt.m, tt.d, tt.min, tt.zone)
			if ok == tt.skipped || ok && !got.Equal(tt.want) {
				t.Errorf("wallInstant(%d-%d-%d %s) = %v, %v, want %v (skipped %v)", tt.y, tt.m, tt.d, clock(tt.min), got, ok, tt.want, tt.skipped)
			}
			if got := firstAtOrAfterWall(tt.y, tt.m, tt.d, tt.min, tt.zone); !got.Equal(tt.want) {
				t.Errorf("firstAtOrAfterWall(%d-%d-%d %s) = %v, want %v", tt.y, tt.m, tt.d, clock(tt.min), got.UTC(), tt.want)
			}
		})
	}
}
