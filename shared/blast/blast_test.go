package blast

import (
	"errors"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

func TestApply(t *testing.T) {
	at := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		from    State
		action  Action
		want    State
		refused bool
	}{
		{"send a planned blast", Planned, Send, Sending, false},
		{"send twice", Sending, Send, Sending, true},
		{"pause while sending", Sending, Pause, Paused, false},
		{"pause a planned blast", Planned, Pause, Planned, true},
		{"resume a paused blast", Paused, Resume, Sending, false},
		{"resume while sending", Sending, Resume, Sending, true},
		{"cancel a planned blast", Planned, Cancel, Cancelled, false},
		{"cancel while sending", Sending, Cancel, Cancelled, false},
		{"cancel a paused blast", Paused, Cancel, Cancelled, false},
		{"cancel a finished blast", Done, Cancel, Done, true},
		{"send a cancelled blast", Cancelled, Send, Cancelled, true},
		{"finish while sending", Sending, Finish, Done, false},
		{"finish a paused blast", Paused, Finish, Paused, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Blast{State: tt.from, Version: 3}
			err := b.Apply(tt.action, "staff:s1", at, "")
			if tt.refused != errors.Is(err, ErrTransition) {
				t.Fatalf("Apply(%s) from %s = %v, want refused %v", tt.action, tt.from, err, tt.refused)
			}
			if b.State != tt.want {
				t.Errorf("Apply(%s) from %s: state %s, want %s", tt.action, tt.from, b.State, tt.want)
			}
			if tt.refused {
				if b.Version != 3 || len(b.History) != 0 {
					t.Errorf("refused Apply changed the blast: version %d, history %v", b.Version, b.History)
				}
				return
			}
			if b.Version != 4 || len(b.History) != 1 || b.History[0].Actor != "staff:s1" || b.History[0].Action != tt.action {
				t.Errorf("Apply(%s): version %d, history %+v", tt.action, b.Version, b.History)
			}
		})
	}
}

func TestApplyEmergencySaysSo(t *testing.T) {
	at := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	b := &Blast{Kind: Emergency, State: Planned}
	if err := b.Apply(Send, "staff:a", at, ""); err != nil {
		t.Fatal(err)
	}
	if b.History[0].Detail == "" || !b.SentAt.Equal(at) {
		t.Errorf("emergency send: history %+v, sentAt %v", b.History, b.SentAt)
	}
}

func TestHold(t *testing.T) {
	// 23:00 in Shanghai is 15:00 UTC.
	night := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	day := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	morning := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) // 08:00 Shanghai
	tests := []struct {
		name  string
		kind  Kind
		zone  string
		at    time.Time
		held  bool
		until time.Time
	}{
		{"notice at night in the business zone", Notice, "", night, true, morning},
		{"notice in the day", Notice, "", day, false, day},
		{"emergency at night", Emergency, "", night, false, night},
		{"notice at night for a recipient in London (15:00 there)", Notice, "Europe/London", night, false, night},
		{"notice at a bad zone falls back to the business zone", Notice, "Mars/Olympus", night, true, morning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Blast{Kind: tt.kind, Quiet: ticket.DefaultQuietHours, Zone: "Asia/Shanghai"}
			held, until := b.Hold(tt.at, tt.zone)
			if held != tt.held || !until.Equal(tt.until) {
				t.Errorf("Hold(%v, %q) = %v, %v, want %v, %v", tt.at, tt.zone, held, until, tt.held, tt.until)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	good := Blast{Kind: Outage, Texts: map[string]string{string(ticket.SimplifiedChinese): "停水通知"}, DefaultLanguage: string(ticket.SimplifiedChinese), Pace: 1}
	if err := good.Check(); err != nil {
		t.Fatalf("Check(good) = %v", err)
	}
	tests := []struct {
		name string
		edit func(*Blast)
	}{
		{"unknown kind", func(b *Blast) { b.Kind = "party" }},
		{"no text", func(b *Blast) { b.Texts = nil }},
		{"unknown language", func(b *Blast) { b.Texts = map[string]string{"fr": "x", string(ticket.SimplifiedChinese): "y"} }},
		{"no default text", func(b *Blast) { b.DefaultLanguage = string(ticket.English) }},
		{"zero pace", func(b *Blast) { b.Pace = 0 }},
		{"pace over the most", func(b *Blast) { b.Pace = 1000 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := good
			b.Texts = map[string]string{string(ticket.SimplifiedChinese): "停水通知"}
			tt.edit(&b)
			if err := b.Check(); err == nil {
				t.Errorf("Check(%+v) = nil, want an error", b)
			}
		})
	}
}

func TestInReplyWindow(t *testing.T) {
	sent := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	b := &Blast{SentAt: sent, ReplyWindow: time.Hour}
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{{sent.Add(-time.Second), false}, {sent.Add(30 * time.Minute), true}, {sent.Add(time.Hour + time.Second), false}} {
		if got := b.InReplyWindow(tt.at); got != tt.want {
			t.Errorf("InReplyWindow(%v) = %v, want %v", tt.at, got, tt.want)
		}
	}
}
