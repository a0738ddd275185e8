package sms_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// monday10 is Monday 2026-11-23 10:00 in Shanghai, the fixtures' time.
var monday10 = time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)

// sentText is one text the recorder was asked to send.
type sentText struct {
	To, Body, ID string
}

// recorder is the test's SMS sender: it keeps what it was asked to send,
// and fails for the numbers in failFor.
type recorder struct {
	mu      sync.Mutex
	sent    []sentText
	n       atomic.Int64
	failFor sync.Map
}

func (r *recorder) Send(_ context.Context, to, body string) (string, error) {
	if _, bad := r.failFor.Load(to); bad {
		return "", errors.New("sms provider unavailable")
	}
	id := fmt.Sprintf("rec-%06d", r.n.Add(1))
	r.mu.Lock()
	r.sent = append(r.sent, sentText{To: to, Body: body, ID: id})
	r.mu.Unlock()
	return id, nil
}

func (r *recorder) to(phone string) []sentText {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []sentText
	for _, s := range r.sent {
		if s.To == phone {
			out = append(out, s)
		}
	}
	return out
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent)
}

// clock is a settable time shared by every part under test.
type clock struct{ t atomic.Pointer[time.Time] }

func (c *clock) now() time.Time      { return *c.t.Load() }
func (c *clock) set(t time.Time)     { c.t.Store(&t) }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

type fixture struct {
	db    *dynamodb.Client
	store *dynamo.Store
	svc   *sms.Service
	texts *recorder
	clock *clock
}

func setup(tb testing.TB) *fixture {
	tb.Helper()
	store, db := testenv.Table(tb)
	c := &clock{}
	c.set(monday10)
	store.Now = c.now
	rec := &recorder{}
	in := &intake.Service{Store: store, Rules: ticket.MustDefaultRules(shanghai), Region: "CN", Now: c.now}
	svc := sms.New(store, in, sms.MustDefaultKeywords(), rec, "CN")
	svc.Now, svc.Outbound.Now = c.now, c.now
	svc.Outbound.Zone = shanghai
	return &fixture{db: db, store: store, svc: svc, texts: rec, clock: c}
}

func (f *fixture) tickets(tb testing.TB) []ticket.Ticket {
	tb.Helper()
	list, err := f.store.Recent(context.Background(), 10000, 3)
	if err != nil {
		tb.Fatalf("Recent: %v", err)
	}
	return list
}

func (f *fixture) view(tb testing.TB, id ticket.ID) *ticket.Ticket {
	tb.Helper()
	t, err := f.store.View(context.Background(), id)
	if err != nil {
		tb.Fatalf("View(%s): %v", id, err)
	}
	return t
}

func inbound(tb testing.TB, h *sms.QueueHandler, name string) events.SQSEventResponse {
	tb.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return invoke(tb, h, data)
}

func invoke(tb testing.TB, h *sms.QueueHandler, payload []byte) events.SQSEventResponse {
	tb.Helper()
	raw, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), payload)
	if err != nil {
		tb.Fatalf("Invoke: %v", err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		tb.Fatalf("decode response %s: %v", raw, err)
	}
	return resp
}

// record wraps an End User Messaging payload in an SNS notification in an
// SQS message, as the queue delivers it.
func record(tb testing.TB, sqsID string, p sms.Inbound, at time.Time) events.SQSMessage {
	tb.Helper()
	msg, err := json.Marshal(p)
	if err != nil {
		tb.Fatal(err)
	}
	env, err := json.Marshal(events.SNSEntity{Type: "Notification", MessageID: "sns-" + sqsID, TopicArn: "arn:aws:sns:us-east-1:000000000000:inbound", Message: string(msg), Timestamp: at})
	if err != nil {
		tb.Fatal(err)
	}
	return events.SQSMessage{MessageId: sqsID, Body: string(env), EventSource: "aws:sqs"}
}

func event(tb testing.TB, recs ...events.SQSMessage) []byte {
	tb.Helper()
	b, err := json.Marshal(events.SQSEvent{Records: recs})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestQueueFixtures(t *testing.T) {
	f := setup(t)
	h := &sms.QueueHandler{Service: f.svc}
	if resp := inbound(t, h, "sqs-event.json"); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures = %+v, want none", resp.BatchItemFailures)
	}
	list := f.tickets(t)
	if len(list) != 3 {
		t.Fatalf("%d tickets, want 3", len(list))
	}
	byPhone := map[string]ticket.Ticket{}
	for _, tk := range list {
		byPhone[tk.Contact.Phone] = tk
	}
	tests := []struct {
		phone    string
		kind     ticket.Kind
		priority ticket.Priority
		lang     string
		blast    string
		ack      string
	}{
		{"+8613800138000", ticket.Emergency, ticket.P1, "zh-Hans", "", "已收到您的短信"},
		{"+14255550182", ticket.Billing, ticket.P3, "en", "wJ0fGAobSz1hhi7S4RGGfE8Hn9WaFJTS", "We got your message"},
		{"+85291234567", ticket.Inquiry, ticket.P3, "zh-Hant", "", "已收到您的短訊"},
	}
	for _, tt := range tests {
		tk, ok := byPhone[tt.phone]
		if !ok {
			t.Errorf("no ticket for %s", tt.phone)
			continue
		}
		if tk.Kind != tt.kind || tk.Priority != tt.priority || string(tk.Language) != tt.lang || tk.BlastID != tt.blast || tk.Channel != ticket.SMS {
			t.Errorf("ticket for %s = %s %s %q blast %q channel %s, want %s %s %q blast %q sms",
				tt.phone, tk.Kind, tk.Priority, tk.Language, tk.BlastID, tk.Channel, tt.kind, tt.priority, tt.lang, tt.blast)
		}
		acks := f.texts.to(tt.phone)
		if len(acks) != 1 || !strings.Contains(acks[0].Body, tt.ack) || !strings.Contains(acks[0].Body, string(tk.Ref)) {
			t.Errorf("texts to %s = %+v, want one acknowledgement with %q and %s", tt.phone, acks, tt.ack, tk.Ref)
			continue
		}
		if seg := sms.Count(acks[0].Body); seg.Parts != 1 {
			t.Errorf("acknowledgement to %s is %d parts, want 1", tt.phone, seg.Parts)
		}
		// The acknowledgement is on the ticket with the provider's ID, so a
		// reply to it threads.
		full := f.view(t, tk.ID)
		var out []ticket.Message
		for _, m := range full.Messages {
			if m.Direction == ticket.Outbound {
				out = append(out, m)
			}
		}
		if len(full.Messages) != 2 || len(out) != 1 || out[0].SourceID != acks[0].ID || out[0].Meta["purpose"] != "ack" {
			t.Errorf("messages of %s = %+v, want the text and the acknowledgement %s", tk.Ref, full.Messages, acks[0].ID)
		}
		if id, err := f.store.BySent(context.Background(), ticket.SMS, acks[0].ID); err != nil || id != tk.ID {
			t.Errorf("BySent(%s) = %s, %v, want %s", acks[0].ID, id, err, tk.ID)
		}
	}
}

