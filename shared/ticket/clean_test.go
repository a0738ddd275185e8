package ticket

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	tests := []struct{ name, in, text, line string }{
		{"plain", "水表漏水，请尽快来修。", "水表漏水，请尽快来修。", "水表漏水，请尽快来修。"},
		{"newlines and tabs kept", "line one\n\tline two", "line one\n\tline two", "line one line two"},
		{"CRLF and lone CR", "a\r\nb\rc", "a\nb\nc", "a b c"},
		{"NUL and C0", "gas\x00 leak\x07\x1b[2J", "gas leak[2J", "gas leak[2J"},
		{"DEL and C1", "a\x7fb\u0080c\u009bd", "abcd", "abcd"},
		{"NEL and Unicode separators", "a\u0085b\u2028c\u2029d", "a\nb\nc\nd", "a b c d"},
		{"zero-width", "re\u200bfund\u200c\u200d\u2060", "refund", "refund"},
		{"byte order marks", "\ufeffhello\ufeff", "hello", "hello"},
		{"bidi override hides a reversed file name", "invoice\u202efdp.exe", "invoicefdp.exe", "invoicefdp.exe"},
		{"bidi isolates and marks", "\u2066a\u2069\u200e\u200f\u061cb", "ab", "ab"},
		{"soft hyphen and tags", "pay\u00admentE\U000E0041\U000E007F", "paymentE", "paymentE"},
		{"Hangul filler names", "\u3164\u115f", "", ""},
		{"not UTF-8", "ab\xffc\xc0", "abc", "abc"},
		{"only hidden", "\u200b\u200b\x00", "", ""},
		{"emoji with variation selector kept", "谢谢❤️", "谢谢❤️", "谢谢❤️"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CleanText(tt.in); got != tt.text {
				t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.text)
			}
			if got := CleanLine(tt.in); got != tt.line {
				t.Errorf("CleanLine(%q) = %q, want %q", tt.in, got, tt.line)
			}
			if HasHidden(tt.text) != strings.ContainsAny(tt.text, "\n\t") {
				t.Errorf("HasHidden(%q) = %v after cleaning", tt.text, HasHidden(tt.text))
			}
		})
	}
}

func TestNormalizePhoneRefusals(t *testing.T) {
	tests := []struct {
		name, raw, region, want, code string
	}{
		{"vanity number", "1-800-FLOWERS", "CN", "", CodePhoneLetters},
		{"vanity number with country code", "+1 800 FLOWERS", "CN", "", CodePhoneLetters},
		{"letter O for zero", "138 OO13 8OOO", "CN", "", CodePhoneLetters},
		{"ext", "+44 20 7946 0958 ext 99", "CN", "", CodePhoneExtension},
		{"ext.", "+44 20 7946 0958 ext. 12", "CN", "", CodePhoneExtension},
		{"x", "138 0013 8000 x99", "CN", "", CodePhoneExtension},
		{"hash", "+44 20 7946 0958#12", "CN", "", CodePhoneExtension},
		{"转", "010 6552 9988 转 99", "CN", "", CodePhoneExtension},
		{"分机", "010-6552-9988 分机：8021", "CN", "", CodePhoneExtension},
		{"premium rate, UK 09", "+44 901 234 5678", "CN", "", CodePhoneCost},
		{"premium rate, US 1-900", "+1 900-234-5678", "CN", "", CodePhoneCost},
		{"shared cost, China 400", "400 123 4567", "CN", "", CodePhoneCost},
		{"shared cost, Australia 1300", "+61 1300 123 456", "CN", "", CodePhoneCost},
		{"hidden characters dropped", "\u200b138\u00000013\u202e8000\ufeff", "CN", "+8613800138000", ""},
		{"toll-free is a real contact number", "+1 800 356 9377", "CN", "+18003569377", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, code := NormalizePhone(tt.raw, tt.region)
			if got != tt.want || code != tt.code {
				t.Errorf("NormalizePhone(%q, %s) = %q, %q; want %q, %q", tt.raw, tt.region, got, code, tt.want, tt.code)
			}
		})
	}
}

