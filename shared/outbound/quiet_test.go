package outbound

import (
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

func TestNextAllowed(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	ny, _ := time.LoadLocation("America/New_York")
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	day := QuietHours{Start: 12 * time.Hour, End: 14 * time.Hour}
	tests := []struct {
		name string
		at   time.Time
		zone *time.Location
		q    QuietHours
		want time.Time
	}{
		{"morning", at(sh, 2026, 11, 23, 10, 0), sh, DefaultQuietHours, at(sh, 2026, 11, 23, 10, 0)},
		{"just before quiet", at(sh, 2026, 11, 23, 20, 59), sh, DefaultQuietHours, at(sh, 2026, 11, 23, 20, 59)},
		{"quiet starts", at(sh, 2026, 11, 23, 21, 0), sh, DefaultQuietHours, at(sh, 2026, 11, 24, 8, 0)},
		{"late evening", at(sh, 2026, 11, 23, 23, 30), sh, DefaultQuietHours, at(sh, 2026, 11, 24, 8, 0)},
		{"small hours", at(sh, 2026, 11, 24, 3, 0), sh, DefaultQuietHours, at(sh, 2026, 11, 24, 8, 0)},
		{"quiet ends", at(sh, 2026, 11, 24, 8, 0), sh, DefaultQuietHours, at(sh, 2026, 11, 24, 8, 0)},
		{"month end", at(sh, 2026, 11, 30, 22, 0), sh, DefaultQuietHours, at(sh, 2026, 12, 1, 8, 0)},
		// 22:00 UTC is 06:00 in Shanghai: quiet there, not in UTC.
		{"customer's zone, not the server's", at(time.UTC, 2026, 11, 23, 22, 0), sh, DefaultQuietHours, at(sh, 2026, 11, 24, 8, 0)},
		{"no zone is UTC", at(time.UTC, 2026, 11, 23, 22, 0), nil, DefaultQuietHours, at(time.UTC, 2026, 11, 24, 8, 0)},
		// New York springs forward at 02:00 on 2026-03-08: 08:00 is EDT.
		{"clocks go forward overnight", at(ny, 2026, 3, 7, 23, 0), ny, DefaultQuietHours, at(ny, 2026, 3, 8, 8, 0)},
		{"in the skipped hour", time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC), ny, DefaultQuietHours, at(ny, 2026, 3, 8, 8, 0)},
		// And falls back at 02:00 on 2026-11-01: 01:30 happens twice.
		{"clocks go back overnight", at(ny, 2026, 10, 31, 22, 0), ny, DefaultQuietHours, at(ny, 2026, 11, 1, 8, 0)},
		{"in the repeated hour", time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC), ny, DefaultQuietHours, at(ny, 2026, 11, 1, 8, 0)},
		{"daytime window, inside", at(sh, 2026, 11, 23, 13, 0), sh, day, at(sh, 2026, 11, 23, 14, 0)},
		{"daytime window, outside", at(sh, 2026, 11, 23, 22, 0), sh, day, at(sh, 2026, 11, 23, 22, 0)},
		{"no quiet hours", at(sh, 2026, 11, 23, 23, 0), sh, QuietHours{}, at(sh, 2026, 11, 23, 23, 0)},
		{"half-hour end", at(sh, 2026, 11, 23, 23, 0), sh, QuietHours{Start: 22 * time.Hour, End: 7*time.Hour + 30*time.Minute}, at(sh, 2026, 11, 24, 7, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NextAllowed(tt.at, tt.zone, tt.q)
			if !got.Equal(tt.want) {
				t.Errorf("NextAllowed(%v) = %v, want %v", tt.at, got, tt.want.In(time.UTC))
			}
			if q := Quiet(tt.at, tt.zone, tt.q); q != !tt.want.Equal(tt.at) {
				t.Errorf("Quiet(%v) = %v, want %v", tt.at, q, !q)
			}
			// What it answers is itself allowed.
			if again := NextAllowed(got, tt.zone, tt.q); !again.Equal(got) {
				t.Errorf("NextAllowed(%v) = %v, not allowed itself", got, again)
			}
		})
	}
}

func TestPurposes(t *testing.T) {
	tests := []struct {
		p                Purpose
		automatic, quiet bool
		autoSubmitted    string
	}{
		{Ack, true, false, "auto-replied"},
		{Keyword, true, false, "auto-replied"},
		{Reply, false, false, "auto-generated"},
		{Reminder, true, true, "auto-generated"},
		{Survey, true, true, "auto-generated"},
		{Blast, true, true, "auto-generated"},
	}
	for _, tt := range tests {
		if !tt.p.Valid() || tt.p.Automatic() != tt.automatic || tt.p.Quiet() != tt.quiet || tt.p.AutoSubmitted() != tt.autoSubmitted {
			t.Errorf("%s: valid %v automatic %v quiet %v %s, want true %v %v %s", tt.p, tt.p.Valid(),
				tt.p.Automatic(), tt.p.Quiet(), tt.p.AutoSubmitted(), tt.automatic, tt.quiet, tt.autoSubmitted)
		}
	}
	if Purpose("spam").Valid() {
		t.Errorf("an unknown purpose is valid")
	}
}

func TestChannel(t *testing.T) {
	phone, mail := "+8613800138000", "chen@example.com"
	tests := []struct {
		name  string
		ch    ticket.Channel
		c     ticket.Contact
		wantC ticket.Channel
	}{
		{"text ticket", ticket.SMS, ticket.Contact{Phone: phone}, ticket.SMS},
		{"mail ticket", ticket.Email, ticket.Contact{Email: mail}, ticket.Email},
		{"mail ticket that learnt a phone", ticket.Email, ticket.Contact{Phone: phone, Email: mail}, ticket.Email},
		{"web form, both", ticket.Web, ticket.Contact{Phone: phone, Email: mail}, ticket.SMS},
		{"web form, email only", ticket.Web, ticket.Contact{Email: mail}, ticket.Email},
		{"web form, phone only", ticket.Web, ticket.Contact{Phone: phone}, ticket.SMS},
		{"text ticket without phone", ticket.SMS, ticket.Contact{Email: mail}, ticket.Email},
		{"nothing", ticket.Web, ticket.Contact{}, ""},
	}
	for _, tt := range tests {
		if got := Channel(&ticket.Ticket{Channel: tt.ch, Contact: tt.c}); got != tt.wantC {
			t.Errorf("Channel(%s) = %q, want %q", tt.name, got, tt.wantC)
		}
	}
}