func TestQueueQuarantinesBadInput(t *testing.T) {
	f := setup(t)
	h := &sms.QueueHandler{Service: f.svc}
	if resp := inbound(t, h, "sqs-bad.json"); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures = %+v, want none: bad input is quarantined, not retried", resp.BatchItemFailures)
	}
	q, err := f.store.Quarantined(context.Background(), ticket.SMS, true)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, item := range q {
		reasons[item.ID] = item.Reason
		if len(item.Payload) == 0 {
			t.Errorf("quarantine %s kept no payload", item.ID)
		}
	}
	want := map[string]string{
		"delivery-bad-0001-malformed": sms.ReasonMalformed,
		"bad-empty-0002":              sms.ReasonEmpty,
		"bad-long-0003":               sms.ReasonTooLong,
		"bad-number-0004":             sms.ReasonNumber,
		"delivery-bad-0005-noid":      sms.ReasonNoID,
	}
	for id, reason := range want {
		if !strings.HasPrefix(reasons[id], reason) {
			t.Errorf("quarantine %s reason = %q, want %s", id, reasons[id], reason)
		}
	}
	if len(q) != len(want) {
		t.Errorf("%d quarantined, want %d: %v", len(q), len(want), reasons)
	}
	if list := f.tickets(t); len(list) != 1 || list[0].Kind != ticket.Repair {
		t.Errorf("tickets = %+v, want the one good repair report", list)
	}
	// A redelivery of the same bad batch adds nothing.
	inbound(t, h, "sqs-bad.json")
	if q2, _ := f.store.Quarantined(context.Background(), ticket.SMS, true); len(q2) != len(q) {
		t.Errorf("after redelivery %d quarantined, want %d", len(q2), len(q))
	}
}

func TestFailedRecordIsRetriedAlone(t *testing.T) {
	f := setup(t)
	h := &sms.QueueHandler{Service: f.svc}
	f.texts.failFor.Store("+8613800138011", true)
	recs := []events.SQSMessage{
		record(t, "q1", sms.Inbound{OriginationNumber: "+8613800138010", MessageBody: "电表坏了", InboundMessageID: "in-1"}, monday10),
		record(t, "q2", sms.Inbound{OriginationNumber: "+8613800138011", MessageBody: "电表坏了", InboundMessageID: "in-2"}, monday10),
		record(t, "q3", sms.Inbound{OriginationNumber: "+8613800138012", MessageBody: "电表坏了", InboundMessageID: "in-3"}, monday10),
	}
	resp := invoke(t, h, event(t, recs...))
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "q2" {
		t.Fatalf("failures = %+v, want exactly q2", resp.BatchItemFailures)
	}
	// The ticket is kept; the redelivery acknowledges it once, without a
	// second ticket.
	f.texts.failFor.Delete("+8613800138011")
	if resp := invoke(t, h, event(t, recs[1])); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("redelivery failures = %+v", resp.BatchItemFailures)
	}
	invoke(t, h, event(t, recs[1]))
	if n := len(f.texts.to("+8613800138011")); n != 1 {
		t.Errorf("%d acknowledgements after redelivery, want 1", n)
	}
	if n := len(f.tickets(t)); n != 3 {
		t.Errorf("%d tickets, want 3", n)
	}
}

// deliverThrice hands rec to h three times: one after another, or in one
// batch handled at once. Every delivery must succeed.
func deliverThrice(tb testing.TB, h *sms.QueueHandler, rec events.SQSMessage, concurrent bool) {
	tb.Helper()
	if concurrent {
		r1, r2, r3 := rec, rec, rec
		r1.MessageId, r2.MessageId, r3.MessageId = "a", "b", "c"
		if resp := invoke(tb, h, event(tb, r1, r2, r3)); len(resp.BatchItemFailures) != 0 {
			tb.Fatalf("failures = %+v", resp.BatchItemFailures)
		}
		return
	}
	for i := 0; i < 3; i++ {
		if resp := invoke(tb, h, event(tb, rec)); len(resp.BatchItemFailures) != 0 {
			tb.Fatalf("delivery %d: failures = %+v", i+1, resp.BatchItemFailures)
		}
	}
}

func TestSameMessageThreeTimes(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		t.Run(fmt.Sprintf("concurrent=%v", concurrent), func(t *testing.T) {
			f := setup(t)
			h := &sms.QueueHandler{Service: f.svc}
			rec := record(t, "q", sms.Inbound{OriginationNumber: "+8613800138020", MessageBody: "停水了，什么时候恢复？", InboundMessageID: "same-id"}, monday10)
			deliverThrice(t, h, rec, concurrent)
			list := f.tickets(t)
			if len(list) != 1 {
				t.Fatalf("%d tickets, want 1", len(list))
			}
			full := f.view(t, list[0].ID)
			in := 0
			for _, m := range full.Messages {
				if m.Direction == ticket.Inbound {
					in++
				}
			}
			if in != 1 {
				t.Errorf("%d inbound messages, want 1", in)
			}
			if n := f.texts.count(); n != 1 {
				t.Errorf("%d texts sent, want 1 acknowledgement", n)
			}
		})
	}
}

func TestNewNumberRace(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	for round := 0; round < 10; round++ {
		phone := fmt.Sprintf("+86138001390%02d", round)
		var wg sync.WaitGroup
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m := sms.Message{Provider: sms.EndUserMessaging, ID: fmt.Sprintf("race-%d-%d", round, i), From: phone, Body: fmt.Sprintf("第%d条：路灯坏了", i), At: monday10}
				if _, err := f.svc.Handle(ctx, m, false); err != nil {
					t.Errorf("Handle: %v", err)
				}
			}()
		}
		wg.Wait()
	}
	list := f.tickets(t)
	if len(list) != 10 {
		t.Fatalf("%d tickets for 10 numbers, want 10", len(list))
	}
	for _, tk := range list {
		full := f.view(t, tk.ID)
		in := 0
		for _, m := range full.Messages {
			if m.Direction == ticket.Inbound {
				in++
			}
		}
		if in != 2 {
			t.Errorf("ticket %s has %d inbound messages, want both", tk.Ref, in)
		}
	}
}

