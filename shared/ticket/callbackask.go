package ticket

import (
	"fmt"
	"strings"
	"time"
)

// AskStatus is where the question "when suits you?" stands.
type AskStatus string

// The statuses of a callback question.
const (
	// AskAwaiting: the customer was asked when suits them; their next
	// text on the ticket is read as the answer.
	AskAwaiting AskStatus = "awaiting"
	// AskAnswered: a callback time was read from their answer and booked.
	AskAnswered AskStatus = "answered"
	// AskLeft: no time could be read from their answers; staff take it up.
	AskLeft AskStatus = "left"
)

// MaxCallbackRetries is how many answers to the question may fail to give
// a callback time before the question is left for staff: one retry prompt,
// then a person.
const MaxCallbackRetries = 1

// CallbackAsk is the question sent to a customer who asked for a callback
// without a time they can be called at. It lives on the ticket so that the
// customer's next text, however late or redelivered, is read as its answer
// and each answer is acted on once.
type CallbackAsk struct {
	Status AskStatus `json:"status"`
	// AskedAt is when the question was decided; Source the text (its
	// source ID) that made us ask.
	AskedAt time.Time `json:"askedAt"`
	Source  string    `json:"source"`
	// Tries counts answers no callback time could be read from.
	Tries int `json:"tries,omitempty"`
	// Last is the source ID of the last answer acted on, and LastCode why
	// no time could be read from it (a CallbackTextError code; empty when
	// it was booked): a redelivered answer repeats the same reply.
	Last     string `json:"last,omitempty"`
	LastCode string `json:"lastCode,omitempty"`
}

// Awaiting reports whether t waits for the customer to say when suits
// them.
func (t *Ticket) Awaiting() bool { return t.CallbackAsk != nil && t.CallbackAsk.Status == AskAwaiting }

// CallbackTime is what became of one answer to the callback question.
type CallbackTime struct {
	// Window is the callback booked, or nil.
	Window *Callback
	// Refusal says why no time could be read (nil when booked).
	Refusal *CallbackTextError
	// Retry is set when the customer is to be asked once more; Left when
	// the question is left for staff.
	Retry, Left bool
}

// AnswerCallbackAsk decides the answer (source src, received at at) to a
// ticket's callback question, given the window read from it or the
// refusal: a window is booked as the web form's would be; the first answer
// without a usable time gets one retry prompt; the next leaves the
// question for staff, flagged in the history with a callback_requested
// event (which notifies staff); asking again is a callback_asked event. It reports false when t
// awaits no answer or src was acted on already.
func (r *Rules) AnswerCallbackAsk(t *Ticket, src string, cb *Callback, refusal *CallbackTextError, at time.Time, actor string) (*Ticket, []Event, CallbackTime, bool) {
	if !t.Awaiting() || t.CallbackAsk.Last == src || t.CallbackAsk.Source == src {
		return t, nil, CallbackTime{}, false
	}
	next := t.Clone()
	ask := *t.CallbackAsk
	next.CallbackAsk = &ask
	ask.Last = src
	var events []Event
	ev := func(typ EventType, detail string) {
		events = append(events, Event{ID: string(NewID(at)), Type: typ, At: at, Actor: actor, Detail: detail})
	}
	var res CallbackTime
	switch {
	case cb != nil && t.Callback.Scheduled() && t.Callback.Start.Equal(cb.Start) && t.Callback.End.Equal(cb.End) && t.Callback.Zone == cb.Zone:
		// Booked already, in the write that recorded the same text (the
		// callback keyword with a time): the question is answered.
		ask.Status, ask.LastCode = AskAnswered, ""
		res.Window = next.Callback
	case cb != nil:
		ask.Status, ask.LastCode = AskAnswered, ""
		next.Callback = r.PlanCallback(cb, at)
		res.Window = next.Callback
		ev(EventCallbackRequested, fmt.Sprintf("%s/%s %s (answer to the callback question)", cb.Start.Format(time.RFC3339), cb.End.Format(time.RFC3339), cb.Zone))
	default:
		if refusal == nil {
			refusal = &CallbackTextError{Code: CodeNoTime}
		}
		ask.Tries++
		ask.LastCode = refusal.Code
		res.Refusal = refusal
		if ask.Tries > MaxCallbackRetries {
			ask.Status = AskLeft
			res.Left = true
			ev(EventCallbackRequested, fmt.Sprintf("no callback time in %d answers (%s): left for staff to arrange", ask.Tries, refusal.Code))
		} else {
			res.Retry = true
			ev(EventCallbackAsked, fmt.Sprintf("no callback time in the answer (%s): asked again", refusal.Code))
		}
	}
	next.Version++
	if at.After(next.UpdatedAt) {
		next.UpdatedAt = at
	}
	return next, events, res, true
}

// callbackQuestions ask a customer when suits them for a callback, one SMS
// each.
var callbackQuestions = map[Language]string{
	SimplifiedChinese:  "我们将给您回电（受理编号{ref}）。请回复方便的时间，例如“明天上午10点”或“周五下午2点到4点”。回复TD退订。",
	TraditionalChinese: "我們將給您回電（受理編號{ref}）。請回覆方便的時間，例如「明天上午10點」或「週五下午2點到4點」。回覆退訂停止接收。",
	English:            `We will call you back (ref {ref}). When suits you? Reply with a day and time, e.g. "tomorrow 10am" or "Fri 2-4pm". Reply STOP to opt out.`,
}

// callbackBooked confirm a callback booked from a customer's text.
var callbackBooked = map[Language]string{
	SimplifiedChinese:  "已为您预约回电：{when}，受理编号{ref}。如需改时间，请直接回复。回复TD退订。",
	TraditionalChinese: "已為您預約回電：{when}，受理編號{ref}。如需改時間，請直接回覆。回覆退訂停止接收。",
	English:            "Callback booked: we will call you {when} (ref {ref}). To change the time, just reply. Reply STOP to opt out.",
}

// CallbackQuestion is the SMS asking the customer in lang when suits them
// for the callback they asked for.
func CallbackQuestion(lang Language, ref Ref) string {
	return strings.ReplaceAll(callbackQuestions[customerText(lang)], "{ref}", string(ref))
}

// CallbackBooked is the SMS confirming, in lang, a callback booked from
// the customer's words, with the window in the callback's zone.
func CallbackBooked(lang Language, ref Ref, cb Callback) (string, error) {
	zone, err := time.LoadLocation(cb.Zone)
	if err != nil || cb.Zone == "" || cb.Zone == "Local" {
		return "", fmt.Errorf("callback confirmation for %s: zone %q: %w", ref, cb.Zone, ErrZone)
	}
	lang = customerText(lang)
	return strings.NewReplacer("{when}", callbackWhen(lang, cb, zone), "{ref}", string(ref)).Replace(callbackBooked[lang]), nil
}
