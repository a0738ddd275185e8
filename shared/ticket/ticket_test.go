package ticket

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return z
}

func at(zone *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, zone)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCalendarAdd(t *testing.T) {
	cal := DefaultCalendar(shanghai)
	cal.Holidays["2026-10-01"] = true
	newYork := DefaultCalendar(mustZone("America/New_York"))
	tests := []struct {
		name  string
		cal   Calendar
		start time.Time
		d     time.Duration
		want  time.Time
	}{
		{"inside one day", cal, at(shanghai, "2026-11-23 10:00"), 4 * time.Hour, at(shanghai, "2026-11-23 14:00")},
		{"runs past closing", cal, at(shanghai, "2026-11-23 16:30"), 4 * time.Hour, at(shanghai, "2026-11-24 11:30")},
		{"Friday afternoon to Monday", cal, at(shanghai, "2026-11-27 16:30"), 4 * time.Hour, at(shanghai, "2026-11-30 11:30")},
		{"before opening", cal, at(shanghai, "2026-11-23 06:00"), time.Hour, at(shanghai, "2026-11-23 09:30")},
		{"weekend start", cal, at(shanghai, "2026-11-28 12:00"), time.Hour, at(shanghai, "2026-11-30 09:30")},
		{"holiday skipped", cal, at(shanghai, "2026-09-30 17:00"), time.Hour, at(shanghai, "2026-10-02 09:00")},
		{"exactly at closing", cal, at(shanghai, "2026-11-23 13:30"), 4 * time.Hour, at(shanghai, "2026-11-23 17:30")},
		{"three business days", cal, at(shanghai, "2026-11-23 10:00"), 27 * time.Hour, at(shanghai, "2026-11-26 10:00")},
		// Clocks go back on 2026-11-01 in New York: the day still opens at 08:30 on the wall.
		{"across a clock change", newYork, at(mustZone("America/New_York"), "2026-10-30 17:00"), time.Hour, at(mustZone("America/New_York"), "2026-11-02 09:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cal.Add(tt.start, tt.d); !got.Equal(tt.want) {
				t.Errorf("Add(%v, %v) = %v, want %v", tt.start, tt.d, got.In(tt.cal.Zone), tt.want)
			}
		})
	}
}