func TestKeywords(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	const phone = "+8613800138030"
	handle := func(id, body string) sms.Outcome {
		t.Helper()
		out, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: id, From: phone, Body: body}, false)
		if err != nil {
			t.Fatalf("Handle(%q): %v", body, err)
		}
		return out
	}
	if out := handle("k1", "退订"); out.Action != sms.OptOut || out.Ticket != nil {
		t.Errorf("退订 = %+v, want opt-out and no ticket", out)
	}
	if out, _ := f.store.OptedOut(ctx, phone); !out {
		t.Errorf("OptedOut after 退订 = false")
	}
	// The redelivered keyword is not answered twice.
	handle("k1", "退订")
	if got := f.texts.to(phone); len(got) != 1 || !strings.Contains(got[0].Body, "您已退订") {
		t.Errorf("texts = %+v, want one opt-out confirmation in Chinese", got)
	}
	// A text from an opted-out number is a ticket but is not acknowledged.
	if out := handle("k2", "我的水表坏了"); out.Ticket == nil || out.Acked {
		t.Errorf("text after opt-out = %+v, want a ticket without acknowledgement", out)
	}
	if out := handle("k3", "help"); out.Action != sms.Help || !strings.Contains(out.Reply, "STOP") {
		t.Errorf("help = %+v, want the English help text", out)
	}
	if out := handle("k4", "START"); out.Action != sms.OptIn {
		t.Errorf("START = %+v, want opt-in", out)
	}
	if out, _ := f.store.OptedOut(ctx, phone); out {
		t.Errorf("OptedOut after START = true")
	}
	if n := len(f.tickets(t)); n != 1 {
		t.Errorf("%d tickets, want only the one real message", n)
	}

	// A sentence asking to stop is a ticket for a person, not an opt-out.
	other := "+8613800138031"
	out, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "k5", From: other, Body: "please stop texting me"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if out.Ticket == nil || !out.Ticket.NeedsPerson || out.Acked {
		t.Errorf("please stop = %+v, want a ticket flagged for a person, not acknowledged", out)
	}
	if opted, _ := f.store.OptedOut(ctx, other); opted {
		t.Errorf("a sentence opted the number out")
	}

	// The callback keyword opens a callback ticket.
	out, err = f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "k6", From: "+85291234568", Body: "回電"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if out.Ticket == nil || out.Ticket.Kind != ticket.CallbackRq || out.Ticket.Language != "zh-Hant" || !out.Acked {
		t.Errorf("回電 = %+v, want an acknowledged zh-Hant callback ticket", out.Ticket)
	}
}

func TestOptOutThenReminder(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	const phone = "+8613800138040"
	first, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "o1", From: phone, Body: "明天上午有人来修吗"}, false)
	if err != nil || first.Ticket == nil {
		t.Fatalf("Handle: %+v %v", first, err)
	}
	if _, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "o2", From: phone, Body: "STOP"}, false); err != nil {
		t.Fatal(err)
	}
	before := f.texts.count()
	_, err = f.svc.Outbound.Send(ctx, outbound.Request{TicketID: first.Ticket.ID, Render: text("提醒：明天9:00–11:00回电"), Purpose: sms.PurposeReminder, Key: "reminder-1"})
	if !errors.Is(err, sms.ErrOptedOut) {
		t.Errorf("reminder after STOP = %v, want ErrOptedOut", err)
	}
	if n := f.texts.count(); n != before {
		t.Errorf("%d texts sent after STOP, want none", n-before)
	}
	full := f.view(t, first.Ticket.ID)
	for _, m := range full.Messages {
		if m.Meta["purpose"] == string(sms.PurposeReminder) {
			t.Errorf("reminder recorded on the ticket although not sent: %+v", m)
		}
	}
	// An older STOP arriving after a newer START does not undo it.
	f.clock.add(time.Minute)
	if _, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "o3", From: phone, Body: "START", At: f.clock.now()}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "o4", From: phone, Body: "STOP", At: monday10.Add(-time.Hour)}, false); err != nil {
		t.Fatal(err)
	}
	if opted, _ := f.store.OptedOut(ctx, phone); opted {
		t.Errorf("a late, older STOP undid the newer START")
	}
	if _, err := f.svc.Outbound.Send(ctx, outbound.Request{TicketID: first.Ticket.ID, Render: text("提醒：明天9:00–11:00回电"), Purpose: sms.PurposeReminder, Key: "reminder-1"}); err != nil {
		t.Errorf("reminder after START: %v", err)
	}
}

func TestRepliesThreadAndSurvey(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.svc.ThreadWindow = -1 // only the reply link may thread
	const phone = "+8613800138050"
	first, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "r1", From: phone, Body: "报修：楼道灯不亮"}, false)
	if err != nil {
		t.Fatal(err)
	}
	ack := f.texts.to(phone)[0]
	reply, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "r2", From: phone, Body: "好的，谢谢", ReplyTo: ack.ID}, false)
	if err != nil {
		t.Fatal(err)
	}
	if reply.Created || reply.Ticket.ID != first.Ticket.ID {
		t.Errorf("reply to the acknowledgement went to %s (created %v), want %s", reply.Ticket.Ref, reply.Created, first.Ticket.Ref)
	}
	// A survey sent later; "4" in reply to it is recorded on the ticket.
	survey, err := f.svc.Outbound.Send(ctx, outbound.Request{TicketID: first.Ticket.ID, Render: text("请为本次服务打分，回复1-5"), Purpose: sms.PurposeSurvey, Key: "survey-1"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "r3", From: phone, Body: "４", ReplyTo: survey.ProviderID}, false)
	if err != nil {
		t.Fatal(err)
	}
	if out.Survey != 4 || out.Ticket.ID != first.Ticket.ID {
		t.Errorf("survey answer = %+v, want score 4 on %s", out, first.Ticket.Ref)
	}
	full := f.view(t, first.Ticket.ID)
	found := false
	for _, e := range full.History {
		if e.Type == ticket.EventSurveyAnswered && e.Detail == "score=4" {
			found = true
		}
	}
	if !found {
		t.Errorf("history = %+v, want survey_answered score=4", full.History)
	}
	// "4" replying to the acknowledgement (not a survey) is an ordinary
	// message; a redelivered survey answer is recorded once.
	if out, _ := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "r4", From: phone, Body: "4", ReplyTo: ack.ID}, false); out.Survey != 0 {
		t.Errorf("4 in reply to an acknowledgement = survey %d, want an ordinary message", out.Survey)
	}
	if out, _ := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "r3", From: phone, Body: "４", ReplyTo: survey.ProviderID}, false); !out.Duplicate {
		t.Errorf("redelivered survey answer = %+v, want a duplicate", out)
	}
	if n := len(f.tickets(t)); n != 1 {
		t.Errorf("%d tickets, want 1", n)
	}
}

