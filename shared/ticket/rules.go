package ticket

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

//go:embed rules.json
var defaultRules []byte

// DefaultRules returns the shipped rules file, for operators to copy and
// change.
func DefaultRules() []byte { return append([]byte(nil), defaultRules...) }

// Span is a time limit: a plain duration, or business time counted by a
// Calendar. The rules file writes "15m", "24h", "4bh" (business hours) and
// "3bd" (business days).
type Span struct {
	D        time.Duration
	Business bool
	// Days counts business days; D is then ignored.
	Days int
}

// IsZero reports a missing limit ("—" in DOMAIN.md's table).
func (s Span) IsZero() bool { return s.D == 0 && s.Days == 0 }

// After returns the instant the span ends when started at t.
func (s Span) After(cal Calendar, t time.Time) time.Time {
	switch {
	case s.Days > 0:
		return cal.Add(t, time.Duration(s.Days)*cal.DayLength())
	case s.Business:
		return cal.Add(t, s.D)
	default:
		return t.Add(s.D).UTC()
	}
}

// String writes the span as the rules file does.
func (s Span) String() string {
	switch {
	case s.Days > 0:
		return strconv.Itoa(s.Days) + "bd"
	case s.Business:
		return strconv.FormatFloat(s.D.Hours(), 'f', -1, 64) + "bh"
	case s.D == 0:
		return ""
	default:
		return s.D.String()
	}
}

// ParseSpan reads "15m", "4h", "4bh" or "3bd".
func ParseSpan(s string) (Span, error) {
	switch {
	case s == "":
		return Span{}, nil
	case strings.HasSuffix(s, "bd"):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "bd"))
		if err != nil || n <= 0 {
			return Span{}, fmt.Errorf("time limit %q: business days must be a positive whole number", s)
		}
		return Span{Days: n, Business: true}, nil
	case strings.HasSuffix(s, "bh"):
		h, err := strconv.ParseFloat(strings.TrimSuffix(s, "bh"), 64)
		if err != nil || h <= 0 {
			return Span{}, fmt.Errorf("time limit %q: business hours must be a positive number", s)
		}
		return Span{D: time.Duration(h * float64(time.Hour)), Business: true}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return Span{}, fmt.Errorf("time limit %q: want a duration like 15m or 24h, or 4bh / 3bd for business time", s)
	}
	return Span{D: d}, nil
}

// KindRule is how one kind is recognised, routed and timed.
type KindRule struct {
	Kind     Kind
	Queue    string
	Priority Priority
	Ack      Span
	Resolve  Span
	// ResolveMajor replaces Resolve for tickets flagged major.
	ResolveMajor Span
	// Keywords are matched case- and width-insensitively: Latin ones on
	// word boundaries, CJK ones anywhere in the text.
	Keywords map[string][]string
}

// Rules classify, route and time tickets. They come from a JSON rules file
// (the shipped one by default) so operators can replace them.
type Rules struct {
	Calendar Calendar
	VIPQueue string
	Kinds    []KindRule
	// Wait is how long a wait on a silent customer lasts before the
	// reminder, and again before the ticket resolves itself
	// (DefaultWaitSpan when zero).
	Wait Span
	// Callbacks and Visits are how callbacks and return visits are
	// carried out (DefaultCallbackPolicy, DefaultVisitPolicy where zero).
	Callbacks CallbackPolicy
	Visits    VisitPolicy
	byKind    map[Kind]*KindRule
	// matchers in rule order, keywords normalised.
	matchers []matcher
}

type matcher struct {
	kind  Kind
	words []string
}

