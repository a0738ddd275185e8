package email_test

import (
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func TestCallbackRequest(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	// Monday 2026-11-23 10:00 in Shanghai.
	r := ticket.CallbackReading{Calendar: ticket.MustDefaultRules(sh).Calendar, Now: time.Date(2026, 11, 23, 10, 0, 0, 0, sh)}
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, sh) }
	tests := []struct {
		name       string
		body       string
		asked      bool
		start, end time.Time
	}{
		{"English without a time", "Hello,\nmy meter is broken. Please call me back.\nThanks", true, time.Time{}, time.Time{}},
		{"English with a time", "Please call me back tomorrow 10am.\nJohn", true, at(24, 10, 0), at(24, 11, 0)},
		{"English time on its own line", "Could you give me a call?\nFri 2-4pm suits me.", true, at(27, 14, 0), at(27, 16, 0)},
		{"Simplified Chinese", "你好，\n燃气表读数不对，请回电。\n谢谢", true, time.Time{}, time.Time{}},
		{"Simplified Chinese with a time", "请明天下午3点给我打电话", true, at(24, 15, 0), at(24, 16, 0)},
		{"Traditional Chinese with a time", "麻煩回電，後天早上9點半方便。", true, at(25, 9, 30), at(25, 10, 30)},
		{"ambiguous time gives no window", "Please call me back on 12/3.", true, time.Time{}, time.Time{}},
		{"two different times give no window", "Call me back tomorrow 10am.\nOr Friday 3pm.", true, time.Time{}, time.Time{}},
		{"negated in English", "Please do not call me, just email.", false, time.Time{}, time.Time{}},
		{"negated with a curly apostrophe", "Don’t call me back, I am at work.", false, time.Time{}, time.Time{}},
		{"negated in Chinese", "无需回电，邮件回复即可。", false, time.Time{}, time.Time{}},
		{"negated in Chinese with words between", "请不要再给我打电话了", false, time.Time{}, time.Time{}},
		{"part of another word", "I recall me writing before. Recall me nothing.", false, time.Time{}, time.Time{}},
		{"no request", "My bill for November looks wrong, tomorrow 10am is my deadline.", false, time.Time{}, time.Time{}},
		{"only in the quoted mail", "Thanks.\n> Please call me back\n> tomorrow 10am", false, time.Time{}, time.Time{}},
		{"far down the mail", "a\nb\nc\nd\ne\nf\ng\nh\nPlease call me back", false, time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked, cb := email.CallbackRequest(tt.body, r)
			if asked != tt.asked {
				t.Fatalf("CallbackRequest(%q) asked = %v, want %v", tt.body, asked, tt.asked)
			}
			if email.CallbackAsked(tt.body) != tt.asked {
				t.Errorf("CallbackAsked(%q) = %v, want %v", tt.body, !tt.asked, tt.asked)
			}
			switch {
			case tt.start.IsZero() && cb != nil:
				t.Errorf("CallbackRequest(%q) window = %+v, want none", tt.body, cb)
			case !tt.start.IsZero() && (cb == nil || !cb.Start.Equal(tt.start) || !cb.End.Equal(tt.end) || cb.Zone != "Asia/Shanghai"):
				t.Errorf("CallbackRequest(%q) window = %+v, want %s–%s Asia/Shanghai", tt.body, cb, tt.start, tt.end)
			}
		})
	}
}

// TestMailCallbackFlagged: a mail asking to be called back is flagged for
// staff with a callback_requested event (with the window it gives), once
// however often it is delivered, with no message beyond the usual
// acknowledgement and nothing booked; an automatic mail is never flagged.
func TestMailCallbackFlagged(t *testing.T) {
	e := newEnv(t)
	monday10 := time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)
	dated := func(n map[string]any) {
		n["mail"].(map[string]any)["timestamp"] = monday10.UTC().Format(time.RFC3339Nano)
	}
	tests := []struct {
		name    string
		body    string
		headers []string
		flagged bool
		detail  string
		acks    int
	}{
		{"English with a time", "Hello,\r\nthe meter reads wrong. Please call me back tomorrow 10am.\r\nJohn", nil, true,
			"asked by email for 2026-11-24T02:00:00Z/2026-11-24T03:00:00Z Asia/Shanghai (not booked: staff confirm)", 1},
		{"Chinese without a time", "您好：\r\n燃气表读数不对，请回电。\r\n谢谢", nil, true, "asked by email; no time given", 1},
		{"no request", "Please send me a copy of my bill.", nil, false, "", 1},
		{"automatic", "I am out of the office. Call me back next week.", []string{"Auto-Submitted: auto-replied"}, false, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := unique(t, "cb")
			id := sesID(t)
			e.put(id, mailFrom("Customer <"+addr+">", "meter", tt.body, tt.headers...))
			e.ok(e.invoke(e.h, e.eventWith(id, dated)))
			e.ok(e.invoke(e.h, e.eventWith(id, dated)))
			tk := e.view(id)
			var flags []ticket.Event
			for _, ev := range tk.History {
				if ev.Type == ticket.EventCallbackRequested {
					flags = append(flags, ev)
				}
			}
			switch {
			case !tt.flagged && len(flags) != 0:
				t.Errorf("history = %+v, want no callback_requested", flags)
			case tt.flagged && (len(flags) != 1 || flags[0].Detail != tt.detail || flags[0].MessageID != tk.Messages[0].ID):
				t.Errorf("callback_requested events = %+v, want one on the mail with detail %q", flags, tt.detail)
			}
			if tk.Callback != nil {
				t.Errorf("callback = %+v, want nothing booked from a mail", tk.Callback)
			}
			if n := e.acks(addr); n != tt.acks {
				t.Errorf("SES holds %d mails for the sender, want %d", n, tt.acks)
			}
		})
	}
}