func TestAcknowledgementThrottle(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	const phone = "+8613800138060"
	send := func(id string) sms.Outcome {
		t.Helper()
		out, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: id, From: phone, Body: "还没有人来修 " + id}, false)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if !send("a1").Acked {
		t.Errorf("first text not acknowledged")
	}
	f.clock.add(4 * time.Minute)
	if send("a2").Acked {
		t.Errorf("second text 4 minutes later acknowledged, want throttled")
	}
	f.clock.add(7 * time.Minute)
	if !send("a3").Acked {
		t.Errorf("text 11 minutes after the first acknowledgement not acknowledged")
	}
	if n := len(f.texts.to(phone)); n != 2 {
		t.Errorf("%d acknowledgements, want 2", n)
	}
	// Concurrent texts on one ticket: still at most one.
	f.clock.add(11 * time.Minute)
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			send(fmt.Sprintf("b%d", i))
		}()
	}
	wg.Wait()
	if n := len(f.texts.to(phone)); n != 3 {
		t.Errorf("%d acknowledgements after a burst, want 3", n)
	}
}

func TestWebhook(t *testing.T) {
	f := setup(t)
	const public = "https://api.example.com/dev/sms/twilio"
	hook := &sms.Webhook{Service: f.svc, PublicURL: public, Tokens: []string{"new-token", "old-token"}}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	post := func(form url.Values, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/sms/twilio", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sms.TwilioSignature(token, public, form))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = fmt.Fprint(&b, readAll(t, resp))
		return resp.StatusCode, b.String()
	}
	data, err := os.ReadFile("testdata/twilio-inbound.txt")
	if err != nil {
		t.Fatal(err)
	}
	form, _ := url.ParseQuery(strings.TrimSpace(string(data)))

	if code, _ := post(form, "forged-token"); code != http.StatusForbidden {
		t.Errorf("forged signature: status %d, want 403", code)
	}
	if n := len(f.tickets(t)); n != 0 {
		t.Fatalf("forged post made %d tickets", n)
	}
	code, body := post(form, "old-token")
	if code != http.StatusOK || !strings.Contains(body, "<Response><Message>We got your message, ref FD-") {
		t.Fatalf("signed post: %d %s, want 200 and the acknowledgement in TwiML", code, body)
	}
	// Twilio retries: the same MessageSid is one ticket and no second reply.
	code, body = post(form, "new-token")
	if code != http.StatusOK || strings.Contains(body, "<Message>") {
		t.Errorf("retried post: %d %s, want 200 and no reply", code, body)
	}
	list := f.tickets(t)
	if len(list) != 1 || list[0].Kind != ticket.Repair {
		t.Fatalf("tickets = %+v, want one repair", list)
	}
	full := f.view(t, list[0].ID)
	if len(full.Messages) != 2 || full.Messages[1].Meta["purpose"] != "ack" {
		t.Errorf("messages = %+v, want the text and the recorded acknowledgement", full.Messages)
	}
	if f.texts.count() != 0 {
		t.Errorf("webhook sent %d texts through SNS, want the reply in TwiML only", f.texts.count())
	}
	stop := url.Values{"MessageSid": {"SMstop1"}, "From": {"+14255550182"}, "To": {"+12125560142"}, "Body": {"Stop"}}
	if code, body := post(stop, "new-token"); code != http.StatusOK || !strings.Contains(body, "no more texts") {
		t.Errorf("STOP: %d %s, want the opt-out confirmation", code, body)
	}
	bad := url.Values{"MessageSid": {"SMbad1"}, "From": {"not a number"}, "Body": {"hi"}}
	if code, _ := post(bad, "new-token"); code != http.StatusOK {
		t.Errorf("bad number: status %d, want 200 (quarantined, not retried)", code)
	}
	if q, _ := f.store.Quarantined(context.Background(), ticket.SMS, true); len(q) != 1 || q[0].ID != "SMbad1" {
		t.Errorf("quarantine = %+v, want SMbad1", q)
	}
}

func readAll(tb testing.TB, resp *http.Response) string {
	tb.Helper()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// TestWebhookFixtures posts Twilio requests whose signatures were computed
// outside this code base (testdata/twilio-posts.json), with the tokens
// "fixture-current" and "fixture-previous" accepted.
func TestWebhookFixtures(t *testing.T) {
	data, err := os.ReadFile("testdata/twilio-posts.json")
	if err != nil {
		t.Fatal(err)
	}
	var posts []struct {
		Name, URL, Signature, Body string
		Status                     int
	}
	if err := json.Unmarshal(data, &posts); err != nil {
		t.Fatal(err)
	}
	f := setup(t)
	hook := &sms.Webhook{Service: f.svc, PublicURL: posts[0].URL, Tokens: []string{"fixture-current", "fixture-previous"}}
	accepted := 0
	for _, p := range posts {
		t.Run(p.Name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/sms/twilio", strings.NewReader(p.Body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Twilio-Signature", p.Signature)
			w := httptest.NewRecorder()
			hook.ServeHTTP(w, req)
			if w.Code != p.Status {
				t.Errorf("status %d, want %d: %s", w.Code, p.Status, w.Body)
			}
			if w.Code == http.StatusOK {
				accepted++
				if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
					t.Errorf("content type %q, want text/xml", ct)
				}
			}
		})
	}
	if accepted != 3 {
		t.Errorf("%d posts accepted, want 3", accepted)
	}
	// The two valid posts are one message; the keyword makes no ticket.
	if list := f.tickets(t); len(list) != 1 {
		t.Errorf("%d tickets, want 1", len(list))
	}
	if opted, _ := f.store.OptedOut(context.Background(), "+8613800138099"); !opted {
		t.Errorf("退订 by webhook did not opt the number out")
	}
}

