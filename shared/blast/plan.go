package blast

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Counter tells what one text costs to send: how many SMS parts it goes out
// as and its encoding ("GSM-7" or "UCS-2"). The blast sender passes the SMS
// channel's segment counter:
//
//	func(text string) (int, string) { c := sms.Count(text); return c.Parts, string(c.Encoding) }
//
// blast does not import shared/sms for it: that package brings the AWS SDK,
// the intake service and the SMS handlers with it for one pure function.
type Counter func(text string) (parts int, encoding string)

// Planner counts an audience by language as it is read, so that planning a
// blast keeps no row.
type Planner struct {
	texts map[string]string
	def   string
	count map[string]int
}

// NewPlanner plans a blast with the message texts by language
// (ticket.SimplifiedChinese, TraditionalChinese, English); recipients whose language has no
// text, or none given, get defaultLanguage's.
func NewPlanner(texts map[string]string, defaultLanguage string) (*Planner, error) {
	if texts[defaultLanguage] == "" {
		return nil, fmt.Errorf("plan blast: no text in the default language %q", defaultLanguage)
	}
	return &Planner{texts: texts, def: defaultLanguage, count: map[string]int{}}, nil
}

// Add counts a row; problem rows are not recipients and are not counted.
func (p *Planner) Add(r Row) {
	if r.Problem != "" {
		return
	}
	p.count[p.language(r.Language)]++
}

func (p *Planner) language(l string) string {
	if p.texts[l] != "" {
		return l
	}
	return p.def
}

// LanguagePlan is the share of a blast sent in one language.
type LanguagePlan struct {
	Language   string
	Recipients int
	Encoding   string
	// Parts is how many SMS one message is sent as.
	Parts int
	// Segments is Parts for every recipient.
	Segments int
}

// Plan is what a blast costs: messages, SMS parts, and time at the
// carrier's pace.
type Plan struct {
	Recipients int
	Languages  []LanguagePlan
	Segments   int
	// Pace is messages per second.
	Pace float64
	// Duration is how long sending every message takes at Pace, rounded
	// up to the second.
	Duration time.Duration
}

// Plan counts the parts of each language's text with count, and the time
// sending takes at pace messages per second.
func (p *Planner) Plan(count Counter, pace float64) (Plan, error) {
	if pace <= 0 || math.IsNaN(pace) || math.IsInf(pace, 0) {
		return Plan{}, fmt.Errorf("plan blast: pace %v is not a number of messages per second", pace)
	}
	plan := Plan{Pace: pace}
	langs := make([]string, 0, len(p.texts))
	for l := range p.texts {
		langs = append(langs, l)
	}
	slices.Sort(langs)
	for _, l := range langs {
		if p.texts[l] == "" {
			continue
		}
		parts, enc := count(p.texts[l])
		n := p.count[l]
		plan.Languages = append(plan.Languages, LanguagePlan{Language: l, Recipients: n, Encoding: enc, Parts: parts, Segments: n * parts})
		plan.Recipients += n
		plan.Segments += n * parts
	}
	plan.Duration = time.Duration(math.Ceil(float64(plan.Recipients)/pace)) * time.Second
	return plan, nil
}
