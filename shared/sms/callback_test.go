package sms_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func TestCallbackWords(t *testing.T) {
	k := sms.MustDefaultKeywords()
	tests := []struct {
		body  string
		words string
		lang  ticket.Language
		ok    bool
	}{
		{"回电 明天上午10点", "明天上午10点", ticket.SimplifiedChinese, true},
		{"回电明天上午10点", "明天上午10点", ticket.SimplifiedChinese, true},
		{"回電：後天早上9點半", "後天早上9點半", ticket.TraditionalChinese, true},
		{"CALL tomorrow 10am", "tomorrow 10am", ticket.English, true},
		{"call: Fri 2-4pm", "fri 2-4pm", ticket.English, true},
		{" ＣＡＬＬ  tomorrow", "tomorrow", ticket.English, true},
		{"CALL", "", "", false},
		{"回电", "", "", false},
		{"CALL!", "", "", false},
		{"CALLING about my bill", "", "", false},
		{"call2morrow", "", "", false},
		{"please call tomorrow", "", "", false},
		{"电表坏了 回电", "", "", false},
	}
	for _, tt := range tests {
		words, lang, ok := k.CallbackWords(tt.body)
		if words != tt.words || lang != tt.lang || ok != tt.ok {
			t.Errorf("CallbackWords(%q) = %q, %q, %v, want %q, %q, %v", tt.body, words, lang, ok, tt.words, tt.lang, tt.ok)
		}
	}
}

// callbackEvents returns the ticket's events of type typ.
func (f *fixture) events(tb testing.TB, id ticket.ID, typ ticket.EventType) []ticket.Event {
	tb.Helper()
	var out []ticket.Event
	for _, e := range f.view(tb, id).History {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// TestCallbackKeywordWithTime: the keyword followed by a time books the
// callback on the ticket as the web form does (due entries included) and
// confirms it once, in the customer's language, even when the text is
// delivered again.
func TestCallbackKeywordWithTime(t *testing.T) {
	// Monday 2026-11-23 10:00 in Shanghai.
	tests := []struct {
		name, phone, body string
		start, end        time.Time
		confirm           string
	}{
		{"Simplified Chinese", "+8613800138101", "回电 明天上午10点",
			time.Date(2026, 11, 24, 10, 0, 0, 0, shanghai), time.Date(2026, 11, 24, 11, 0, 0, 0, shanghai), "已为您预约回电：11月24日（周二）10:00-11:00"},
		{"Traditional Chinese", "+85291234101", "回電 週五下午2點到4點",
			time.Date(2026, 11, 27, 14, 0, 0, 0, shanghai), time.Date(2026, 11, 27, 16, 0, 0, 0, shanghai), "已為您預約回電：11月27日（週五）14:00-16:00"},
		{"English", "+14255550101", "CALL tomorrow 10am",
			time.Date(2026, 11, 24, 10, 0, 0, 0, shanghai), time.Date(2026, 11, 24, 11, 0, 0, 0, shanghai), "Callback booked: we will call you on Tue 24 Nov, 10:00-11:00"},
		{"English range", "+14255550102", "call Fri 2-4pm",
			time.Date(2026, 11, 27, 14, 0, 0, 0, shanghai), time.Date(2026, 11, 27, 16, 0, 0, 0, shanghai), "on Fri 27 Nov, 14:00-16:00"},
	}
	f := setup(t)
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sms.Message{Provider: sms.EndUserMessaging, ID: "cbt-" + tt.phone, From: tt.phone, Body: tt.body}
			out, err := f.svc.Handle(ctx, m, false)
			if err != nil {
				t.Fatal(err)
			}
			if out.Callback != sms.CallbackBooked || !out.Created || out.Action != sms.Callback {
				t.Fatalf("Handle(%q) = %+v, want a new ticket with the callback booked", tt.body, out)
			}
			tk := f.view(t, out.Ticket.ID)
			cb := tk.Callback
			if tk.Kind != ticket.CallbackRq || cb == nil || !cb.Start.Equal(tt.start) || !cb.End.Equal(tt.end) || cb.Zone != "Asia/Shanghai" || cb.RemindAt.IsZero() {
				t.Fatalf("ticket %s kind %s callback %+v, want %s–%s Asia/Shanghai planned", tk.Ref, tk.Kind, cb, tt.start, tt.end)
			}
			for _, kind := range []string{dynamo.DueCallbackAgent, dynamo.DueCallbackMissed} {
				ds, err := f.store.DueBetween(ctx, kind, tt.start.Add(-time.Hour), tt.end.Add(time.Minute))
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, d := range ds {
					found = found || d.TicketID == tk.ID
				}
				if !found {
					t.Errorf("no %s due entry for %s", kind, tk.Ref)
				}
			}
			if n := len(f.events(t, tk.ID, ticket.EventCallbackRequested)); n != 1 {
				t.Errorf("%d callback_requested events, want 1", n)
			}
			// Delivered again: nothing is booked or sent twice.
			again, err := f.svc.Handle(ctx, m, false)
			if err != nil {
				t.Fatal(err)
			}
			if !again.Duplicate || again.Ticket.ID != tk.ID {
				t.Errorf("redelivery = %+v, want a duplicate on %s", again, tk.Ref)
			}
			texts := f.texts.to(tt.phone)
			if len(texts) != 1 || !strings.Contains(texts[0].Body, tt.confirm) || !strings.Contains(texts[0].Body, string(tk.Ref)) {
				t.Errorf("texts to %s = %+v, want one confirmation with %q and %s", tt.phone, texts, tt.confirm, tk.Ref)
			}
			if n := len(f.events(t, tk.ID, ticket.EventCallbackRequested)); n != 1 {
				t.Errorf("after redelivery %d callback_requested events, want 1", n)
			}
		})
	}
}