// laggingIndex is the store as intake sees it while ContactIndex has not
// caught up with new tickets yet: no number has an open ticket.
type laggingIndex struct{ *dynamo.Store }

func (laggingIndex) OpenForContact(context.Context, ticket.Contact, time.Time) (*ticket.Ticket, error) {
	return nil, ticket.ErrNotFound
}

// TestNewTicketGuardWithLaggingIndex sends two texts from a new number
// while the contact index does not show the first one's ticket, at times
// that fall in one guard bucket, on either side of a bucket edge, and on
// either side of an edge of the other grid: each time the second text
// joins the first one's ticket.
func TestNewTicketGuardWithLaggingIndex(t *testing.T) {
	f := setup(t)
	f.svc.Intake.Store = laggingIndex{f.store}
	ctx := context.Background()
	for i, tc := range []struct {
		name          string
		first, second time.Duration
	}{
		{"one bucket", 2 * time.Minute, 3 * time.Minute},
		{"bucket edge between", 20*time.Minute - 100*time.Millisecond, 20*time.Minute + 100*time.Millisecond},
		{"half-bucket edge between", 35*time.Minute - 100*time.Millisecond, 35*time.Minute + 100*time.Millisecond},
		{"almost half a bucket apart", 41 * time.Minute, 45*time.Minute + 59*time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			phone := fmt.Sprintf("+86138001391%02d", i)
			send := func(id string, after time.Duration, body string) sms.Outcome {
				f.clock.set(monday10.Add(after))
				out, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: id, From: phone, Body: body, At: monday10.Add(after)}, false)
				if err != nil {
					t.Fatalf("Handle %s: %v", id, err)
				}
				return out
			}
			first := send(fmt.Sprintf("lag-%d-a", i), tc.first, "楼道灯不亮")
			second := send(fmt.Sprintf("lag-%d-b", i), tc.second, "补充：三楼和四楼")
			if !first.Created || second.Created || second.Ticket.ID != first.Ticket.ID {
				t.Fatalf("second text: created %v on %s, want it on %s", second.Created, second.Ticket.Ref, first.Ticket.Ref)
			}
			in := 0
			for _, m := range f.view(t, first.Ticket.ID).Messages {
				if m.Direction == ticket.Inbound {
					in++
				}
			}
			if in != 2 {
				t.Errorf("%s has %d inbound messages, want 2", first.Ticket.Ref, in)
			}
		})
	}
}

// resolve marks a ticket resolved, as an agent would.
func (f *fixture) resolve(tb testing.TB, id ticket.ID) {
	tb.Helper()
	ctx := context.Background()
	tk, err := f.store.Ticket(ctx, id)
	if err != nil {
		tb.Fatal(err)
	}
	next := *tk
	next.Status, next.Version = ticket.Resolved, tk.Version+1
	if err := f.store.Apply(ctx, ticket.Change{Ticket: &next, PrevVersion: tk.Version,
		Events: []ticket.Event{intake.NewEvent(ticket.EventResolved, f.clock.now(), "agent", "", "")}}); err != nil {
		tb.Fatal(err)
	}
}

// TestNewTicketAfterResolve checks the new-ticket guard's way out: the
// number's ticket was resolved within the guard's bucket, so no open
// ticket takes the next text and the guard's counter is already spent; the
// text still opens a new ticket.
func TestNewTicketAfterResolve(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	const phone = "+8613800138070"
	first, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "n1", From: phone, Body: "电表坏了"}, false)
	if err != nil {
		t.Fatal(err)
	}
	f.resolve(t, first.Ticket.ID)
	f.clock.add(time.Minute)
	second, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "n2", From: phone, Body: "又坏了"}, false)
	if err != nil {
		t.Fatalf("Handle after resolve: %v", err)
	}
	if !second.Created || second.Ticket.ID == first.Ticket.ID {
		t.Errorf("text after resolve = created %v on %s, want a new ticket", second.Created, second.Ticket.Ref)
	}
}

// TestWebhookThroughAPIGateway pushes an API Gateway HTTP API event (the
// form body base64-encoded, headers lower-cased, as AWS sends them)
// through the adapter and the runtime's JSON path, as the Twilio function
// is wired in production. No public URL is configured: the signature is
// checked against the URL the adapter rebuilds from the request context.
func TestWebhookThroughAPIGateway(t *testing.T) {
	data, err := os.ReadFile("testdata/apigw-twilio.json")
	if err != nil {
		t.Fatal(err)
	}
	f := setup(t)
	hook := &sms.Webhook{Service: f.svc, Tokens: []string{"apigw-token"}}
	h := lambda.NewHandler(httpadapter.NewV2(hook).ProxyWithContext)
	raw, err := h.Invoke(context.Background(), data)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatal(err)
	}
	body := resp.Body
	if resp.IsBase64Encoded {
		b, _ := base64.StdEncoding.DecodeString(body)
		body = string(b)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<Message>已收到您的短信") {
		t.Fatalf("response %d %q, want 200 and the Chinese acknowledgement in TwiML", resp.StatusCode, body)
	}
	list := f.tickets(t)
	if len(list) != 1 || list[0].Contact.Phone != "+8613800138088" || list[0].Summary != "小区停水了，请问什么时候恢复？" {
		t.Errorf("tickets = %+v, want the one text", list)
	}
	// The same event signed for another URL is refused.
	hook.PublicURL = "https://frontdesk.example.com/sms/twilio"
	raw, _ = h.Invoke(context.Background(), data)
	_ = json.Unmarshal(raw, &resp)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("signature for another URL: status %d, want 403", resp.StatusCode)
	}
}