func TestParseSpan(t *testing.T) {
	tests := []struct {
		in      string
		want    Span
		wantErr bool
	}{
		{"15m", Span{D: 15 * time.Minute}, false},
		{"24h", Span{D: 24 * time.Hour}, false},
		{"4bh", Span{D: 4 * time.Hour, Business: true}, false},
		{"3bd", Span{Days: 3, Business: true}, false},
		{"", Span{}, false},
		{"0bd", Span{}, true},
		{"-1h", Span{}, true},
		{"soon", Span{}, true},
	}
	for _, tt := range tests {
		got, err := ParseSpan(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSpan(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestClassify(t *testing.T) {
	r := MustDefaultRules(shanghai)
	tests := []struct {
		name         string
		chosen       Kind
		text         string
		vip          bool
		wantKind     Kind
		wantPriority Priority
		wantQueue    string
	}{
		{"chosen kind wins", Billing, "please check my invoice", false, Billing, P3, "billing"},
		{"simplified chinese complaint", "", "我要投诉你们的维修人员", false, Complaint, P2, "complaints"},
		{"traditional chinese repair", "", "家裡的水管壞了，請派人維修", false, Repair, P2, "field-service"},
		{"english billing", "", "I was overcharged on my bill", false, Billing, P3, "billing"},
		{"full-width latin", "", "ＧＡＳ ＬＥＡＫ in the kitchen", false, Emergency, P1, "emergency-desk"},
		{"emergency word raises a chosen kind", Inquiry, "Quick question: I smell gas near the meter", false, Inquiry, P1, "emergency-desk"},
		{"traditional emergency", "", "樓下燃氣洩漏", false, Emergency, P1, "emergency-desk"},
		{"word boundary", "", "my firewall settings", false, Other, P3, "customer-service"},
		{"nothing matches", "", "hello there", false, Other, P3, "customer-service"},
		{"vip raises one step", "", "I have a question", true, Inquiry, P2, "key-accounts"},
		{"vip praise", Praise, "thanks", true, Praise, P3, "key-accounts"},
		{"vip emergency stays with the emergency desk", "", "fire!", true, Emergency, P1, "emergency-desk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Classify(tt.chosen, tt.text, tt.vip)
			if got.Kind != tt.wantKind || got.Priority != tt.wantPriority || got.Queue != tt.wantQueue {
				t.Errorf("Classify(%q, %q, %v) = %s %s %s, want %s %s %s", tt.chosen, tt.text, tt.vip,
					got.Kind, got.Priority, got.Queue, tt.wantKind, tt.wantPriority, tt.wantQueue)
			}
		})
	}
}

// TestClassifyKeywords: the classification names the rules' keywords that
// decided it, and only those.
func TestClassifyKeywords(t *testing.T) {
	r := MustDefaultRules(shanghai)
	tests := []struct {
		name   string
		chosen Kind
		text   string
		want   []string
	}{
		{"kind from a keyword", "", "我要投诉你们的维修人员", []string{"投诉"}},
		{"full-width text, folded keyword", "", "ＧＡＳ ＬＥＡＫ in the kitchen", []string{"gas leak"}},
		{"chosen kind raised by an emergency word", Inquiry, "Quick question: I smell gas near the meter", []string{"smell gas"}},
		{"the emergency rule comes first", "", "维修师傅说漏气了", []string{"漏气"}},
		{"chosen kind alone", Billing, "please check 138 0013 8000", nil},
		{"nothing matches", "", "hello there", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 5 { // the same words every time
				if got := r.Classify(tt.chosen, tt.text, false).Keywords; !slices.Equal(got, tt.want) {
					t.Fatalf("Classify(%q, %q).Keywords = %q, want %q", tt.chosen, tt.text, got, tt.want)
				}
			}
		})
	}
}

func TestDeadlines(t *testing.T) {
	r := MustDefaultRules(shanghai)
	sat3am := at(shanghai, "2026-11-28 03:00")
	mon10 := at(shanghai, "2026-11-23 10:00")
	tests := []struct {
		name             string
		kind             Kind
		p                Priority
		major            bool
		from             time.Time
		wantAck, wantRes time.Time
	}{
		{"emergency at any hour", Emergency, P1, false, sat3am, sat3am.Add(15 * time.Minute), sat3am.Add(4 * time.Hour)},
		{"keyword-raised P1 keeps emergency clocks", Inquiry, P1, false, sat3am, sat3am.Add(15 * time.Minute), sat3am.Add(4 * time.Hour)},
		{"repair", Repair, P2, false, mon10, at(shanghai, "2026-11-23 14:00"), mon10.Add(24 * time.Hour)},
		{"major repair", Repair, P2, true, mon10, at(shanghai, "2026-11-23 14:00"), mon10.Add(72 * time.Hour)},
		{"complaint", Complaint, P2, false, mon10, at(shanghai, "2026-11-23 14:00"), at(shanghai, "2026-11-26 10:00")},
		{"inquiry", Inquiry, P3, false, mon10, at(shanghai, "2026-11-24 10:00"), at(shanghai, "2026-11-26 10:00")},
		{"praise has no resolve limit", Praise, P4, false, mon10, at(shanghai, "2026-11-26 10:00"), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ack, res := r.Deadlines(tt.kind, tt.p, tt.major, tt.from)
			if !ack.Equal(tt.wantAck) || !res.Equal(tt.wantRes) {
				t.Errorf("Deadlines(%s) = %v, %v; want %v, %v", tt.kind, ack.In(shanghai), res.In(shanghai), tt.wantAck, tt.wantRes)
			}
		})
	}
}

func TestParseRulesReportsEverything(t *testing.T) {
	bad := `{"calendar":{"open":"8.30","close":"17:30","days":["mon","funday"],"holidays":["2026-13-01"]},
		"kinds":[{"kind":"emergency","queue":"","priority":7,"ack":"soon"},{"kind":"gossip","queue":"x","priority":1,"ack":"1h"}]}`
	_, err := ParseRules([]byte(bad), shanghai)
	if err == nil {
		t.Fatal("ParseRules accepted a broken file")
	}
	for _, want := range []string{"calendar open", "funday", "2026-13-01", `kind "emergency" has no queue`, "priority 7", `"soon"`, `kind "gossip"`, `kind "complaint" has no rule`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRules error does not mention %q:\n%v", want, err)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		raw, region, want, code string
	}{
		{"138 0013 8000", "CN", "+8613800138000", ""},
		{"+86 138-0013-8000", "US", "+8613800138000", ""},
		{"(020) 7946 0958", "GB", "+442079460958", ""},
		{"+852 2123 4567", "CN", "+85221234567", ""},
		{"１３８００１３８０００", "CN", "+8613800138000", ""},
		{"12345", "CN", "", CodePhoneInvalid},
		{"+999 1234 5678", "CN", "", CodePhoneRegion},
		{"not a number", "CN", "", CodePhoneLetters},
		{strings.Repeat("1", 40), "CN", "", CodePhoneInvalid},
	}
	for _, tt := range tests {
		got, code := NormalizePhone(tt.raw, tt.region)
		if got != tt.want || code != tt.code {
			t.Errorf("NormalizePhone(%q, %s) = %q, %q; want %q, %q", tt.raw, tt.region, got, code, tt.want, tt.code)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ raw, want, code string }{
		{" Chen.Li@Example.COM ", "Chen.Li@example.com", ""},
		{"a@b.cn", "a@b.cn", ""},
		{"Chen <chen@example.com>", "", CodeEmailInvalid},
		{"chen@", "", CodeEmailInvalid},
		{"chen@localhost", "", CodeEmailInvalid},
		{"a@b.cn, c@d.cn", "", CodeEmailInvalid},
	}
	for _, tt := range tests {
		got, code := NormalizeEmail(tt.raw)
		if got != tt.want || code != tt.code {
			t.Errorf("NormalizeEmail(%q) = %q, %q; want %q, %q", tt.raw, got, code, tt.want, tt.code)
		}
	}
}

func TestNormalizeContactNeedsPhoneOrEmail(t *testing.T) {
	_, errs := NormalizeContact(Contact{Name: "  Ann   Lee "}, "CN")
	if len(errs) != 1 || errs[0].Field != "contact" || errs[0].Code != CodeContactRequired {
		t.Fatalf("NormalizeContact(name only) = %v, want one contact_required", errs)
	}
	c, errs := NormalizeContact(Contact{Name: "  Ann   Lee ", Email: "ann@example.com"}, "CN")
	if len(errs) != 0 || c.Name != "Ann Lee" {
		t.Fatalf("NormalizeContact = %+v, %v; want the name tidied and no errors", c, errs)
	}
}

func TestCallback(t *testing.T) {
	cal := DefaultCalendar(shanghai)
	now := at(shanghai, "2026-11-23 10:00")
	tests := []struct {
		name      string
		req       CallbackRequest
		wantStart time.Time
		wantField string
		wantCode  string
	}{
		{"inside hours", CallbackRequest{"2026-11-24", "09:00", "10:00", "Asia/Shanghai"}, at(shanghai, "2026-11-24 09:00"), "", ""},
		{"customer in London", CallbackRequest{"2026-11-24", "02:00", "03:00", "Europe/London"}, at(shanghai, "2026-11-24 10:00"), "", ""},
		{"in the past", CallbackRequest{"2026-11-23", "08:30", "09:00", "Asia/Shanghai"}, time.Time{}, "callback.date", CodePast},
		{"too far ahead", CallbackRequest{"2026-12-08", "09:00", "10:00", "Asia/Shanghai"}, time.Time{}, "callback.date", CodeTooFar},
		{"evening", CallbackRequest{"2026-11-24", "19:00", "20:00", "Asia/Shanghai"}, time.Time{}, "callback.from", CodeOutsideHours},
		{"runs past closing", CallbackRequest{"2026-11-24", "17:00", "18:00", "Asia/Shanghai"}, time.Time{}, "callback.from", CodeOutsideHours},
		{"weekend", CallbackRequest{"2026-11-28", "10:00", "11:00", "Asia/Shanghai"}, time.Time{}, "callback.from", CodeOutsideHours},
		{"end before start", CallbackRequest{"2026-11-24", "11:00", "10:00", "Asia/Shanghai"}, time.Time{}, "callback.to", CodeWindow},
		{"unknown zone", CallbackRequest{"2026-11-24", "10:00", "11:00", "Mars/Olympus"}, time.Time{}, "callback.timeZone", CodeZone},
		{"bad date", CallbackRequest{"24/11/2026", "10:00", "11:00", "Asia/Shanghai"}, time.Time{}, "callback.date", CodeDate},
		{"bad time", CallbackRequest{"2026-11-24", "10am", "11:00", "Asia/Shanghai"}, time.Time{}, "callback.from", CodeTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cb, errs := cal.Callback(tt.req, now, MaxCallbackAhead)
			if tt.wantField == "" {
				if len(errs) > 0 || cb == nil || !cb.Start.Equal(tt.wantStart) || cb.Zone != tt.req.TimeZone || cb.Start.Location() != time.UTC {
					t.Fatalf("Callback(%+v) = %+v, %v; want start %v (UTC) in %s", tt.req, cb, errs, tt.wantStart, tt.req.TimeZone)
				}
				return
			}
			if len(errs) != 1 || errs[0].Field != tt.wantField || errs[0].Code != tt.wantCode {
				t.Fatalf("Callback(%+v) errors = %v, want %s on %s", tt.req, errs, tt.wantCode, tt.wantField)
			}
		})
	}
}

func TestRefs(t *testing.T) {
	seen := map[Ref]bool{}
	for range 1000 {
		r := NewRef()
		if _, ok := ParseRef(string(r)); !ok || len(r) != 9 || strings.ContainsAny(string(r)[3:], "01OILU") {
			t.Fatalf("NewRef() = %q, not a clean reference", r)
		}
		seen[r] = true
	}
	if len(seen) < 990 {
		t.Errorf("1000 references had only %d distinct values", len(seen))
	}
	tests := []struct {
		text string
		want Ref
		ok   bool
	}{
		{"Re: [FD-7K3MQ9] meter", "FD-7K3MQ9", true},
		{"re: fd-7k3mq9", "FD-7K3MQ9", true},
		{"XFD-7K3MQ9", "", false},
		{"FD-7K3MQ9X", "", false},
		{"FD-7K3MQ0", "", false},
		{"no ref here", "", false},
	}
	for _, tt := range tests {
		got, ok := FindRef(tt.text)
		if got != tt.want || ok != tt.ok {
			t.Errorf("FindRef(%q) = %q, %v; want %q, %v", tt.text, got, ok, tt.want, tt.ok)
		}
	}
}

func TestIDsSortByTime(t *testing.T) {
	a := NewID(at(shanghai, "2026-11-23 10:00"))
	b := NewID(at(shanghai, "2026-11-23 10:00"))
	c := NewID(at(shanghai, "2026-11-23 10:01"))
	if !(a < b && b < c) {
		t.Errorf("IDs %s %s %s do not sort in the order they were made", a, b, c)
	}
}

func TestPriorityJSON(t *testing.T) {
	b, _ := P2.MarshalJSON()
	if string(b) != `"P2"` {
		t.Errorf("P2 marshals as %s", b)
	}
	var p Priority
	for _, in := range []string{`"P1"`, `1`, `"p1"`} {
		if err := p.UnmarshalJSON([]byte(in)); err != nil || p != P1 {
			t.Errorf("UnmarshalJSON(%s) = %v, %v", in, p, err)
		}
	}
	if err := p.UnmarshalJSON([]byte(`"P9"`)); err == nil {
		t.Error("UnmarshalJSON accepted P9")
	}
}

func TestValidationErrorOnePerField(t *testing.T) {
	var e ValidationError
	e.Add("phone", CodePhoneInvalid, nil)
	e.Add("phone", CodeRequired, nil)
	if len(e) != 1 || e[0].Code != CodePhoneInvalid {
		t.Errorf("ValidationError = %v, want the first problem only", e)
	}
	var target ValidationError
	if !errors.As(e.Err(), &target) {
		t.Error("Err() is not a ValidationError")
	}
}

func TestRateLimitStart(t *testing.T) {
	at := func(hms string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, "2026-11-23T"+hms+"Z")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	plain := RateLimit{Window: 10 * time.Minute}
	half := RateLimit{Window: 10 * time.Minute, Offset: 5 * time.Minute}
	for _, tc := range []struct {
		l        RateLimit
		at, want string
	}{
		{plain, "02:09:59.9", "02:00:00"},
		{plain, "02:10:00", "02:10:00"},
		{half, "02:09:59.9", "02:05:00"},
		{half, "02:10:00.1", "02:05:00"},
		{half, "02:04:59", "01:55:00"},
		{half, "02:05:00", "02:05:00"},
	} {
		if got := tc.l.Start(at(tc.at)); !got.Equal(at(tc.want)) {
			t.Errorf("%+v.Start(%s) = %s, want %s", tc.l, tc.at, got.Format("15:04:05"), tc.want)
		}
	}
}