type rulesFile struct {
	Calendar struct {
		Open     string   `json:"open"`
		Close    string   `json:"close"`
		Days     []string `json:"days"`
		Holidays []string `json:"holidays"`
	} `json:"calendar"`
	VIPQueue string `json:"vipQueue"`
	Kinds    []struct {
		Kind         Kind                `json:"kind"`
		Queue        string              `json:"queue"`
		Priority     int                 `json:"priority"`
		Ack          string              `json:"ack"`
		Resolve      string              `json:"resolve"`
		ResolveMajor string              `json:"resolveMajor"`
		Keywords     map[string][]string `json:"keywords"`
	} `json:"kinds"`
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseRules reads a rules file; zone is the business's time zone. Every
// problem in the file is reported at once.
func ParseRules(data []byte, zone *time.Location) (*Rules, error) {
	var f rulesFile
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("read rules: %w", err)
	}
	var errs []error
	r := &Rules{VIPQueue: f.VIPQueue, byKind: map[Kind]*KindRule{}}
	cal := Calendar{Zone: zone, Holidays: map[string]bool{}}
	var err error
	if cal.Open, err = parseClock(f.Calendar.Open); err != nil {
		errs = append(errs, fmt.Errorf("calendar open: %w", err))
	}
	if cal.Close, err = parseClock(f.Calendar.Close); err != nil {
		errs = append(errs, fmt.Errorf("calendar close: %w", err))
	}
	for _, d := range f.Calendar.Days {
		wd, ok := weekdays[strings.ToLower(d)]
		if !ok {
			errs = append(errs, fmt.Errorf("calendar day %q is not one of sun, mon, … sat", d))
			continue
		}
		cal.Days[wd] = true
	}
	for _, h := range f.Calendar.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			errs = append(errs, fmt.Errorf("holiday %q is not YYYY-MM-DD", h))
			continue
		}
		cal.Holidays[h] = true
	}
	if err := cal.Validate(); err != nil && len(errs) == 0 {
		errs = append(errs, err)
	}
	r.Calendar = cal
	for _, k := range f.Kinds {
		kr := KindRule{Kind: k.Kind, Queue: k.Queue, Priority: Priority(k.Priority), Keywords: k.Keywords}
		if !k.Kind.Valid() {
			errs = append(errs, fmt.Errorf("kind %q is not one of %v", k.Kind, Kinds))
			continue
		}
		if _, dup := r.byKind[k.Kind]; dup {
			errs = append(errs, fmt.Errorf("kind %q is listed twice", k.Kind))
			continue
		}
		if k.Queue == "" {
			errs = append(errs, fmt.Errorf("kind %q has no queue", k.Kind))
		}
		if kr.Priority < P1 || kr.Priority > P4 {
			errs = append(errs, fmt.Errorf("kind %q: priority %d is not 1–4", k.Kind, k.Priority))
		}
		for _, s := range []struct {
			name string
			in   string
			out  *Span
		}{{"ack", k.Ack, &kr.Ack}, {"resolve", k.Resolve, &kr.Resolve}, {"resolveMajor", k.ResolveMajor, &kr.ResolveMajor}} {
			if *s.out, err = ParseSpan(s.in); err != nil {
				errs = append(errs, fmt.Errorf("kind %q %s: %w", k.Kind, s.name, err))
			}
		}
		if kr.Ack.IsZero() {
			errs = append(errs, fmt.Errorf("kind %q has no ack time limit", k.Kind))
		}
		r.Kinds = append(r.Kinds, kr)
		r.byKind[k.Kind] = &r.Kinds[len(r.Kinds)-1]
		m := matcher{kind: k.Kind}
		// Languages in a fixed order, so the keyword a text is classified
		// by is the same on every run.
		for _, lang := range slices.Sorted(maps.Keys(k.Keywords)) {
			for _, w := range k.Keywords[lang] {
				if w = fold(w); w != "" {
					m.words = append(m.words, w)
				}
			}
		}
		r.matchers = append(r.matchers, m)
	}
	// Re-point byKind: appending may have moved the slice.
	for i := range r.Kinds {
		r.byKind[r.Kinds[i].Kind] = &r.Kinds[i]
	}
	for _, k := range Kinds {
		if _, ok := r.byKind[k]; !ok {
			errs = append(errs, fmt.Errorf("kind %q has no rule", k))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("rules: %w", errors.Join(errs...))
	}
	return r, nil
}

// MustDefaultRules returns the shipped rules for zone. It is for tests and
// tools; the shipped file is checked by the package's own tests.
func MustDefaultRules(zone *time.Location) *Rules {
	r, err := ParseRules(defaultRules, zone)
	if err != nil {
		panic(err)
	}
	return r
}

// Rule returns the rule for k.
func (r *Rules) Rule(k Kind) KindRule { return *r.byKind[k] }