// TestReplayQuarantined quarantines texts that a wrong default region made
// unreadable, fixes the region, and replays them: each becomes its ticket;
// what is still bad stays quarantined.
func TestReplayQuarantined(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.svc.Region = "US" // the mistake: local Chinese numbers without +86
	h := &sms.QueueHandler{Service: f.svc}
	invoke(t, h, event(t,
		record(t, "q1", sms.Inbound{OriginationNumber: "13800138090", MessageBody: "燃气表漏气", InboundMessageID: "rp-1"}, monday10),
		record(t, "q2", sms.Inbound{OriginationNumber: "+8613800138091", MessageBody: " ", InboundMessageID: "rp-2"}, monday10),
	))
	webhook := &sms.Webhook{Service: f.svc, PublicURL: "https://api.example.com/sms/twilio", Tokens: []string{"tok"}}
	postSigned(t, webhook, url.Values{"MessageSid": {"SMrp3"}, "From": {"13800138092"}, "Body": {"路灯坏了"}})

	list, err := f.store.Quarantined(ctx, ticket.SMS, false)
	if err != nil || len(list) != 3 {
		t.Fatalf("quarantined = %d, %v, want 3", len(list), err)
	}
	f.svc.Region = "CN"
	replayed := 0
	for _, q := range list {
		out, err := f.svc.Replay(ctx, q)
		if err != nil {
			if q.ID != "rp-2" || !sms.IsInput(err) {
				t.Errorf("Replay(%s) = %v", q.ID, err)
			}
			continue
		}
		if out.Ticket == nil || !out.Created {
			t.Errorf("Replay(%s) = %+v, want a new ticket", q.ID, out)
		}
		if err := f.store.MarkReplayed(ctx, ticket.SMS, q.ID, f.clock.now()); err != nil {
			t.Fatal(err)
		}
		replayed++
	}
	if replayed != 2 {
		t.Errorf("%d replayed, want 2 (the empty text stays)", replayed)
	}
	if left, _ := f.store.Quarantined(ctx, ticket.SMS, false); len(left) != 1 || left[0].ID != "rp-2" {
		t.Errorf("left in quarantine = %+v, want rp-2", left)
	}
	if n := len(f.tickets(t)); n != 2 {
		t.Errorf("%d tickets, want 2", n)
	}
}

// postSigned posts form to the webhook, signed with its first token, and
// returns the answer.
func postSigned(tb testing.TB, hook *sms.Webhook, form url.Values) *httptest.ResponseRecorder {
	tb.Helper()
	req := httptest.NewRequest(http.MethodPost, "/sms/twilio", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sms.TwilioSignature(hook.Tokens[0], hook.PublicURL, form))
	w := httptest.NewRecorder()
	hook.ServeHTTP(w, req)
	return w
}

// TestReplayKeepsReceivedTime replays a STOP that was quarantined before a
// newer START from the same number: the STOP counts from when it was
// received (the quarantine's time, Twilio giving none), so it does not
// undo the START.
func TestReplayKeepsReceivedTime(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.svc.Region = "US"
	hook := &sms.Webhook{Service: f.svc, PublicURL: "https://api.example.com/sms/twilio", Tokens: []string{"tok"}}
	postSigned(t, hook, url.Values{"MessageSid": {"SMstop-old"}, "From": {"13800138093"}, "Body": {"STOP"}})
	list, err := f.store.Quarantined(ctx, ticket.SMS, false)
	if err != nil || len(list) != 1 {
		t.Fatalf("quarantined = %+v, %v, want the STOP", list, err)
	}
	f.svc.Region = "CN"
	f.clock.add(time.Hour)
	const phone = "+8613800138093"
	if _, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "start-new", From: phone, Body: "START"}, false); err != nil {
		t.Fatal(err)
	}
	f.clock.add(time.Hour)
	before := f.texts.count()
	if _, err := f.svc.Replay(ctx, list[0]); err != nil {
		t.Fatalf("Replay(%s): %v", list[0].ID, err)
	}
	if opted, err := f.store.OptedOut(ctx, phone); err != nil || opted {
		t.Errorf("OptedOut after replaying the older STOP = %v, %v, want false (the newer START stands)", opted, err)
	}
	// Nor is the customer told they are opted out.
	if n := f.texts.count() - before; n != 0 {
		t.Errorf("replaying the overtaken STOP sent %d texts, want none", n)
	}
}

// text renders the same text in every channel and language.
func text(body string) outbound.Render {
	return func(ticket.Channel, ticket.Language) outbound.Content { return outbound.Content{Text: body} }
}

// unrecorded is the store as the outbound service sees it while texts sent cannot be
// recorded.
type unrecorded struct{ *dynamo.Store }

func (unrecorded) AddSent(context.Context, *ticket.Ticket, ticket.Message, ticket.Event) error {
	return errors.New("table unavailable")
}

// TestWebhookAnswersUnrecordedAcknowledgement: the acknowledgement's slot
// is taken but recording it fails; the Twilio answer still carries it, or
// the customer would get nothing and no retry would send it.
func TestWebhookAnswersUnrecordedAcknowledgement(t *testing.T) {
	f := setup(t)
	f.svc.Outbound.Store = unrecorded{f.store}
	hook := &sms.Webhook{Service: f.svc, PublicURL: "https://api.example.com/sms/twilio", Tokens: []string{"tok"}}
	w := postSigned(t, hook, url.Values{"MessageSid": {"SMnorecord"}, "From": {"+14255550183"}, "Body": {"The streetlight is out"}})
	list := f.tickets(t)
	if len(list) != 1 {
		t.Fatalf("%d tickets, want 1", len(list))
	}
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "<Message>We got your message, ref "+string(list[0].Ref)) {
		t.Errorf("answer %d %s, want 200 and the acknowledgement with %s", w.Code, w.Body, list[0].Ref)
	}
}

// TestWebhookQuarantinesPostsWithoutSid: posts that lack a required field
// are each kept under their own ID, with the field named; Twilio's retry
// of one is the same record.
func TestWebhookQuarantinesPostsWithoutSid(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	hook := &sms.Webhook{Service: f.svc, PublicURL: "https://api.example.com/sms/twilio", Tokens: []string{"tok"}}
	posts := []url.Values{
		{"From": {"+14255550184"}, "Body": {"The streetlight is out"}},
		{"From": {"+14255550184"}, "Body": {"Still out"}},
		{"From": {"+14255550185"}, "Body": {"The streetlight is out"}},
		{"MessageSid": {"SMnofrom"}, "Body": {"Who am I"}},
	}
	for _, form := range posts {
		for range 2 { // Twilio retries
			if w := postSigned(t, hook, form); w.Code != http.StatusOK {
				t.Fatalf("post %v: status %d, want 200 (quarantined, not retried)", form, w.Code)
			}
		}
	}
	list, err := f.store.Quarantined(ctx, ticket.SMS, true)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]int{}
	ids := map[string]bool{}
	for _, q := range list {
		reasons[strings.SplitN(q.Reason, ":", 2)[0]]++
		ids[q.ID] = true
	}
	if len(list) != len(posts) || len(ids) != len(posts) {
		t.Errorf("quarantined %d under %d IDs, want %d: %+v", len(list), len(ids), len(posts), list)
	}
	if reasons[sms.ReasonNoID] != 3 || reasons[sms.ReasonNoSender] != 1 {
		t.Errorf("reasons %v, want 3 %s and 1 %s", reasons, sms.ReasonNoID, sms.ReasonNoSender)
	}
	if n := len(f.tickets(t)); n != 0 {
		t.Errorf("%d tickets, want none", n)
	}
}