func TestNormalizeContactCleans(t *testing.T) {
	tests := []struct {
		name  string
		in    Contact
		want  Contact
		field string
		code  string
	}{
		{"name loses hidden characters", Contact{Name: "\ufeff陈\u200b小姐\x00", Phone: "13800138000"}, Contact{Name: "陈小姐", Phone: "+8613800138000"}, "", ""},
		{"name of only hidden characters is no name", Contact{Name: "\u3164\u200b", Email: "a@b.cn"}, Contact{Email: "a@b.cn"}, "", ""},
		{"email with zero-width space", Contact{Email: "chen\u200b@example.com"}, Contact{}, "email", CodeEmailHidden},
		{"email with bidi override", Contact{Email: "\u202emoc.elpmaxe@nehc"}, Contact{}, "email", CodeEmailHidden},
		{"email with NUL", Contact{Email: "chen@example.com\x00"}, Contact{}, "email", CodeEmailHidden},
		{"phone of only hidden characters is no phone", Contact{Phone: "\u200b\u200b"}, Contact{}, "contact", CodeContactRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := NormalizeContact(tt.in, "CN")
			if tt.field == "" {
				if len(errs) > 0 || got != tt.want {
					t.Fatalf("NormalizeContact(%+q) = %+q, %v; want %+q", tt.in, got, errs, tt.want)
				}
				return
			}
			if len(errs) != 1 || errs[0].Field != tt.field || errs[0].Code != tt.code {
				t.Fatalf("NormalizeContact(%+q) errors = %v, want %s on %s", tt.in, errs, tt.code, tt.field)
			}
		})
	}
}

func TestNormalizeMessage(t *testing.T) {
	tests := []struct{ in, want, code string }{
		{"  停电了\r\n请尽快处理  ", "停电了\n请尽快处理", ""},
		{"\u200b\u200b", "", CodeRequired},
		{"\x00 \t\n", "", CodeRequired},
		{strings.Repeat("水", MaxMessage) + "\u200b", strings.Repeat("水", MaxMessage), ""},
		{strings.Repeat("水", MaxMessage+1), strings.Repeat("水", MaxMessage+1), CodeTooLong},
	}
	for _, tt := range tests {
		got, code := NormalizeMessage(tt.in)
		if got != tt.want || code != tt.code {
			t.Errorf("NormalizeMessage(%.20q) = %.20q, %q; want %.20q, %q", tt.in, got, code, tt.want, tt.code)
		}
	}
}

