package blast

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Reply is a text that answered a blast, linked to the blast's incident.
type Reply struct {
	// SourceID is the inbound message's ID (one link per message).
	SourceID string    `json:"sourceId"`
	Phone    string    `json:"phone"`
	Body     string    `json:"body"`
	At       time.Time `json:"at"`
}

// Class is what a reply is, roughly.
type Class string

// The classes replies are grouped by.
const (
	ClassOptOut    Class = "opt_out"
	ClassComplaint Class = "complaint"
	ClassQuestion  Class = "question"
	ClassThanks    Class = "thanks"
	ClassOther     Class = "other"
)

// classWords are checked in order: a complaint that asks a question is a
// complaint; thanks with a question is a question.
var classWords = []struct {
	class Class
	words []string
}{
	{ClassOptOut, []string{"stop", "unsubscribe", "退订", "不要再发", "别再发", "取消订阅", "拒收"}},
	{ClassComplaint, []string{"complain", "terrible", "unacceptable", "again?!", "投诉", "太差", "又停", "什么时候才", "不满", "举报"}},
	{ClassQuestion, []string{"?", "？", "吗", "么", "是否", "何时", "几点", "哪", "怎么", "多久", "when", "does", "will", "how", "which", "is it", "what"}},
	{ClassThanks, []string{"thank", "thx", "ok", "got it", "noted", "谢谢", "多谢", "收到", "好的", "知道了", "感谢"}},
}

// Classify says what a reply is.
func Classify(body string) Class {
	f := ticket.Fold(body)
	for _, c := range classWords {
		for _, w := range c.words {
			if strings.Contains(f, w) {
				return c.class
			}
		}
	}
	return ClassOther
}

// similarKey is a reply's text with case, width, spaces, punctuation and
// numbers folded away, so "Does this affect building 3?" and "does this
// affect building 5" are the same question.
func similarKey(body string) string {
	var b strings.Builder
	lastDigit := false
	for _, r := range ticket.Fold(body) {
		switch {
		case unicode.IsDigit(r):
			if !lastDigit {
				b.WriteByte('#')
			}
			lastDigit = true
			continue
		case unicode.IsLetter(r):
			b.WriteRune(r)
		}
		lastDigit = false
	}
	return b.String()
}

// Group is replies that say the same thing.
type Group struct {
	// Key names the group for a group answer.
	Key     string  `json:"key"`
	Class   Class   `json:"class"`
	Sample  string  `json:"sample"`
	Count   int     `json:"count"`
	Replies []Reply `json:"replies"`
}

// GroupReplies groups replies by class and similar text, largest group
// first; a number that replied twice the same way counts once in its group.
func GroupReplies(rs []Reply) []Group {
	idx := map[string]int{}
	var out []Group
	seen := map[string]bool{}
	for _, r := range rs {
		c := Classify(r.Body)
		key := string(c) + ":" + similarKey(r.Body)
		if c == ClassOptOut || c == ClassThanks {
			// How they are said does not matter.
			key = string(c)
		}
		if seen[key+"\x00"+r.Phone] {
			continue
		}
		seen[key+"\x00"+r.Phone] = true
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, Group{Key: key, Class: c, Sample: r.Body})
		}
		out[i].Count++
		out[i].Replies = append(out[i].Replies, r)
	}
	slices.SortStableFunc(out, func(a, b Group) int { return cmp.Compare(b.Count, a.Count) })
	return out
}