// Classification is what the rules make of a contact.
type Classification struct {
	Kind     Kind
	Priority Priority
	Queue    string
	// EmergencyWord is set when an emergency keyword raised the priority.
	EmergencyWord bool
	// Keywords are the rules file's keywords that decided the kind and
	// raised the priority, in their folded form and in that order; empty
	// when the customer's choice decided alone. They are Frontdesk's own
	// words, never the customer's text.
	Keywords []string
}

// Classify decides kind, priority and owner queue. The kind the customer
// chose wins; otherwise the first rule whose keyword appears in text. An
// emergency keyword makes the ticket P1 whatever its kind; a VIP raises
// priority by one step (not to P1 on its own) and routes to the VIP queue.
func (r *Rules) Classify(chosen Kind, text string, vip bool) Classification {
	folded := fold(text)
	var words []string
	kind := chosen
	if !kind.Valid() || kind == Other || kind == "" {
		kind = Other
		for _, m := range r.matchers {
			if m.kind == Other {
				continue
			}
			if w, ok := firstMatch(folded, m.words); ok {
				kind = m.kind
				words = append(words, w)
				break
			}
		}
	}
	rule := r.byKind[kind]
	c := Classification{Kind: kind, Priority: rule.Priority, Queue: rule.Queue}
	if kind != Emergency {
		if em := r.byKind[Emergency]; em != nil {
			if w, ok := firstMatch(folded, r.matchers[r.index(Emergency)].words); ok {
				c.Priority = P1
				c.EmergencyWord = true
				c.Queue = em.Queue
				words = append(words, w)
			}
		}
	}
	c.Keywords = words
	if vip {
		if c.Priority > P2 {
			c.Priority--
		}
		if r.VIPQueue != "" && c.Priority != P1 {
			c.Queue = r.VIPQueue
		}
	}
	return c
}

func (r *Rules) index(k Kind) int {
	for i, m := range r.matchers {
		if m.kind == k {
			return i
		}
	}
	return -1
}

// Deadlines returns the acknowledge-by and resolve-by instants for a ticket
// of kind k opened at t; resolve is zero for kinds with no resolve limit.
// Emergencies (and anything raised to P1) count the clock at every hour.
func (r *Rules) Deadlines(k Kind, p Priority, major bool, t time.Time) (ack, resolve time.Time) {
	ackSpan, resSpan := r.spans(k, p, major)
	ack = ackSpan.After(r.Calendar, t)
	if !resSpan.IsZero() {
		resolve = resSpan.After(r.Calendar, t)
	}
	return ack, resolve
}

// fold lowercases s and maps full-width forms to their narrow ones, so
// "ＳＴＯＰ", "Stop" and "stop" compare equal.
func fold(s string) string {
	return strings.ToLower(width.Fold.String(strings.TrimSpace(s)))
}

// Fold is the comparison form used for keywords: trimmed, width-folded and
// lowercased.
func Fold(s string) string { return fold(s) }

// firstMatch returns the first of words found in text.
func firstMatch(text string, words []string) (string, bool) {
	for _, w := range words {
		if containsWord(text, w) {
			return w, true
		}
	}
	return "", false
}

// containsWord finds w in text. Words that start and end with a letter or
// digit of a spaced script must stand on word boundaries ("fire" is not in
// "firewall"); CJK words match anywhere, having no spaces to bound them.
func containsWord(text, w string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		if boundary(text, start, true, w) && boundary(text, end, false, w) {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[start:])
		i = start + size
	}
}

func boundary(text string, at int, before bool, w string) bool {
	var edge rune
	if before {
		edge, _ = utf8.DecodeRuneInString(w)
	} else {
		edge, _ = utf8.DecodeLastRuneInString(w)
	}
	if !spaced(edge) {
		return true
	}
	var r rune
	if before {
		if at == 0 {
			return true
		}
		r, _ = utf8.DecodeLastRuneInString(text[:at])
	} else {
		if at == len(text) {
			return true
		}
		r, _ = utf8.DecodeRuneInString(text[at:])
	}
	return !spaced(r)
}

// spaced reports letters and digits of scripts that separate words by
// spaces.
func spaced(r rune) bool {
	if unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r) {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}
