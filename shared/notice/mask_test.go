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

type maskCase struct {
	name, in, want string
}

func checkMask(t *testing.T, tests []maskCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := notice.Mask(tt.in); got != tt.want {
				t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMask(t *testing.T) {
	tests := []maskCase{
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
		{"email with at spelled out", "write to zhang.san at gmail.com please", "write to [email] please"},
		{"email with at in brackets", "邮箱 li(at)163.com", "邮箱 [email]"},
		{"email with spaced at in brackets", "mail li [AT] example.cn now", "mail [email] now"},
		{"email with at in full-width brackets", "邮箱 wang（at）qq.com。", "邮箱 [email]。"},
		{"upper-case email with at in brackets", "ZHANG(AT)QQ.COM", "[email]"},
		{"at before a time stays", "arrive at 9.30 please", "arrive at 9.30 please"},
		{"at before a sentence stays", "I was at home.Then the gas went out", "I was at home.Then the gas went out"},
		{"at in a sentence stays", "look at this", "look at this"},
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
	checkMask(t, tests)
}

func TestMaskSeparators(t *testing.T) {
	checkMask(t, []maskCase{
		{"en dashes", "电话 138–0013–8000", "电话 [phone]"},
		{"em dashes", "电话 138—0013—8000", "电话 [phone]"},
		{"middle dots", "电话 138·0013·8000", "电话 [phone]"},
		{"katakana middle dots", "電話 138・0013・8000", "電話 [phone]"},
		{"underscores", "电话 138_0013_8000", "电话 [phone]"},
		{"spaced hyphens", "电话 138 - 0013 - 8000", "电话 [phone]"},
		{"spaced em dashes", "电话 138 — 0013 — 8000 谢谢", "电话 [phone] 谢谢"},
		{"minus signs", "电话 138−0013−8000", "电话 [phone]"},
		{"full-width digits and hyphens", "电话１３８－００１３－８０００", "电话[phone]"},
		{"full-width plus and spaces", "电话＋８６　１３８　００１３　８０００", "电话[phone]"},
		{"full-width dots", "电话１３８．００１３．８０００", "电话[phone]"},
		{"full-width underscores", "电话１３８＿００１３＿８０００", "电话[phone]"},
		{"narrow no-break spaces", "tel 138\u202f0013\u202f8000", "tel [phone]"},
		{"landline with en dash", "座机 010–6234–5678", "座机 [phone]"},
		{"international with em dashes", "call +44—20—7946—0958", "call [phone]"},
		{"bank card with underscores", "卡号 6222_0202_0000_1234", "卡号 [number]"},
		{"after a time range", "9:30–11:00 打 138—0013—8000", "9:30–11:00 打 [phone]"},
		{"after a date", "2026-12-01 13800138000", "2026-12-01 [phone]"},
		{"after a reference", "FD-7K3MQ9 13800138000", "FD-7K3MQ9 [phone]"},
		{"date-like phone", "电话 1380-01-13 800", "电话 [phone]"},
	})
}

// TestMaskCommas: a phone number may be grouped with commas; an amount
// grouped in thousands stays readable, and so does a list of numbers.
func TestMaskCommas(t *testing.T) {
	checkMask(t, []maskCase{
		{"full-width commas", "号码：138，0013，8000", "号码：[phone]"},
		{"ASCII commas", "call 138,0013,8000", "call [phone]"},
		{"commas and spaces", "call 138, 0013, 8000 now", "call [phone] now"},
		{"full-width digits and commas", "电话１３８，００１３，８０００。", "电话[phone]。"},
		{"landline", "座机 010,6234,5678", "座机 [phone]"},
		{"international", "call +44,20,7946,0958", "call [phone]"},
		{"after a comma that ends a clause", "户号 440305，电话 138，0013，8000", "户号 440305，电话 [phone]"},
		{"two phones in a list", "13800138000,13900139000", "[phone],[phone]"},
		{"cut", "号码：138，0013，80…", "号码：[phone]…"},
		{"cut after a comma", "号码：138，0013，…", "号码：[phone]，…"},
		{"thousands", "欠费 1,234,567 元", "欠费 1,234,567 元"},
		{"thousands with cents", "¥12,345,678.90", "¥12,345,678.90"},
		{"thousands like a mobile number", "共 13,800,138,000 元", "共 13,800,138,000 元"},
		{"thousands cut", "共 13,800,13…", "共 13,800,13…"},
		{"thousands in brackets", "调整 (1,234,567)", "调整 (1,234,567)"},
		{"list of rooms", "房间1201，1202，1203漏水", "房间1201，1202，1203漏水"},
		{"list of counts", "共 3, 5, 7 户", "共 3, 5, 7 户"},
		{"decimal comma", "montant 1 234,50 €", "montant 1 234,50 €"},
		{"long number after a comma", "户号，4403051234567", "户号，[number]"},
	})
}

// TestMaskKeepsWhatStaffNeed: dates, times, references, amounts and short
// numbers stay readable, whatever separators they are written with.
func TestMaskKeepsWhatStaffNeed(t *testing.T) {
	for _, in := range []string{
		"停电 2026-12-01 起",
		"停电 2026/12/01 起",
		"停电 2026.12.01 起",
		"停电 2026-12-1 起",
		"停电２０２６－１２－０１起",
		"12月1日停水",
		"2026年12月1日停水",
		"2026-12-01 - 2026-12-05 检修",
		"上门 09:30",
		"上门 9:30–11:00",
		"上门 09:30-11:00",
		"上门 9:30 — 11:00",
		"上门 ０９：３０",
		"at 2026-12-01 09:30:15",
		"re FD-7K3MQ9",
		"re fd-234567 8号楼",
		"多扣了 ¥1,234.56",
		"欠费 1,234,567 元",
		"欠费１，２３４，５６７元",
		"共 12,345,678.90 元",
		"refund $120.00",
		"montant 1 234,50 €",
		"应付 120.00 - 30.00 = 90.00",
		"户号 440305",
		"电表 123456",
		"3号楼2单元501",
		"停水2天，共 3 - 5 户",
	} {
		if got := notice.Mask(in); got != in {
			t.Errorf("Mask(%q) = %q, want it unchanged", in, got)
		}
	}
}

// TestMaskCutOffText covers text that reached Mask already cut short,
// as ticket summaries are: what the ellipsis cut through is masked too.
func TestMaskCutOffText(t *testing.T) {
	tests := []maskCase{
		{"address cut in its domain", "请发到 zhang.san@gm…", "请发到 [email]…"},
		{"address cut at its at sign", "邮箱 zhang.san@…", "邮箱 [email]…"},
		{"address cut at a dot", "write to zhang.san@gmail.…", "write to [email].…"},
		{"address cut after a hyphen", "mail li@my-…", "mail [email]…"},
		{"address cut with full-width at", "邮箱 wang＠16…", "邮箱 [email]…"},
		{"international number cut", "call +86 138 0013 8…", "call [phone]…"},
		{"international number cut early", "call +86 1…", "call [phone]…"},
		{"mobile cut", "请回电 138 00…", "请回电 [phone]…"},
		{"mobile cut without spaces", "请回电1380…", "请回电[phone]…"},
		{"landline cut", "座机 010-62…", "座机 [phone]…"},
		{"account number cut", "户号 44030…", "户号 [number]…"},
		{"cut marked with three dots", "电话 1380013...", "电话 [phone]..."},
		{"cut after a Chinese ellipsis", "电话 13800……", "电话 [phone]……"},
		{"three digits before an ellipsis stay", "房间 502…", "房间 502…"},
		{"short count before an ellipsis stays", "停水2天…", "停水2天…"},
		{"three digits and a space before an ellipsis stay", "请回电 138 …", "请回电 138 …"},
		{"ellipsis mid-text is no cut", "户号 44030… 停水", "户号 44030… 停水"},
		{"address ending a sentence stays whole", "mail li@example.com.", "mail [email]."},
		{"at sign without a local part", "meet @…", "meet @…"},
		{"word cut before any at sign", "zhang.san…", "zhang.san…"},
	}
	checkMask(t, tests)
}

// TestMaskCutAfterSeparator: a summary is cut wherever its 120th
// character falls, so the cut may come right after a separator between
// two groups of digits; the number was cut through all the same.
func TestMaskCutAfterSeparator(t *testing.T) {
	checkMask(t, []maskCase{
		{"after a dash", "call 1380-…", "call [phone]-…"},
		{"after a space", "call 138 00 …", "call [phone] …"},
		{"after a spaced dash", "请回电 138 - 0013 - …", "请回电 [phone] - …"},
		{"after a dot", "户号 4403.…", "户号 [number].…"},
		{"after a slash", "户号 4403/…", "户号 [number]/…"},
		{"after a bracketed area code", "座机 (021) …", "座机 [phone] …"},
		{"three dots after a dash", "call 1380-...", "call [phone]-..."},
		{"three dots after a space", "请回电 138 00 ...", "请回电 [phone] ..."},
		{"after a full-width space", "电话　１３８　００１３　…", "电话　[phone]　…"},
		{"after a full-width hyphen", "电话１３８０－…", "电话[phone]－…"},
		{"three dots after a full-width hyphen", "电话１３８０－...", "电话[phone]－..."},
		{"after a full-width dot", "户号４４０３．…", "户号[number]．…"},
		{"after a full-width underscore", "户号４４０３＿…", "户号[number]＿…"},
		{"three digits after a dash stay", "房间 502-…", "房间 502-…"},
		{"date before the cut stays", "停电 2026-12-01 …", "停电 2026-12-01 …"},
		{"time before the cut stays", "上门 09:30 - …", "上门 09:30 - …"},
		{"more separators than a number has", "户号 4403    …", "户号 4403    …"},
		{"separator mid-text is no cut", "call 1380- … later", "call 1380- … later"},
	})
}

// TestMaskMasksBeforeCutting: masking shortens text, so what lay past
// MaxText runes of the input can end up inside the result; it must arrive
// masked, not cut into a piece the masker no longer recognises.
func TestMaskMasksBeforeCutting(t *testing.T) {
	tests := []struct {
		name, in, leak string
	}{
		{"address across the limit", strings.Repeat("1", notice.MaxText-15) + " zhang.san@gmail.com", "zhang.san"},
		{"number across the limit", strings.Repeat("1", notice.MaxText-10) + " 请回电 138 0013 8000", "138"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := notice.Mask(tt.in)
			if strings.Contains(got, tt.leak) {
				t.Errorf("Mask(%d runes) = %q, leaks %q", utf8.RuneCountInString(tt.in), got, tt.leak)
			}
		})
	}
}

// TestMaskReadsWholeWords: Mask reads a bounded part of very long text;
// where that part ends must not cut an address or number in two either,
// wherever it falls.
func TestMaskReadsWholeWords(t *testing.T) {
	tests := []struct {
		name, pii, leak string
	}{
		{"address", " zhang.san@gmail.com，谢谢", "zhang.san"},
		{"number", " 请回电 138 0013 8000。", "138"},
		{"address among words", " write to zhang.san@gmail.com please", "zhang.san"},
		{"number with commas", " 请回电 138，0013，8000。", "138，"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for n := notice.MaxRead - utf8.RuneCountInString(tt.pii); n <= notice.MaxRead; n++ {
				in := strings.Repeat("1", n) + tt.pii + strings.Repeat("很", notice.MaxText)
				if got := notice.Mask(in); strings.Contains(got, tt.leak) {
					t.Fatalf("Mask(%d digits + %q + …) = %q, leaks %q", n, tt.pii, got, tt.leak)
				}
			}
		})
	}
}

func TestMaskCutsLongText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text", strings.Repeat("很", notice.MaxText+50), strings.Repeat("很", notice.MaxText)},
		// [phone] would straddle the limit: it goes whole, never as "[ph".
		{"placeholder at the limit", strings.Repeat("很", notice.MaxText-3) + "13800138000", strings.Repeat("很", notice.MaxText-3)},
		{"placeholder just inside", strings.Repeat("很", notice.MaxText-7) + "13800138000很", strings.Repeat("很", notice.MaxText-7) + notice.MaskPhone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := notice.Mask(tt.in)
			if got != tt.want {
				t.Errorf("Mask(%d runes) = %d runes ending %q, want %d runes ending %q", utf8.RuneCountInString(tt.in),
					utf8.RuneCountInString(got), tail(got), utf8.RuneCountInString(tt.want), tail(tt.want))
			}
		})
	}
}

