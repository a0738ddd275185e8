package ticket

import (
	"strings"
	"unicode"

	"golang.org/x/text/language"
)

// Language is a customer's language: a BCP 47 tag in canonical form ("en",
// "zh-Hans", "zh-Hant"), or "zh" when the text was Chinese but showed no
// script. The zero value is an unknown language. It is a string so that it
// is stored and read as one; tickets written before it was typed hold
// "zh", "en", "zh-Hans" or "zh-Hant" and read back unchanged.
type Language string

// The languages Frontdesk answers in out of the box.
const (
	English            Language = "en"
	Chinese            Language = "zh"
	SimplifiedChinese  Language = "zh-Hans"
	TraditionalChinese Language = "zh-Hant"
)

// ParseLanguage reads a BCP 47 tag ("zh-CN", "zh_TW", "EN-us", "zh-Hant")
// into its canonical form; what is not a tag gives the zero Language.
// Region tags keep their region ("zh-TW" stays "zh-TW"): a Matcher maps
// them onto the script they are written in.
func ParseLanguage(s string) Language {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return ""
	}
	t, err := language.Parse(strings.ReplaceAll(s, "_", "-"))
	if err != nil || t == language.Und {
		return ""
	}
	return Language(t.String())
}

// Tag returns the language as a tag (language.Und when unknown or
// unreadable).
func (l Language) Tag() language.Tag {
	if l == "" || len(l) > 64 {
		return language.Und
	}
	t, err := language.Parse(string(l))
	if err != nil {
		return language.Und
	}
	return t
}

// Known reports whether the language is set and readable.
func (l Language) Known() bool { return l.Tag() != language.Und }

// scriptless reports whether l names a language but not its script or
// region, which the customer's history may tell ("zh" after a ticket in
// "zh-Hant").
func (l Language) scriptless() bool {
	t := l.Tag()
	if t == language.Und {
		return false
	}
	_, sc, rg := t.Raw()
	var zeroScript language.Script
	var zeroRegion language.Region
	return sc == zeroScript && rg == zeroRegion
}

// Prefer returns the language to answer a customer in: the language of
// their last message when it is known, else the ticket's. When the last
// message shows only the base language ("zh": Chinese, script unknown)
// and the ticket's language has the same base, the ticket's more precise
// one wins, so a customer who wrote in Traditional before is not switched
// to Simplified by a short text like "好的".
func Prefer(last, ticketLang Language) Language {
	if !last.Known() {
		return ticketLang
	}
	if last.scriptless() && ticketLang.Known() {
		lb, _ := last.Tag().Base()
		tb, _ := ticketLang.Tag().Base()
		if lb == tb {
			return ticketLang
		}
	}
	return last
}

// Matcher picks, among the languages a channel can answer in, the one that
// serves a customer's language best: "zh" and "zh-CN" get Simplified
// Chinese, "zh-TW" and "zh-HK" Traditional, anything unsupported the
// channel's default (the first language given).
type Matcher struct {
	langs []Language
	m     language.Matcher
}

// NewMatcher returns a matcher over the supported languages, the default
// first. Unreadable entries are skipped; with none left the matcher always
// answers English.
func NewMatcher(supported ...Language) *Matcher {
	var langs []Language
	var tags []language.Tag
	for _, l := range supported {
		if t := l.Tag(); t != language.Und {
			langs = append(langs, l)
			tags = append(tags, t)
		}
	}
	if len(langs) == 0 {
		langs, tags = []Language{English}, []language.Tag{language.English}
	}
	return &Matcher{langs: langs, m: language.NewMatcher(tags)}
}

// Default returns the language used when nothing better matches.
func (m *Matcher) Default() Language { return m.langs[0] }

// Supported lists the languages, the default first.
func (m *Matcher) Supported() []Language { return append([]Language(nil), m.langs...) }

// Match returns the supported language closest to want, the default when
// want is unknown or nothing is close enough.
func (m *Matcher) Match(want ...Language) Language {
	var tags []language.Tag
	for _, l := range want {
		if t := l.Tag(); t != language.Und {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		return m.langs[0]
	}
	_, i, conf := m.m.Match(tags...)
	if conf == language.No || i < 0 || i >= len(m.langs) {
		return m.langs[0]
	}
	return m.langs[i]
}

var (
	simplifiedSet  = runeSet(simplifiedOnly)
	traditionalSet = runeSet(traditionalOnly)
)

func runeSet(s string) map[rune]struct{} {
	m := make(map[rune]struct{}, len(s)/3)
	for _, r := range s {
		m[r] = struct{}{}
	}
	return m
}

// detectLimit bounds how much of a text DetectLanguage reads: enough to
// tell, little enough for any input.
const detectLimit = 4096

// DetectLanguage tells the language of a customer's text. Chinese is told
// by its share of Han characters (at least a fifth of the letters), and
// its script only by characters the two scripts write differently
// (电/電, 们/們, 维/維), never by characters both write alike (修, 停, 水):
// the script with more of its own characters wins, and a text with none
// of either, or as many of each, is "zh". A text with a few words of Latin
// letters (six letters or more) is English; anything shorter ("ok", "1",
// an emoji) is unknown, so that the ticket's language stands.
func DetectLanguage(text string) Language {
	han, latin, simp, trad := 0, 0, 0, 0
	for i, r := range text {
		if i > detectLimit {
			break
		}
		switch {
		case unicode.Is(unicode.Han, r):
			han++
			if _, ok := simplifiedSet[r]; ok {
				simp++
			}
			if _, ok := traditionalSet[r]; ok {
				trad++
			}
		case r < unicode.MaxASCII && unicode.IsLetter(r), unicode.Is(unicode.Latin, r):
			latin++
		}
	}
	switch {
	case han > 0 && han*5 >= han+latin:
		switch {
		case trad > simp:
			return TraditionalChinese
		case simp > trad:
			return SimplifiedChinese
		}
		return Chinese
	case latin >= 6:
		return English
	}
	return ""
}
