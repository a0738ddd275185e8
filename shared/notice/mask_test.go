package notice_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frontdesk/frontdesk/shared/notice"
)

func TestMask(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"mainland mobile", "请回电13800138000谢谢", "请回电[phone]谢谢"},
		{"mobile with spaces", "电话 138 0013 8000。", "电话 [phone]。"},
		{"mobile with dashes", "手机：139-1234-5678，", "手机：[phone]，"},
		{"mobile with country code", "+86 138 0013 8000 call me", "[phone] call me"},
		{"full-width digits", "电话１３８００１３８０００", "电话[phone]"},
		{"Beijing landline", "座机010-62345678", "座机[phone]"},
		{"Shanghai landline in brackets", "(021) 6234 5678 anytime", "[phone] anytime"},
		{"full-width brackets", "（０２１）６２３４５６７８", "[phone]"},
		{"UK", "call +44 20 7946 0958.", "call [phone]."},
		{"US", "call +1 (415) 555-0100 today", "call [phone] today"},
		{"Hong Kong", "+852 2123 4567", "[phone]"},
		{"email", "mail li.lei@example.com now", "mail [email] now"},
		{"email at sentence end", "write to a.b+c@mail.example.cn.", "write to [email]."},
		{"email with full-width at", "邮箱 wang＠163.com", "邮箱 [email]"},
		{"email next to Chinese", "邮箱li@qq.com谢谢", "邮箱[email]谢谢"},
		{"ID card number", "身份证号 11010519491231002X", "身份证号 [number]X"},
		{"bank card", "卡号 6222 0202 0000 1234 567", "卡号 [number]"},
		{"account number", "户号 4403051234567", "户号 [number]"},
		{"short numbers stay", "3号楼502室 停水2天", "3号楼502室 停水2天"},
		{"six digits stay", "验证码 123456", "验证码 123456"},
		{"date stays", "since 2026-11-23 10:00", "since 2026-11-23 10:00"},
		{"slashed date stays", "2026/11/23停电", "2026/11/23停电"},
		{"amount stays", "多扣了 1,234.56 元", "多扣了 1,234.56 元"},
		{"at without domain", "meet @ 5", "meet @ 5"},
		{"two phones", "13800138000 or 13900139000", "[phone] or [phone]"},
		{"nothing", "煤气泄漏", "煤气泄漏"},
		{"callback window stays", "2026-11-24T09:00:00+08:00/2026-11-24T10:00:00+08:00 Asia/Shanghai", "2026-11-24T09:00:00+08:00/2026-11-24T10:00:00+08:00 Asia/Shanghai"},
		{"reference stays", "re FD-23ABC5 again", "re FD-23ABC5 again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := notice.Mask(tt.in); got != tt.want {
				t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskCutsLongText(t *testing.T) {
	in := strings.Repeat("很", notice.MaxText+50)
	if got := utf8.RuneCountInString(notice.Mask(in)); got != notice.MaxText {
		t.Errorf("Mask(%d runes) kept %d runes, want %d", notice.MaxText+50, got, notice.MaxText)
	}
}

// leaks reports a run of MinDigits digits or an address left in s.
func leaks(s string) string {
	run := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			run++
			if run >= notice.MinDigits {
				return "digits"
			}
			continue
		}
		run = 0
	}
	if i := strings.IndexAny(s, "@＠"); i >= 0 {
		rest := s[i+1:]
		if j := strings.IndexRune(rest, '.'); j > 0 && !strings.ContainsAny(rest[:j], " \t\n") {
			if i > 0 && strings.ContainsAny(s[i-1:i], "abcdefghijklmnopqrstuvwxyz0123456789") {
				return "email"
			}
		}
	}
	return ""
}

func FuzzMask(f *testing.F) {
	for _, s := range []string{"请回电13800138000", "+44 20 7946 0958", "li.lei@example.com", "2026-11-23", "（０２１）６２３４５６７８", "a@b.c@d.e", "1-2-3-4-5-6-7-8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := notice.Mask(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Mask(%q) = %q, not UTF-8", s, got)
		}
		if utf8.RuneCountInString(got) > notice.MaxText+len(notice.MaskNumber)*notice.MaxText {
			t.Fatalf("Mask(%q) grew to %d runes", s, utf8.RuneCountInString(got))
		}
		// Dates are kept on purpose; anything else with a long run of
		// digits leaked.
		if l := leaks(got); l == "digits" && !strings.ContainsAny(got, "-/") {
			t.Fatalf("Mask(%q) = %q leaks %s", s, got, l)
		}
	})
}

// FuzzDecode feeds arbitrary stream records through the decoder and the
// builder: no panic, and a notice never carries the snapshot's contact.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"stream-created-vip.json", "stream-followup-resolved.json"} {
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(readFixture(f, name), &ev); err != nil {
			f.Fatal(err)
		}
		for _, r := range ev.Records {
			b, _ := json.Marshal(r)
			f.Add(b)
		}
	}
	b, _ := notice.NewBuilder("https://console.example.com/t/{ref}")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > notice.MaxImage {
			return
		}
		var r events.DynamoDBEventRecord
		if err := json.Unmarshal(data, &r); err != nil {
			return
		}
		e, tk, err := notice.Decode(r)
		if err != nil {
			return
		}
		n, err := b.Build(e, tk)
		if err != nil {
			return
		}
		if _, err := json.Marshal(n); err != nil {
			t.Fatalf("encode notice: %v", err)
		}
		// Free text is masked; the rest of a notice comes from the
		// routing rules, not from the customer.
		text := n.Summary + " " + n.Detail + " " + n.Actor
		if strings.Contains(text, "@") && strings.Contains(tk.Contact.Email, "@") && strings.Contains(text, tk.Contact.Email) {
			t.Fatalf("notice text carries the contact's address: %q", text)
		}
		if l := leaks(text); l == "digits" && !strings.ContainsAny(text, "-/") {
			t.Fatalf("notice text leaks digits: %q", text)
		}
	})
}