func tail(s string) string {
	r := []rune(s)
	return string(r[max(0, len(r)-10):])
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
	for _, s := range []string{"请回电13800138000", "+44 20 7946 0958", "li.lei@example.com", "2026-11-23", "（０２１）６２３４５６７８", "a@b.c@d.e", "1-2-3-4-5-6-7-8", "号码：138，0013，8000", "¥12,345,678.90", "call 138 00 1…"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := notice.Mask(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Mask(%q) = %q, not UTF-8", s, got)
		}
		if utf8.RuneCountInString(got) > notice.MaxText {
			t.Fatalf("Mask(%q) grew to %d runes", s, utf8.RuneCountInString(got))
		}
		// Dates are kept on purpose; anything else with a long run of
		// digits leaked.
		if l := leaks(got); l == "digits" && !strings.ContainsAny(got, "-/") {
			t.Fatalf("Mask(%q) = %q leaks %s", s, got, l)
		}
		// The same text cut short before it is masked, as summaries are.
		rs := []rune(strings.ToValidUTF8(s, "\uFFFD"))
		cut := string(rs[:len(rs)/2]) + "…"
		if got := notice.Mask(cut); cutLeaks(got) {
			t.Fatalf("Mask(%q) = %q leaks what the cut went through", cut, got)
		}
	})
}

// cutLeaks reports text that ends, before its ellipsis, in part of an
// address (local part, at sign, domain so far) or in four or more digits.
func cutLeaks(s string) bool {
	body := strings.TrimRight(s, ".…")
	if body == s {
		return false
	}
	rs := []rune(body)
	// The cut may fall on the separators between two groups of digits.
	end := len(rs)
	for n := 0; n < 3 && end > 0 && (unicode.Is(unicode.Zs, rs[end-1]) || unicode.Is(unicode.Pd, rs[end-1])); n++ {
		end--
	}
	digits := 0
	for i := end - 1; i >= 0 && unicode.IsDigit(rs[i]); i-- {
		digits++
	}
	if digits >= 4 {
		return true
	}
	i := len(rs) - 1
	for i >= 0 && (rs[i] < utf8.RuneSelf && (unicode.IsLetter(rs[i]) || unicode.IsDigit(rs[i]) || rs[i] == '.' || rs[i] == '-')) {
		i--
	}
	return i > 0 && (rs[i] == '@' || rs[i] == '＠') && strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", rs[i-1])
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
