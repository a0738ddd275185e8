package sms

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

//go:embed keywords.json
var defaultKeywords []byte

// Action is what a keyword asks for.
type Action string

// The keyword actions. None is an ordinary message.
const (
	None     Action = ""
	OptOut   Action = "opt_out"
	OptIn    Action = "opt_in"
	Help     Action = "help"
	Callback Action = "callback"
)

// Text names a reply Frontdesk sends by SMS.
type Text string

// The replies every language has.
const (
	TextAck    Text = "ack"
	TextOptOut Text = "optOut"
	TextOptIn  Text = "optIn"
	TextHelp   Text = "help"
)

// sampleRef stands in for a ticket reference when checking that a reply
// fits one part.
const sampleRef = "FD-XXXXXX"

// Keywords are the SMS keywords and replies of every language: exact
// single words compared case- and width-insensitively, the phrases that
// show a sentence asks to stop (those go to a person), and the texts sent
// back.
type Keywords struct {
	// Default is the language used when none is known.
	Default ticket.Language
	exact   map[string]keywordMatch
	phrases []phrase
	texts   map[ticket.Language]map[Text]string
	// langs picks the file's language closest to a customer's.
	langs *ticket.Matcher
}

type keywordMatch struct {
	action Action
	lang   ticket.Language
}

type phrase struct {
	words string // space-separated folded words, or a CJK run
	cjk   bool
}

type keywordsFile struct {
	Default   string `json:"default"`
	Languages map[string]struct {
		OptOut        []string        `json:"optOut"`
		OptIn         []string        `json:"optIn"`
		Help          []string        `json:"help"`
		Callback      []string        `json:"callback"`
		OptOutPhrases []string        `json:"optOutPhrases"`
		Texts         map[Text]string `json:"texts"`
	} `json:"languages"`
}

// DefaultKeywords returns the shipped keywords file, for operators to copy
// and change.
func DefaultKeywords() []byte { return append([]byte(nil), defaultKeywords...) }

// MustDefaultKeywords parses the shipped keywords; the package's tests
// keep that file valid.
func MustDefaultKeywords() *Keywords {
	k, err := ParseKeywords(defaultKeywords)
	if err != nil {
		panic(err)
	}
	return k
}