// TestCallbackKeywordOnOpenTicket: the callback keyword from a number with
// an open ticket threads onto it and is recorded there as a callback
// request.
func TestCallbackKeywordOnOpenTicket(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	const phone = "+8613800138094"
	first, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "cb-1", From: phone, Body: "电表坏了"}, false)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.add(time.Minute)
	out, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "cb-2", From: phone, Body: "回电"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if out.Created || out.Ticket.ID != first.Ticket.ID {
		t.Fatalf("回电 went to %s (created %v), want %s", out.Ticket.Ref, out.Created, first.Ticket.Ref)
	}
	n := 0
	for _, e := range f.view(t, first.Ticket.ID).History {
		if e.Type == ticket.EventCallbackRequested {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d callback_requested events on %s, want 1", n, first.Ticket.Ref)
	}
}

// TestNewTicketAfterResolveRace: the number's ticket was resolved within
// the guard's bucket, and two texts arrive at once while the contact index
// lags behind: exactly one opens a new ticket, the other threads onto it.
func TestNewTicketAfterResolveRace(t *testing.T) {
	f := setup(t)
	f.svc.Intake.Store = laggingIndex{f.store}
	ctx := context.Background()
	for round := range 3 {
		phone := fmt.Sprintf("+86138001392%02d", round)
		first, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: fmt.Sprintf("rr-%d", round), From: phone, Body: "电表坏了"}, false)
		if err != nil {
			t.Fatal(err)
		}
		f.resolve(t, first.Ticket.ID)
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m := sms.Message{Provider: sms.EndUserMessaging, ID: fmt.Sprintf("rr-%d-%d", round, i), From: phone, Body: fmt.Sprintf("又坏了（%d）", i)}
				if _, err := f.svc.Handle(ctx, m, false); err != nil {
					t.Errorf("Handle: %v", err)
				}
			}()
		}
		wg.Wait()
		var opened []ticket.Ticket
		for _, tk := range f.tickets(t) {
			if tk.Contact.Phone == phone && tk.ID != first.Ticket.ID {
				opened = append(opened, tk)
			}
		}
		if len(opened) != 1 {
			t.Fatalf("round %d: %d new tickets after the resolved one, want 1", round, len(opened))
		}
		in := 0
		for _, m := range f.view(t, opened[0].ID).Messages {
			if m.Direction == ticket.Inbound {
				in++
			}
		}
		if in != 2 {
			t.Errorf("round %d: new ticket %s has %d inbound messages, want both texts", round, opened[0].Ref, in)
		}
	}
}

// TestNewTicketGuardCountersNameDifferentTickets: the guard's two counters
// can name two different finished tickets (each was taken by another
// ticket). Two texts racing then still open one ticket between them: each
// counter is taken over from its own holder.
func TestNewTicketGuardCountersNameDifferentTickets(t *testing.T) {
	f := setup(t)
	f.svc.Intake.Store = laggingIndex{f.store}
	ctx := context.Background()
	const phone = "+8613800139300"
	guard := sms.DefaultNewTicketGuard
	key := sms.GuardKey(phone)
	for i, l := range []ticket.RateLimit{
		{Key: key, Max: 1, Window: guard},
		{Key: key + "#half", Max: 1, Window: guard, Offset: guard / 2},
	} {
		r, err := f.svc.Intake.Receive(ctx, intake.Inbound{
			Source: ticket.Source{Channel: ticket.SMS, ID: fmt.Sprintf("held-%d", i)}, Contact: ticket.Contact{Phone: phone},
			Body: "旧的问题", At: f.clock.now(), Limits: []ticket.RateLimit{l},
		})
		if err != nil {
			t.Fatal(err)
		}
		f.resolve(t, r.Ticket.ID)
	}
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := sms.Message{Provider: sms.EndUserMessaging, ID: fmt.Sprintf("nd-%d", i), From: phone, Body: fmt.Sprintf("又停电了（%d）", i)}
			if _, err := f.svc.Handle(ctx, m, false); err != nil {
				t.Errorf("Handle: %v", err)
			}
		}()
	}
	wg.Wait()
	var opened []ticket.Ticket
	for _, tk := range f.tickets(t) {
		if tk.Contact.Phone == phone && tk.Status.Open() {
			opened = append(opened, tk)
		}
	}
	if len(opened) != 1 {
		t.Fatalf("%d open tickets after two racing texts, want 1", len(opened))
	}
}

// TestOverlongIDsAreQuarantined: a delivery whose message ID is refused
// (far over the field limit, as a broken or hostile sender makes it) is
// still kept in quarantine, under a key built from the delivery, and the
// caller is answered as done: Twilio gets 200, the queue no failure. The
// same delivery again is the same record.
func TestOverlongIDsAreQuarantined(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	hook := &sms.Webhook{Service: f.svc, PublicURL: "https://api.example.com/sms/twilio", Tokens: []string{"tok"}}
	form := url.Values{"MessageSid": {"SM" + strings.Repeat("f", 4000)}, "From": {"+14255550186"}, "Body": {"The streetlight is out"}}
	for range 2 { // Twilio retries
		if w := postSigned(t, hook, form); w.Code != http.StatusOK {
			t.Fatalf("post with a 4 KB MessageSid: status %d %s, want 200 (quarantined)", w.Code, w.Body)
		}
	}
	h := &sms.QueueHandler{Service: f.svc}
	rec := record(t, "sqs-long-id", sms.Inbound{
		OriginationNumber: "+8613800138060", DestinationNumber: "+8610690000",
		MessageBody: "水管漏水", InboundMessageID: strings.Repeat("9", 3000),
	}, monday10)
	for range 2 { // the queue redelivers
		if resp := invoke(t, h, event(t, rec)); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("failures = %+v, want none: the record is quarantined", resp.BatchItemFailures)
		}
	}
	list, err := f.store.Quarantined(ctx, ticket.SMS, true)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, q := range list {
		ids[q.ID] = q.Reason
		if len(q.ID) > 256 {
			t.Errorf("quarantine ID is %d bytes, want a short one built from the delivery", len(q.ID))
		}
	}
	if len(list) != 2 || !strings.HasPrefix(ids["delivery-sqs-long-id"], sms.ReasonMalformed) {
		t.Errorf("quarantined %v, want the post and delivery-sqs-long-id, both %s", ids, sms.ReasonMalformed)
	}
	if n := len(f.tickets(t)); n != 0 {
		t.Errorf("%d tickets, want none", n)
	}
}

