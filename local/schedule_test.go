package main

import (
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	tests := []struct {
		expr, zone string
		after      time.Time
		want       time.Time
	}{
		{"rate(5 minutes)", "", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 9, 5, 0, 0, time.UTC)},
		// 02:00 Shanghai is 18:00 UTC the day before.
		{"cron(0 2 * * ? *)", "Asia/Shanghai", time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)},
		{"cron(0 2 * * ? *)", "Asia/Shanghai", time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC), time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC)},
		// New York's 02:00 on either side of the autumn change: EDT then EST.
		{"cron(0 2 * * ? *)", "America/New_York", time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 2, 0, 0, 0, ny)},
		{"cron(0 2 * * ? *)", "America/New_York", time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 2, 2, 0, 0, 0, ny)},
		// Weekdays only: Friday evening to Monday.
		{"cron(30 8 ? * MON-FRI *)", "UTC", time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC)},
		{"cron(*/15 * * * ? *)", "", time.Date(2026, 11, 23, 9, 1, 0, 0, time.UTC), time.Date(2026, 11, 23, 9, 15, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		s, err := parseSchedule(tt.expr, tt.zone)
		if err != nil {
			t.Fatalf("parseSchedule(%q) = %v", tt.expr, err)
		}
		if got := s.next(tt.after); !got.Equal(tt.want) {
			t.Errorf("%s in %q after %s = %s, want %s", tt.expr, tt.zone, tt.after, got, tt.want)
		}
	}
	for _, bad := range []string{"cron(0 2 * * * *)", "cron(0 25 * * ? *)", "cron(0 2 * * ? 2027)", "cron(0 2 * *)", "at(2026-11-23T02:00:00)"} {
		if _, err := parseSchedule(bad, ""); err == nil {
			t.Errorf("parseSchedule(%q) = nil error, want one", bad)
		}
	}
}

// FuzzParseSchedule: any expression either fails to parse or gives a
// schedule whose next firing is after the instant asked about (or never).
func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"rate(5 minutes)", "cron(0 2 * * ? *)", "cron(30 8 ? * MON-FRI *)", "cron(*/15 * * * ? *)", "cron(0 0 31 2 ? *)", "cron(5/10 1-3,22 1,15 * ? *)"} {
		f.Add(s, "Asia/Shanghai")
	}
	after := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr, zone string) {
		if zone != "" && zone != "UTC" && zone != "Asia/Shanghai" && zone != "America/New_York" {
			zone = "" // LoadLocation reads files: keep to known zones
		}
		s, err := parseSchedule(expr, zone)
		if err != nil {
			return
		}
		if next := s.next(after); !next.IsZero() && !next.After(after) {
			t.Errorf("%q in %q: next after %s = %s", expr, zone, after, next)
		}
	})
}