// TestCallbackQuestion: the keyword alone asks when suits the customer,
// once per ticket; their answer, delivered through the queue handler and
// then again, books the callback once and is confirmed once.
func TestCallbackQuestion(t *testing.T) {
	f := setup(t)
	h := &sms.QueueHandler{Service: f.svc}
	const phone = "+8613800138102"
	send := func(id, body string) {
		t.Helper()
		rec := record(t, "sqs-"+id, sms.Inbound{OriginationNumber: phone, DestinationNumber: "+8610690000", MessageBody: body, InboundMessageID: id}, f.clock.now())
		if resp := invoke(t, h, event(t, rec)); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("failures = %+v", resp.BatchItemFailures)
		}
	}
	send("q-1", "回电")
	texts := f.texts.to(phone)
	if len(texts) != 1 || !strings.Contains(texts[0].Body, "请回复方便的时间") {
		t.Fatalf("texts = %+v, want the question", texts)
	}
	list := f.tickets(t)
	if len(list) != 1 || !list[0].Awaiting() || list[0].Callback != nil {
		t.Fatalf("tickets = %+v, want one awaiting a callback time", list)
	}
	id := list[0].ID
	// The keyword again: asked already, so only acknowledged (the
	// acknowledgement slot is free: the question stood for it).
	f.clock.add(20 * time.Minute)
	send("q-2", "回电")
	if texts = f.texts.to(phone); len(texts) != 2 || !strings.Contains(texts[1].Body, "已收到您的短信") {
		t.Fatalf("texts = %+v, want the question then an acknowledgement", texts)
	}
	f.clock.add(time.Minute)
	send("q-3", "明天下午3点")
	send("q-3", "明天下午3点")
	tk := f.view(t, id)
	want := time.Date(2026, 11, 24, 15, 0, 0, 0, shanghai)
	if tk.Callback == nil || !tk.Callback.Start.Equal(want) || tk.Awaiting() || tk.CallbackAsk.Status != ticket.AskAnswered {
		t.Fatalf("callback %+v ask %+v, want %s booked and the question answered", tk.Callback, tk.CallbackAsk, want)
	}
	if texts = f.texts.to(phone); len(texts) != 3 || !strings.Contains(texts[2].Body, "已为您预约回电：11月24日（周二）15:00-16:00") {
		t.Fatalf("texts = %+v, want one confirmation after the answer", texts)
	}
	// The keyword on the open ticket and the time booked (the first
	// keyword opened the ticket as a callback request).
	if n := len(f.events(t, id, ticket.EventCallbackRequested)); n != 2 {
		t.Errorf("%d callback_requested events, want 2", n)
	}
	// Later texts are ordinary messages again.
	f.clock.add(time.Hour)
	send("q-4", "谢谢")
	if tk := f.view(t, id); !tk.Callback.Start.Equal(want) {
		t.Errorf("callback moved to %+v by an ordinary message", tk.Callback)
	}
}