// TestKeywordAnswersRecorded: the answer to a keyword is recorded like
// every text sent, with its provider ID, so a reply to it is known as a
// reply to Frontdesk, not to someone else's blast.
func TestKeywordAnswersRecorded(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	const phone = "+8613800138070"
	if _, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "kr1", From: phone, Body: "帮助"}, false); err != nil {
		t.Fatal(err)
	}
	got := f.texts.to(phone)
	if len(got) != 1 {
		t.Fatalf("texts = %+v, want the help answer", got)
	}
	id, msg, err := f.store.SentMessage(ctx, ticket.SMS, got[0].ID)
	if err != nil || id != "" || msg == nil || msg.Body != got[0].Body || msg.Meta["purpose"] != string(sms.PurposeKeyword) {
		t.Fatalf("SentMessage(help answer) = %q, %+v, %v, want it recorded outside any ticket", id, msg, err)
	}
	// A question in reply to the answer opens a ticket of its own, not
	// tied to a blast.
	out, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "kr2", From: phone, Body: "水表不走了", ReplyTo: got[0].ID}, false)
	if err != nil {
		t.Fatal(err)
	}
	if out.Ticket == nil || out.Ticket.BlastID != "" {
		t.Errorf("reply to the help answer = %+v, want a ticket with no blast", out.Ticket)
	}
	// Inline (a Twilio answer) the keyword's answer is recorded too.
	hook := &sms.Webhook{Service: f.svc, PublicURL: "https://api.example.com/sms/twilio", Tokens: []string{"tok"}}
	w := postSigned(t, hook, url.Values{"MessageSid": {"SMkeyword-stop"}, "From": {"+14255550187"}, "Body": {"ST\u200bOP"}})
	if !strings.Contains(w.Body.String(), "no more texts") {
		t.Errorf("answer to ST\\u200bOP = %s, want the opt-out confirmation", w.Body)
	}
	if opted, _ := f.store.OptedOut(ctx, "+14255550187"); !opted {
		t.Errorf("ST\\u200bOP did not opt the number out")
	}
}

// TestAnswerInTheCustomersLanguage: a customer who wrote through the web
// form in Chinese and then texts is answered in Chinese, in the script of
// the ticket when the text does not show one, and in the script of the
// text when it does. Tickets stored before the language was typed ("zh")
// are read as they are.
func TestAnswerInTheCustomersLanguage(t *testing.T) {
	tests := []struct {
		name, ticketLang, text, want string
	}{
		{"stored zh, text without script", "zh", "好的", "已收到您的短信"},
		{"web form Simplified, short text", "zh-Hans", "好", "已收到您的短信"},
		{"ticket Traditional, text without script", "zh-Hant", "好的", "已收到您的短訊"},
		{"ticket Simplified, Traditional text", "zh-Hans", "請問什麼時候來修", "已收到您的短訊"},
		{"ticket English, Chinese text", "en", "停电了", "已收到您的短信"},
		{"ticket Chinese, English text", "zh-Hans", "When will the power be back", "We got your message"},
		{"ticket Chinese, text of digits", "zh-Hans", "12", "已收到您的短信"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			ctx := context.Background()
			phone := fmt.Sprintf("+86138001381%02d", i)
			web, err := f.svc.Intake.Receive(ctx, intake.Inbound{
				Source: ticket.Source{Channel: ticket.Web, ID: "form-" + tt.name}, Contact: ticket.Contact{Phone: phone},
				Body: "小区停水", Language: ticket.Language(tt.ticketLang),
			})
			if err != nil {
				t.Fatal(err)
			}
			f.clock.add(time.Minute)
			out, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "lang-" + tt.name, From: phone, Body: tt.text}, false)
			if err != nil {
				t.Fatal(err)
			}
			if out.Ticket.ID != web.Ticket.ID || !out.Acked {
				t.Fatalf("text = %+v, want it on the web ticket %s and acknowledged", out, web.Ticket.Ref)
			}
			got := f.texts.to(phone)
			if len(got) != 1 || !strings.HasPrefix(got[0].Body, tt.want) {
				t.Errorf("acknowledgement = %+v, want one starting %q", got, tt.want)
			}
		})
	}
}

// TestHardeningFixtures pushes texts that broke intake through the queue
// handler (testdata/sqs-hardening.json): a STOP with a zero-width space
// and a full-width TD with a soft hyphen are opt-outs; the same repair
// question in Simplified and in Traditional (both full of characters the
// scripts share) is answered in its own script; a message ID of 3,000
// bytes is quarantined, not retried for ever.
func TestHardeningFixtures(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	h := &sms.QueueHandler{Service: f.svc}
	if resp := inbound(t, h, "sqs-hardening.json"); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures = %+v, want none", resp.BatchItemFailures)
	}
	for _, phone := range []string{"+8613800138301", "+8613800138305"} {
		if opted, err := f.store.OptedOut(ctx, phone); err != nil || !opted {
			t.Errorf("OptedOut(%s) = %v, %v, want true", phone, opted, err)
		}
	}
	for phone, want := range map[string]string{"+8613800138302": "已收到您的短信", "+85291234302": "已收到您的短訊"} {
		got := f.texts.to(phone)
		if len(got) != 1 || !strings.HasPrefix(got[0].Body, want) {
			t.Errorf("texts to %s = %+v, want one acknowledgement starting %q", phone, got, want)
		}
	}
	q, err := f.store.Quarantined(ctx, ticket.SMS, true)
	if err != nil || len(q) != 1 || q[0].ID != "delivery-hardening-0004-long-id" {
		t.Errorf("quarantined = %+v, %v, want the long ID under delivery-hardening-0004-long-id", q, err)
	}
	if n := len(f.tickets(t)); n != 2 {
		t.Errorf("%d tickets, want the two repair questions", n)
	}
}
