package ticket

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func FuzzNormalizeContact(f *testing.F) {
	for _, s := range [][3]string{
		{"陈小姐", "138 0013 8000", "Chen@Example.com"},
		{"", "+44 20 7946 0958", ""},
		{"x", "++", "@@"},
		{"", "１３８００１３８０００", "a@b.cn"},
		{"\ufeff陈\u200b", "1-800-FLOWERS", "chen\u200b@example.com"},
		{"\u202eAnn", "010 6552 9988 转 99", "ann@example.com\x00"},
		{"", "+44 901 234 5678", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, name, phone, email string) {
		c, errs := NormalizeContact(Contact{Name: name, Phone: phone, Email: email}, "CN")
		if len(errs) == 0 && c.Phone == "" && c.Email == "" {
			t.Fatalf("NormalizeContact(%q, %q, %q) accepted a contact with neither phone nor email", name, phone, email)
		}
		if c.Phone != "" && (c.Phone[0] != '+' || len(c.Phone) > 16) {
			t.Fatalf("phone %q is not E.164", c.Phone)
		}
		if !utf8.ValidString(c.Name) && utf8.ValidString(name) {
			t.Fatalf("name %q became invalid UTF-8", c.Name)
		}
		if HasHidden(c.Name) || HasHidden(c.Email) {
			t.Fatalf("NormalizeContact(%q, %q, %q) = %+q keeps a hidden character", name, phone, email, c)
		}
		if c.Phone != "" && strings.IndexFunc(phone, unicode.IsLetter) >= 0 {
			t.Fatalf("NormalizeContact accepted phone %q, written with letters, as %s", phone, c.Phone)
		}
	})
}

func FuzzCallback(f *testing.F) {
	f.Add("2026-11-24", "09:00", "10:00", "Asia/Shanghai")
	f.Add("2026-02-30", "25:00", "10:00", "Europe/London")
	f.Add("", "", "", "Local")
	f.Add("2026-03-27", "02:30", "04:00", "Asia/Jerusalem")
	f.Add("2026-11-01", "01:30", "03:00", "America/New_York")
	f.Add("2026-10-04", "02:10", "03:00", "Australia/Lord_Howe")
	cal := DefaultCalendar(shanghai)
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, date, from, to, zone string) {
		cb, errs := cal.Callback(CallbackRequest{date, from, to, zone}, now, MaxCallbackAhead)
		if len(errs) > 0 {
			return
		}
		if cb == nil || !cb.End.After(cb.Start) || !cb.Start.After(now) || cb.End.After(now.Add(MaxCallbackAhead)) || !cal.IsOpen(cb.Start) {
			t.Fatalf("Callback(%q %q %q %q) accepted %+v", date, from, to, zone, cb)
		}
		// What was stored is what was asked for, on the customer's wall.
		loc, _ := time.LoadLocation(zone)
		day, _ := time.Parse(time.DateOnly, date)
		fromMin, _ := parseClock(from)
		toMin, _ := parseClock(to)
		start, end := cb.Start.In(loc), cb.End.In(loc)
		if start.Format(time.DateOnly) != day.Format(time.DateOnly) || start.Hour()*60+start.Minute() != fromMin || end.Hour()*60+end.Minute() != toMin {
			t.Fatalf("Callback(%q %q %q %q) = %v–%v on the customer's wall", date, from, to, zone, start, end)
		}
	})
}

func FuzzFindRef(f *testing.F) {
	f.Add("Re: [FD-7K3MQ9] meter")
	f.Add("FD-FD-FD-")
	f.Fuzz(func(t *testing.T, s string) {
		if r, ok := FindRef(s); ok {
			if _, ok := ParseRef(string(r)); !ok {
				t.Fatalf("FindRef(%q) = %q, which ParseRef rejects", s, r)
			}
		}
	})
}