// TestCallbackAnswerUnclear: an answer with no usable time gets one prompt
// saying why; the next one is left for staff, flagged in the history.
func TestCallbackAnswerUnclear(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	const phone = "+14255550103"
	handle := func(id, body string) sms.Outcome {
		t.Helper()
		out, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: id, From: phone, Body: body}, false)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := handle("u-1", "CALL")
	if first.Callback != sms.CallbackAsked {
		t.Fatalf("CALL = %+v, want asked", first)
	}
	f.clock.add(time.Minute)
	if out := handle("u-2", "whenever you like"); out.Callback != sms.CallbackRetry {
		t.Fatalf("answer without a time = %+v, want a retry", out)
	}
	// Redelivered: no second prompt, still one try counted.
	if out := handle("u-2", "whenever you like"); !out.Duplicate {
		t.Fatalf("redelivery = %+v, want a duplicate", out)
	}
	texts := f.texts.to(phone)
	if len(texts) != 2 || !strings.Contains(texts[1].Body, `e.g. "tomorrow 10am"`) {
		t.Fatalf("texts = %+v, want the question and one prompt", texts)
	}
	if tk := f.view(t, first.Ticket.ID); tk.CallbackAsk.Tries != 1 || !tk.Awaiting() {
		t.Fatalf("ask = %+v, want one try, awaiting", tk.CallbackAsk)
	}
	f.clock.add(time.Minute)
	if out := handle("u-3", "Sunday 10am"); out.Callback != sms.CallbackLeft {
		t.Fatalf("second answer without a usable time = %+v, want left for staff", out)
	}
	tk := f.view(t, first.Ticket.ID)
	if tk.Awaiting() || tk.CallbackAsk.Status != ticket.AskLeft || tk.Callback != nil {
		t.Errorf("ask = %+v callback %+v, want left for staff, nothing booked", tk.CallbackAsk, tk.Callback)
	}
	flagged := false
	for _, e := range f.events(t, tk.ID, ticket.EventCallbackRequested) {
		flagged = flagged || strings.Contains(e.Detail, "left for staff")
	}
	if !flagged {
		t.Errorf("history = %+v, want a callback_requested event leaving it for staff", tk.History)
	}
	if n := len(f.texts.to(phone)); n != 2 {
		t.Errorf("%d texts, want 2: nothing more once left for staff", n)
	}
}

// TestCallbackKeywordRefusedTime: a time that cannot be booked (Saturday:
// closed) is answered with why, after the acknowledgement, and the
// customer's next text is read as the answer.
func TestCallbackKeywordRefusedTime(t *testing.T) {
	f := setup(t)
	const phone = "+14255550104"
	out := f.text(t, "s-1", phone, "CALL Sat 10am")
	texts := f.texts.to(phone)
	if out.Callback != sms.CallbackAsked || len(texts) != 2 || !strings.Contains(texts[0].Body, string(out.Ticket.Ref)) || !strings.Contains(texts[1].Body, "We call back on working days") {
		t.Fatalf("outcome %+v texts %+v, want the acknowledgement then why Saturday cannot be booked", out, texts)
	}
	f.clock.add(time.Minute)
	out = f.text(t, "s-2", phone, "Mon 9:30am")
	want := time.Date(2026, 11, 30, 9, 30, 0, 0, shanghai)
	if out.Callback != sms.CallbackBooked || out.Ticket.Callback == nil || !out.Ticket.Callback.Start.Equal(want) {
		t.Errorf("answer = %+v, want %s booked", out, want)
	}
}

// FuzzCallbackWords: any text either starts with a callback keyword
// followed by words, or gives nothing; a keyword alone never counts.
func FuzzCallbackWords(f *testing.F) {
	for _, s := range []string{"回电 明天上午10点", "回電：後天早上9點半", "CALL tomorrow 10am", "call Fri 2-4pm", "CALL", "CALLING", "回电", "ＣＡＬＬ\u200b 3pm", ""} {
		f.Add(s)
	}
	k := sms.MustDefaultKeywords()
	f.Fuzz(func(t *testing.T, body string) {
		words, lang, ok := k.CallbackWords(body)
		if !ok {
			if words != "" || lang != "" {
				t.Errorf("CallbackWords(%q) = %q, %q, false: want nothing", body, words, lang)
			}
			return
		}
		if words == "" || lang == "" {
			t.Errorf("CallbackWords(%q) = %q, %q, true: want words and a language", body, words, lang)
		}
		if a, _ := k.Match(body); a != sms.None {
			t.Errorf("CallbackWords(%q) found words, but the text is the keyword %s alone", body, a)
		}
	})
}