// TestCallbackClockChanges: a wall time the customer's clocks skip or pass
// twice names no one instant, so it is refused with a message that says
// why. The zones and days are ones whose changes fall in business hours:
// Jerusalem springs forward on a Friday morning, inside Shanghai's
// business hours; the others are checked against a calendar open every
// hour of every day (a utility's emergency desk, or a make-up working day
// on the Sunday of the change).
func TestCallbackClockChanges(t *testing.T) {
	always := Calendar{Zone: time.UTC, Open: 0, Close: 24 * 60}
	for d := range always.Days {
		always.Days[d] = true
	}
	tests := []struct {
		name      string
		cal       Calendar
		now       time.Time
		req       CallbackRequest
		wantStart time.Time // zero when refused
		wantField string
		wantCode  string
	}{
		{"Jerusalem gap, Friday morning in Shanghai", DefaultCalendar(shanghai), at(shanghai, "2026-03-23 10:00"),
			CallbackRequest{"2026-03-27", "02:30", "04:00", "Asia/Jerusalem"}, time.Time{}, "callback.from", CodeTimeSkipped},
		{"Jerusalem after the gap", DefaultCalendar(shanghai), at(shanghai, "2026-03-23 10:00"),
			CallbackRequest{"2026-03-27", "03:30", "04:00", "Asia/Jerusalem"}, time.Date(2026, 3, 27, 0, 30, 0, 0, time.UTC), "", ""},
		{"Jerusalem window ending in the gap", DefaultCalendar(shanghai), at(shanghai, "2026-03-23 10:00"),
			CallbackRequest{"2026-03-27", "01:30", "02:45", "Asia/Jerusalem"}, time.Time{}, "callback.to", CodeTimeSkipped},
		{"New York gap", always, at(shanghai, "2026-03-02 10:00"),
			CallbackRequest{"2026-03-08", "02:15", "03:30", "America/New_York"}, time.Time{}, "callback.from", CodeTimeSkipped},
		{"New York repeated hour", always, at(shanghai, "2026-10-26 10:00"),
			CallbackRequest{"2026-11-01", "01:30", "03:00", "America/New_York"}, time.Time{}, "callback.from", CodeTimeRepeated},
		{"New York just after the repeated hour", always, at(shanghai, "2026-10-26 10:00"),
			CallbackRequest{"2026-11-01", "02:00", "03:00", "America/New_York"}, time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC), "", ""},
		{"London repeated hour", always, at(shanghai, "2026-10-20 10:00"),
			CallbackRequest{"2026-10-25", "00:30", "01:15", "Europe/London"}, time.Time{}, "callback.to", CodeTimeRepeated},
		{"Santiago gap at midnight", always, at(shanghai, "2026-09-01 10:00"),
			CallbackRequest{"2026-09-06", "00:10", "01:30", "America/Santiago"}, time.Time{}, "callback.from", CodeTimeSkipped},
		{"Santiago repeated hour before midnight", always, at(shanghai, "2026-03-30 10:00"),
			CallbackRequest{"2026-04-04", "22:30", "23:15", "America/Santiago"}, time.Time{}, "callback.to", CodeTimeRepeated},
		{"Lord Howe half-hour gap", always, at(shanghai, "2026-09-30 10:00"),
			CallbackRequest{"2026-10-04", "02:10", "03:00", "Australia/Lord_Howe"}, time.Time{}, "callback.from", CodeTimeSkipped},
		{"Lord Howe half-hour repeat", always, at(shanghai, "2026-03-30 10:00"),
			CallbackRequest{"2026-04-05", "01:40", "03:00", "Australia/Lord_Howe"}, time.Time{}, "callback.from", CodeTimeRepeated},
		{"Lord Howe just outside the repeat", always, at(shanghai, "2026-03-30 10:00"),
			CallbackRequest{"2026-04-05", "01:25", "02:00", "Australia/Lord_Howe"}, time.Date(2026, 4, 4, 14, 25, 0, 0, time.UTC), "", ""},
		{"Shanghai has no clock changes", always, at(shanghai, "2026-03-02 10:00"),
			CallbackRequest{"2026-03-08", "02:30", "03:00", "Asia/Shanghai"}, time.Date(2026, 3, 7, 18, 30, 0, 0, time.UTC), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cb, errs := tt.cal.Callback(tt.req, tt.now, MaxCallbackAhead)
			if tt.wantField == "" {
				if len(errs) > 0 || cb == nil || !cb.Start.Equal(tt.wantStart) {
					t.Fatalf("Callback(%+v) = %+v, %v; want start %v", tt.req, cb, errs, tt.wantStart)
				}
				return
			}
			if len(errs) != 1 || errs[0].Field != tt.wantField || errs[0].Code != tt.wantCode {
				t.Fatalf("Callback(%+v) errors = %v, want %s on %s", tt.req, errs, tt.wantCode, tt.wantField)
			}
			if a := errs[0].Args; a["timeZone"] != tt.req.TimeZone || a["date"] != tt.req.Date || a["time"] == "" {
				t.Errorf("Callback(%+v) args = %v, want the time, date and zone to explain", tt.req, a)
			}
		})
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"水表漏水\r\n请尽快", "\ufeff\u202eabc\u200b", "a\x00b\x85c", "\xff\xfe", "\u3164"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text, line := CleanText(s), CleanLine(s)
		if !utf8.ValidString(text) || !utf8.ValidString(line) {
			t.Fatalf("CleanText(%q) = %q, CleanLine = %q: not UTF-8", s, text, line)
		}
		for _, r := range text {
			if Hidden(r) && r != '\n' && r != '\t' {
				t.Fatalf("CleanText(%q) = %q keeps %U", s, text, r)
			}
		}
		if HasHidden(line) || strings.Contains(line, "  ") || strings.TrimSpace(line) != line {
			t.Fatalf("CleanLine(%q) = %q", s, line)
		}
		if strings.Contains(text, "\r") {
			t.Fatalf("CleanText(%q) = %q keeps a carriage return", s, text)
		}
		if CleanText(text) != text || CleanLine(line) != line {
			t.Fatalf("cleaning %q twice changes it", s)
		}
	})
}
