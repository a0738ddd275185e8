package email

import (
	"errors"
	"strings"
	"time"

	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// callbackPhrases are the words of a clear request to be called back, in
// folded form (lower case, half width). Traditional forms are listed as
// written.
var callbackPhrases = []string{
	"call me back", "call me", "callback", "call back", "give me a call", "phone me", "ring me",
	"回电", "回電", "打电话给我", "打電話給我", "给我打电话", "給我打電話", "给我打个电话", "給我打個電話",
	"致电我", "致電我", "来电联系", "來電聯繫", "电话联系我", "電話聯繫我",
}

// callbackNegations, just before a phrase, turn it round: "please do not
// call me", "无需回电".
var callbackNegations = []string{
	"don't", "don’t", "dont", "do not", "no need to", "never", "not", "no",
	"不要", "不用", "无需", "無需", "不需要", "别", "別", "勿", "毋须", "毋須",
}

// callbackLines is how many of the body's first non-empty lines are read
// for a callback request and its time: a request sits near the top, and
// further down a quoted or signature line could read as one.
const callbackLines = 8

// CallbackRequest reports whether a mail body clearly asks to be called
// back ("please call me back", "请回电", "麻煩給我打個電話"), reading its first
// lines, and the window asked for when exactly one of those lines gives a
// time ReadCallback reads without doubt (r says in which zone, as of
// when). A time that reads two ways, or two lines giving different times,
// give no window: staff ask.
func CallbackRequest(body string, r ticket.CallbackReading) (bool, *ticket.Callback) {
	lines := firstLines(body)
	if !asksInLines(lines) {
		return false, nil
	}
	var window *ticket.Callback
	for _, l := range lines {
		w, err := ticket.ReadCallback(l, r)
		var terr *ticket.CallbackTextError
		switch {
		case err == nil && window == nil:
			cb := w.Callback
			window = &cb
		case err == nil && (!w.Callback.Start.Equal(window.Start) || !w.Callback.End.Equal(window.End)):
			return true, nil
		case errors.As(err, &terr) && terr.Code == ticket.CodeAmbiguous:
			return true, nil
		}
	}
	return true, window
}

// CallbackAsked reports whether a mail body clearly asks to be called
// back, reading its first lines.
func CallbackAsked(body string) bool { return asksInLines(firstLines(body)) }

// firstLines returns the body's first non-empty lines that are not quoted.
func firstLines(body string) []string {
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, ">") {
			continue
		}
		lines = append(lines, l)
		if len(lines) == callbackLines {
			break
		}
	}
	return lines
}

func asksInLines(lines []string) bool {
	for _, l := range lines {
		if asksCallback(ticket.Fold(l)) {
			return true
		}
	}
	return false
}

// asksCallback reports whether folded text holds a callback phrase not
// turned round by a negation just before it.
func asksCallback(text string) bool {
	for _, p := range callbackPhrases {
		for from := 0; ; {
			i := strings.Index(text[from:], p)
			if i < 0 {
				break
			}
			i += from
			if wordEdge(text, i, i+len(p)) && !negated(text[:i]) {
				return true
			}
			from = i + len(p)
		}
	}
	return false
}

// wordEdge reports whether text[i:j] is not part of a longer Latin word
// ("recall me" is no "call me").
func wordEdge(text string, i, j int) bool {
	latin := func(b byte) bool { return b >= 'a' && b <= 'z' }
	if !latin(text[i]) {
		return true
	}
	return (i == 0 || !latin(text[i-1])) && (j == len(text) || !latin(text[j]))
}

// negated reports whether before ends with a negation, allowing a few
// words between ("do not ever call me", "请不要再给我打电话").
func negated(before string) bool {
	tail := before
	if r := []rune(tail); len(r) > 16 {
		tail = string(r[len(r)-16:])
	}
	tail = strings.TrimRight(tail, " ")
	for _, n := range callbackNegations {
		if strings.Contains(tail, n) {
			if n[0] < 0x80 {
				// A Latin negation counts as a word.
				idx := strings.LastIndex(tail, n)
				if idx > 0 && tail[idx-1] >= 'a' && tail[idx-1] <= 'z' {
					continue
				}
				if end := idx + len(n); end < len(tail) && tail[end] >= 'a' && tail[end] <= 'z' {
					continue
				}
			}
			return true
		}
	}
	return false
}

// callbackEvent flags a mail that asks to be called back for staff, with
// the window when the mail gives one clearly. Nothing is booked and
// nothing is sent beyond the usual acknowledgement: staff confirm the
// time with the customer.
func (h *Handler) callbackEvent(in *intake.Inbound, body string, at time.Time) {
	if in.Automatic {
		return
	}
	// The time is read in the business's calendar: the intake service's
	// rules, when intake is that service.
	var rules *ticket.Rules
	if svc, ok := h.Intake.(*intake.Service); ok {
		rules = svc.Rules
	}
	var asked bool
	var cb *ticket.Callback
	if rules != nil {
		asked, cb = CallbackRequest(body, ticket.CallbackReading{Calendar: rules.Calendar, Now: at, MaxAhead: rules.CallbackPolicy().MaxAhead})
	} else {
		asked = CallbackAsked(body)
	}
	if !asked {
		return
	}
	detail := "asked by email; no time given"
	if cb != nil {
		detail = "asked by email for " + cb.Start.Format(time.RFC3339) + "/" + cb.End.Format(time.RFC3339) + " " + cb.Zone + " (not booked: staff confirm)"
	}
	in.Events = append(in.Events, intake.NewEvent(ticket.EventCallbackRequested, at.UTC(), in.Actor, detail, ""))
}
