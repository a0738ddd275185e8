package sms_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/frontdesk/frontdesk/shared/sms"
)

func TestMatch(t *testing.T) {
	kw := sms.MustDefaultKeywords()
	tests := []struct {
		body   string
		action sms.Action
		lang   string
	}{
		// Latin, any case and width, trimmed of spaces and punctuation.
		{"STOP", sms.OptOut, "en"},
		{"stop", sms.OptOut, "en"},
		{"Stop!", sms.OptOut, "en"},
		{"  ＳＴＯＰ  ", sms.OptOut, "en"},
		{"ｓｔｏｐ。", sms.OptOut, "en"},
		{"Unsubscribe", sms.OptOut, "en"},
		{"cancel", sms.OptOut, "en"},
		{"END", sms.OptOut, "en"},
		{"quit", sms.OptOut, "en"},
		{"OptOut", sms.OptOut, "en"},
		{"START", sms.OptIn, "en"},
		{"unstop", sms.OptIn, "en"},
		{"help", sms.Help, "en"},
		{"Call", sms.Callback, "en"},
		// Simplified Chinese.
		{"退订", sms.OptOut, "zh-Hans"},
		{"TD", sms.OptOut, "zh-Hans"},
		{"td", sms.OptOut, "zh-Hans"},
		{"ＴＤ", sms.OptOut, "zh-Hans"},
		{" 退订！", sms.OptOut, "zh-Hans"},
		{"订阅", sms.OptIn, "zh-Hans"},
		{"帮助", sms.Help, "zh-Hans"},
		{"回电", sms.Callback, "zh-Hans"},
		// Traditional Chinese.
		{"退訂", sms.OptOut, "zh-Hant"},
		{"訂閱", sms.OptIn, "zh-Hant"},
		{"幫助", sms.Help, "zh-Hant"},
		{"回電", sms.Callback, "zh-Hant"},
		// Hidden characters and compatibility forms do not hide a keyword.
		{"ST\u200bOP", sms.OptOut, "en"},
		{"S\u200cT\u200dO\ufeffP", sms.OptOut, "en"},
		{"\u2060stop\u2060", sms.OptOut, "en"},
		{"\u202eSTOP\u202c", sms.OptOut, "en"},
		{"ＳＴ\u200bＯＰ", sms.OptOut, "en"},
		{"ＨＥＬＰ\ufe0f", sms.Help, "en"},
		{"ℍ𝔼𝕃ℙ", sms.Help, "en"},
		{"退\u200b订", sms.OptOut, "zh-Hans"},
		{"Ｔ\u00adＤ", sms.OptOut, "zh-Hans"},
		// Not single keywords.
		{"please stop texting me", sms.None, ""},
		{"stop it", sms.None, ""},
		{"stopping", sms.None, ""},
		{"STOP STOP", sms.None, ""},
		{"请退订", sms.None, ""},
		{"我要退订", sms.None, ""},
		{"help me, my meter is broken", sms.None, ""},
		{"4", sms.None, ""},
		{"", sms.None, ""},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			a, lang := kw.Match(tt.body)
			if a != tt.action || string(lang) != tt.lang {
				t.Errorf("Match(%q) = %q %q, want %q %q", tt.body, a, lang, tt.action, tt.lang)
			}
		})
	}
}

func TestAsksToStop(t *testing.T) {
	kw := sms.MustDefaultKeywords()
	tests := []struct {
		body string
		want bool
	}{
		{"please stop texting me", true},
		{"Please STOP sending these messages", true},
		{"Don't text me again", true},
		{"remove my number from your list", true},
		{"ＵＮＳＵＢＳＣＲＩＢＥ me please", true},
		{"请不要再发短信给我了", true},
		{"我要退订这些短信", true},
		{"請不要再發短訊給我", true},
		{"我要退訂", true},
		{"the bus stop outside has no light", false},
		{"my heater stopped working", false},
		{"停电了什么时候恢复", false},
		{"停電了", false},
		{"please st\u200bop texting me", true},
		{"不要再\u200b发", true},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			if got := kw.AsksToStop(tt.body); got != tt.want {
				t.Errorf("AsksToStop(%q) = %v, want %v", tt.body, got, tt.want)
			}
		})
	}
}

func TestParseKeywordsErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"not json", `{`, []string{"read sms keywords"}},
		{"unknown field", `{"default":"en","languages":{},"extra":1}`, []string{"unknown field"}},
		{"no default", `{"default":"fr","languages":{}}`, []string{`default language "fr"`}},
		{
			"everything wrong at once",
			`{"default":"en","languages":{"en":{"optOut":["STOP","stop now"],"help":["stop"],
			"texts":{"ack":"` + strings.Repeat("x", 161) + `","optOut":"ok","optIn":"ok","bogus":"x"}}}}`,
			[]string{`"stop now" is not one word`, `keyword "stop" is already a opt_out keyword`, `no "help" text`, `"ack" text is 161`, `text "bogus"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sms.ParseKeywords([]byte(tt.file))
			if err == nil {
				t.Fatalf("ParseKeywords(%s) = nil error, want %q", tt.name, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ParseKeywords error = %v, want it to say %q", err, w)
				}
			}
		})
	}
	if _, err := sms.ParseKeywords(sms.DefaultKeywords()); err != nil {
		t.Errorf("shipped keywords: %v", err)
	}
}

// FuzzKeywords: matching never panics, and a keyword stays the same
// keyword whatever invisible characters are slipped into it.
func FuzzKeywords(f *testing.F) {
	for _, s := range []string{"STOP", "ST\u200bOP", "退订", "Ｔ\u00adＤ", "please stop texting me", "帮助", "4", "\xff"} {
		f.Add(s, uint8(1))
	}
	kw := sms.MustDefaultKeywords()
	f.Fuzz(func(t *testing.T, body string, at uint8) {
		a, lang := kw.Match(body)
		kw.AsksToStop(body)
		if a == sms.None {
			return
		}
		if lang == "" {
			t.Fatalf("Match(%q) = %s with no language", body, a)
		}
		i := int(at) % (len(body) + 1)
		for i > 0 && i < len(body) && !utf8.RuneStart(body[i]) {
			i--
		}
		hidden := body[:i] + "\u200b\u2060" + body[i:]
		if a2, _ := kw.Match(hidden); a2 != a {
			t.Fatalf("Match(%q) = %s, but with invisible characters %q = %s", body, a, hidden, a2)
		}
	})
}
