package ticket

import (
	"encoding/json"
	"testing"
)

// TestDetectLanguage reads everyday texts of the business, each written
// in both scripts: Simplified ones full of characters both scripts share
// (维修 has 修, 停水 is the same in both) must not read as Traditional.
func TestDetectLanguage(t *testing.T) {
	tests := []struct {
		text string
		want Language
	}{
		// Simplified.
		{"维修师傅什么时候来？", SimplifiedChinese},
		{"楼道里有煤气味，很浓", SimplifiedChinese},
		{"小区停电了，什么时候恢复？", SimplifiedChinese},
		{"我家水管漏水了，请尽快派人维修", SimplifiedChinese},
		{"这个月的账单多扣了两百块", SimplifiedChinese},
		{"宽带断网三天了，投诉", SimplifiedChinese},
		{"燃气表读数不对，请核实", SimplifiedChinese},
		{"停水通知收到了，谢谢", SimplifiedChinese},
		{"请问明天上午能上门修吗", SimplifiedChinese},
		{"停电了 power is out", SimplifiedChinese},
		// Traditional, the same texts.
		{"維修師傅什麼時候來？", TraditionalChinese},
		{"樓道裡有煤氣味，很濃", TraditionalChinese},
		{"小區停電了，什麼時候恢復？", TraditionalChinese},
		{"我家水管漏水了，請盡快派人維修", TraditionalChinese},
		{"這個月的帳單多扣了兩百塊", TraditionalChinese},
		{"寬頻斷網三天了，投訴", TraditionalChinese},
		{"燃氣錶讀數不對，請核實", TraditionalChinese},
		{"停水通知收到了，謝謝", TraditionalChinese},
		{"請問明天上午能上門修嗎", TraditionalChinese},
		// Only characters both scripts write alike: Chinese, script unknown.
		{"修", Chinese},
		{"好的", Chinese},
		{"停水", Chinese},
		{"明天上午", Chinese},
		// One of each: no majority.
		{"电電", Chinese},
		// English, and texts that show no language.
		{"my bill is wrong", English},
		{"When will the power be back?", English},
		{"ok", ""},
		{"123", ""},
		{"👍", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := DetectLanguage(tt.text); got != tt.want {
			t.Errorf("DetectLanguage(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// TestScriptTablesShareNothing: no character counts for both scripts, and
// the characters both write alike count for neither.
func TestScriptTablesShareNothing(t *testing.T) {
	for r := range simplifiedSet {
		if _, ok := traditionalSet[r]; ok {
			t.Errorf("%c is in both script tables", r)
		}
	}
	for _, r := range "修停水好的明天上午里后台面干" {
		if _, s := simplifiedSet[r]; s {
			t.Errorf("%c is shared by both scripts but counts as Simplified", r)
		}
		if _, tr := traditionalSet[r]; tr {
			t.Errorf("%c is shared by both scripts but counts as Traditional", r)
		}
	}
	for _, pair := range []string{"电電", "维維", "们們", "这這", "话話", "网網"} {
		rs := []rune(pair)
		if _, ok := simplifiedSet[rs[0]]; !ok {
			t.Errorf("%c is not in the Simplified table", rs[0])
		}
		if _, ok := traditionalSet[rs[1]]; !ok {
			t.Errorf("%c is not in the Traditional table", rs[1])
		}
	}
}

func TestParseLanguage(t *testing.T) {
	tests := []struct {
		in   string
		want Language
	}{
		{"zh", "zh"},
		{"en", "en"},
		{"zh-Hans", "zh-Hans"},
		{"zh-Hant", "zh-Hant"},
		{"zh-hant", "zh-Hant"},
		{"ZH_tw", "zh-TW"},
		{" en-US ", "en-US"},
		{"", ""},
		{"not a tag!", ""},
		{"und", ""},
	}
	for _, tt := range tests {
		if got := ParseLanguage(tt.in); got != tt.want {
			t.Errorf("ParseLanguage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestMatcher: what each stored or sent language is answered in, by a
// channel with English, Simplified and Traditional texts, and by one with
// English and Simplified only (the web form).
func TestMatcher(t *testing.T) {
	sms := NewMatcher(English, SimplifiedChinese, TraditionalChinese)
	web := NewMatcher(English, SimplifiedChinese)
	tests := []struct {
		in       Language
		sms, web Language
	}{
		{"zh", SimplifiedChinese, SimplifiedChinese},
		{"zh-Hans", SimplifiedChinese, SimplifiedChinese},
		{"zh-Hant", TraditionalChinese, SimplifiedChinese},
		{"zh-CN", SimplifiedChinese, SimplifiedChinese},
		{"zh-TW", TraditionalChinese, SimplifiedChinese},
		{"zh-HK", TraditionalChinese, SimplifiedChinese},
		{"en", English, English},
		{"en-GB", English, English},
		{"fr", English, English},
		{"", English, English},
		{"garbage!", English, English},
	}
	for _, tt := range tests {
		if got := sms.Match(tt.in); got != tt.sms {
			t.Errorf("sms Match(%q) = %q, want %q", tt.in, got, tt.sms)
		}
		if got := web.Match(tt.in); got != tt.web {
			t.Errorf("web Match(%q) = %q, want %q", tt.in, got, tt.web)
		}
	}
	if d := NewMatcher("", "bad tag!").Default(); d != English {
		t.Errorf("Default of a matcher with nothing readable = %q, want en", d)
	}
}

func TestPrefer(t *testing.T) {
	tests := []struct {
		last, ticket, want Language
	}{
		{"", "zh-Hant", "zh-Hant"},
		{"zh", "zh-Hant", "zh-Hant"},
		{"zh", "en", "zh"},
		{"zh-Hans", "zh-Hant", "zh-Hans"},
		{"en", "zh-Hans", "en"},
		{"zh", "", "zh"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := Prefer(tt.last, tt.ticket); got != tt.want {
			t.Errorf("Prefer(%q, %q) = %q, want %q", tt.last, tt.ticket, got, tt.want)
		}
	}
}

// TestStoredLanguagesRead: tickets stored with the untyped language read
// back as they were.
func TestStoredLanguagesRead(t *testing.T) {
	for _, stored := range []string{"zh", "en", "zh-Hans", "zh-Hant"} {
		var tk Ticket
		if err := json.Unmarshal([]byte(`{"language":"`+stored+`"}`), &tk); err != nil {
			t.Fatal(err)
		}
		if string(tk.Language) != stored || !tk.Language.Known() {
			t.Errorf("stored %q read as %q (known %v)", stored, tk.Language, tk.Language.Known())
		}
	}
}