// TestCallbackInline: through a webhook (inline answers), the
// confirmation, the question and the prompt are the answer itself, and
// each is recorded on the ticket like a text sent.
func TestCallbackInline(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	tests := []struct {
		phone, body string
		callback    string
		reply       string
	}{
		{"+14255550111", "CALL tomorrow 10am", sms.CallbackBooked, "Callback booked: we will call you on Tue 24 Nov, 10:00-11:00"},
		{"+14255550112", "CALL", sms.CallbackAsked, "When suits you?"},
		{"+14255550113", "CALL Sat 10am", sms.CallbackAsked, "We call back on working days"},
	}
	for _, tt := range tests {
		out, err := f.svc.Handle(ctx, sms.Message{Provider: sms.Twilio, ID: "SM-" + tt.phone, From: tt.phone, Body: tt.body}, true)
		if err != nil {
			t.Fatal(err)
		}
		if out.Callback != tt.callback || !strings.Contains(out.Reply, tt.reply) {
			t.Errorf("Handle(%q, inline) = %+v, want %s answering %q", tt.body, out, tt.callback, tt.reply)
		}
		if n := len(f.texts.to(tt.phone)); n != 0 {
			t.Errorf("%d texts sent for %q, want none: the answer is inline", n, tt.body)
		}
		recorded := false
		for _, m := range f.view(t, out.Ticket.ID).Messages {
			recorded = recorded || m.Direction == ticket.Outbound && m.Body == out.Reply
		}
		if !recorded {
			t.Errorf("inline answer to %q not recorded on %s", tt.body, out.Ticket.Ref)
		}
	}
}

// TestCallbackOptedOutAndStop: an opted-out number's callback is booked
// but not texted; "please stop texting me" on a ticket awaiting a time is
// no answer, and gets no prompt.
func TestCallbackOptedOutAndStop(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	const quiet, asked = "+14255550121", "+14255550122"
	if _, err := f.store.SetOptOut(ctx, quiet, true, f.clock.now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	out := f.text(t, "o-1", quiet, "CALL tomorrow 10am")
	if out.Callback != sms.CallbackBooked || f.view(t, out.Ticket.ID).Callback == nil || len(f.texts.to(quiet)) != 0 {
		t.Errorf("opted-out CALL with a time = %+v, %d texts; want booked, none sent", out, len(f.texts.to(quiet)))
	}
	first := f.text(t, "o-2", asked, "CALL")
	f.clock.add(time.Minute)
	out = f.text(t, "o-3", asked, "please stop texting me")
	tk := f.view(t, first.Ticket.ID)
	if out.Callback != "" || !tk.Awaiting() || tk.CallbackAsk.Tries != 0 || len(f.texts.to(asked)) != 1 {
		t.Errorf("stop sentence = %+v, ask %+v, %d texts; want no answer, still awaiting, only the question sent", out, tk.CallbackAsk, len(f.texts.to(asked)))
	}
}

// TestCallbackKeywordAnswersQuestion: the keyword with a time, sent while
// the ticket awaits a time, books it once and answers the question.
func TestCallbackKeywordAnswersQuestion(t *testing.T) {
	f := setup(t)
	const phone = "+8613800138123"
	first := f.text(t, "k-1", phone, "回电")
	f.clock.add(time.Minute)
	out := f.text(t, "k-2", phone, "回电 明天上午10点")
	tk := f.view(t, first.Ticket.ID)
	if out.Callback != sms.CallbackBooked || tk.Awaiting() || tk.CallbackAsk.Status != ticket.AskAnswered || tk.Callback == nil {
		t.Fatalf("outcome %+v ask %+v callback %+v, want booked and the question answered", out, tk.CallbackAsk, tk.Callback)
	}
	if n := len(f.events(t, tk.ID, ticket.EventCallbackRequested)); n != 1 {
		t.Errorf("%d callback_requested events, want 1", n)
	}
	if texts := f.texts.to(phone); len(texts) != 2 || !strings.Contains(texts[1].Body, "已为您预约回电") {
		t.Errorf("texts = %+v, want the question then one confirmation", texts)
	}
}

// text hands one End User Messaging text to the service and fails the
// test on an error.
func (f *fixture) text(tb testing.TB, id, from, body string) sms.Outcome {
	tb.Helper()
	out, err := f.svc.Handle(context.Background(), sms.Message{Provider: sms.EndUserMessaging, ID: id, From: from, Body: body}, false)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