// ParseKeywords reads a keywords file, reporting every problem at once: a
// keyword given twice, a keyword of more than one word, a missing reply,
// a reply that does not fit one SMS.
func ParseKeywords(data []byte) (*Keywords, error) {
	var f keywordsFile
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("read sms keywords: %w", err)
	}
	k := &Keywords{Default: ticket.ParseLanguage(f.Default), exact: map[string]keywordMatch{}, texts: map[ticket.Language]map[Text]string{}}
	var errs []error
	if _, ok := f.Languages[f.Default]; !ok {
		errs = append(errs, fmt.Errorf("default language %q has no entry", f.Default))
	}
	supported := []ticket.Language{k.Default}
	langs := make([]string, 0, len(f.Languages))
	for l := range f.Languages {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, name := range langs {
		l := f.Languages[name]
		lang := ticket.ParseLanguage(name)
		if lang == "" || string(lang) != name {
			errs = append(errs, fmt.Errorf("language %q is not a BCP 47 tag in canonical form (%q)", name, lang))
			continue
		}
		if lang != k.Default {
			supported = append(supported, lang)
		}
		for _, set := range []struct {
			action Action
			words  []string
		}{{OptOut, l.OptOut}, {OptIn, l.OptIn}, {Help, l.Help}, {Callback, l.Callback}} {
			for _, w := range set.words {
				key := keywordForm(w)
				switch {
				case key == "" || strings.ContainsFunc(key, unicode.IsSpace):
					errs = append(errs, fmt.Errorf("%s %s keyword %q is not one word", lang, set.action, w))
				case k.exact[key].action != None:
					errs = append(errs, fmt.Errorf("%s %s keyword %q is already a %s keyword of %s", lang, set.action, w, k.exact[key].action, k.exact[key].lang))
				default:
					k.exact[key] = keywordMatch{action: set.action, lang: lang}
				}
			}
		}
		for _, p := range l.OptOutPhrases {
			if ph, ok := newPhrase(p); ok {
				k.phrases = append(k.phrases, ph)
			}
		}
		k.texts[lang] = map[Text]string{}
		for _, name := range []Text{TextAck, TextOptOut, TextOptIn, TextHelp} {
			t := strings.TrimSpace(l.Texts[name])
			if t == "" {
				errs = append(errs, fmt.Errorf("%s has no %q text", lang, name))
				continue
			}
			if seg := Count(strings.ReplaceAll(t, "{ref}", sampleRef)); seg.Parts > 1 {
				errs = append(errs, fmt.Errorf("%s %q text is %d %s units, %d parts: shorten it to one SMS", lang, name, seg.Units, seg.Encoding, seg.Parts))
			}
			k.texts[lang][name] = t
		}
		for name := range l.Texts {
			if name != TextAck && name != TextOptOut && name != TextOptIn && name != TextHelp {
				errs = append(errs, fmt.Errorf("%s text %q is not one of ack, optOut, optIn, help", lang, name))
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("sms keywords: %w", errors.Join(errs...))
	}
	k.langs = ticket.NewMatcher(supported...)
	return k, nil
}

// keywordForm is how a message is compared with keywords: normalized
// (NFKC), with zero-width and other invisible format characters removed,
// folded (case and width), with spaces, punctuation and symbols around it
// trimmed, so "Stop!", " ＳＴＯＰ ", "stop。" and "ST\u200bOP" all read
// "stop".
func keywordForm(s string) string {
	return strings.TrimFunc(ticket.Fold(visible(s)), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
	})
}

// visible returns s in NFKC with the characters that show nothing removed:
// format characters (zero-width spaces and joiners, the byte-order mark,
// direction marks), variation selectors, the combining grapheme joiner
// and the Hangul fillers. A text cannot hide a keyword from the matcher
// with them.
func visible(s string) string {
	// Removed before normalizing too, so that one between a letter and
	// its accent cannot keep them from composing.
	return strings.Map(invisible, norm.NFKC.String(strings.Map(invisible, s)))
}

func invisible(r rune) rune {
	switch {
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Variation_Selector, r),
		r == '\u034f', r == '\u115f', r == '\u1160', r == '\u3164', r == '\uffa0':
		return -1
	}
	return r
}

// Match returns the action body asks for when it is exactly one keyword,
// and the keyword's language.
func (k *Keywords) Match(body string) (Action, ticket.Language) {
	m, ok := k.exact[keywordForm(body)]
	if !ok {
		return None, ""
	}
	return m.action, m.lang
}

func newPhrase(p string) (phrase, bool) {
	f := ticket.Fold(p)
	if f == "" {
		return phrase{}, false
	}
	for _, r := range f {
		if unicode.Is(unicode.Han, r) {
			return phrase{words: f, cjk: true}, true
		}
	}
	return phrase{words: strings.Join(latinWords(f), " ")}, true
}

// latinWords splits folded text into runs of letters and digits.
func latinWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// AsksToStop reports whether a sentence (not a lone keyword) asks for texts
// to stop, such as "please stop texting me": it is not an opt-out, but a
// person should read it.
func (k *Keywords) AsksToStop(body string) bool {
	f := ticket.Fold(visible(body))
	spaced := " " + strings.Join(latinWords(f), " ") + " "
	for _, p := range k.phrases {
		if p.cjk && strings.Contains(f, p.words) || !p.cjk && strings.Contains(spaced, " "+p.words+" ") {
			return true
		}
	}
	return false
}

// Reply returns reply name in the file's language closest to lang ("zh"
// and "zh-CN" read Simplified, "zh-TW" Traditional, an unknown language
// the default), with {ref} filled in.
func (k *Keywords) Reply(lang ticket.Language, name Text, ref ticket.Ref) string {
	texts, ok := k.texts[k.langs.Match(lang)]
	if !ok {
		texts = k.texts[k.Default]
	}
	return strings.ReplaceAll(texts[name], "{ref}", string(ref))
}
