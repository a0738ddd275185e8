package email_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/bucket"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/mailparse"
	"github.com/frontdesk/frontdesk/shared/ses"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// env is one test's Frontdesk: a fresh table, a fresh bucket, and the
// shared SES emulator.
type env struct {
	t      testing.TB
	store  *dynamo.Store
	s3     *s3.Client
	bucket string
	ses    string
	h      *email.Handler
	n      int
	mu     sync.Mutex
}

func newEnv(t testing.TB) *env {
	t.Helper()
	store, _ := testenv.Table(t)
	e := &env{t: t, store: store, s3: awslocal.S3(testenv.Endpoint(t, testenv.EnvFauxqs)), ses: testenv.Endpoint(t, testenv.EnvSES)}
	e.bucket = "mail-" + strings.ToLower(string(ticket.NewID(time.Now())))
	if _, err := e.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &e.bucket}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	e.h = e.handler(mailparse.Limits{})
	return e
}

// handler returns a handler wired as functions/email wires it.
func (e *env) handler(lim mailparse.Limits) *email.Handler {
	svc := &intake.Service{Store: e.store, Rules: ticket.MustDefaultRules(shanghai), Region: "CN"}
	return &email.Handler{
		Objects: bucket.New(e.s3), Intake: svc, Tickets: e.store, Recorder: e.store, Bounces: e.store, AckClaims: e.store,
		Aliases: e.store, Quarantine: e.store, Signer: email.Signer{Keys: [][]byte{[]byte("test key")}},
		Ack: &email.Acknowledger{
			Mailer: ses.New(awslocal.SES(e.ses)), From: "Frontdesk <support@example.com>", Zone: shanghai,
		},
		Limits: lim, AttachmentPrefix: "attachments/",
	}
}

// unique returns an address no other test uses, so counts in the shared
// SES emulator are this test's own.
func unique(t testing.TB, name string) string {
	return name + "." + strings.ToLower(string(ticket.NewID(time.Now()))) + "@example.com"
}

// fixtureEvent is the SQS event fixture with its notification pointed at
// key in the test's bucket, under sesID.
func (e *env) event(sesID string) []byte {
	e.t.Helper()
	return e.eventWith(sesID, nil)
}

// eventWith is event with the notification changed by edit first.
func (e *env) eventWith(sesID string, edit func(n map[string]any)) []byte {
	e.t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "events", "sqs-ses-s3.json"))
	if err != nil {
		e.t.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		e.t.Fatal(err)
	}
	rec := &ev.Records[0]
	var sns events.SNSEntity
	if err := json.Unmarshal([]byte(rec.Body), &sns); err != nil {
		e.t.Fatal(err)
	}
	var n map[string]any
	if err := json.Unmarshal([]byte(sns.Message), &n); err != nil {
		e.t.Fatal(err)
	}
	n["mail"].(map[string]any)["messageId"] = sesID
	n["mail"].(map[string]any)["timestamp"] = time.Now().UTC().Format(time.RFC3339Nano)
	act := n["receipt"].(map[string]any)["action"].(map[string]any)
	act["bucketName"] = e.bucket
	act["objectKey"] = "inbound/" + sesID
	if edit != nil {
		edit(n)
	}
	b, _ := json.Marshal(n)
	sns.Message = string(b)
	body, _ := json.Marshal(sns)
	rec.Body = string(body)
	e.mu.Lock()
	e.n++
	rec.MessageId = fmt.Sprintf("sqs-%s-%d", sesID, e.n)
	e.mu.Unlock()
	out, _ := json.Marshal(ev)
	return out
}

// deliver stores raw as SES would and pushes the notification through the
// handler the way the Lambda runtime does.
func (e *env) deliver(h *email.Handler, raw []byte, sesID string) events.SQSEventResponse {
	e.t.Helper()
	e.put(sesID, raw)
	return e.invoke(h, e.event(sesID))
}

func (e *env) put(sesID string, raw []byte) {
	e.t.Helper()
	// SES's own part: store the raw mail (in parts when it is big).
	if err := bucket.New(e.s3).Put(context.Background(), e.bucket, "inbound/"+sesID, "message/rfc822", raw); err != nil {
		e.t.Fatalf("put mail: %v", err)
	}
}

func (e *env) invoke(h *email.Handler, payload []byte) events.SQSEventResponse {
	e.t.Helper()
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), payload)
	if err != nil {
		e.t.Fatalf("invoke: %v", err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		e.t.Fatalf("decode response %s: %v", out, err)
	}
	return resp
}

func (e *env) ok(resp events.SQSEventResponse) {
	e.t.Helper()
	if len(resp.BatchItemFailures) != 0 {
		e.t.Fatalf("batch item failures = %+v, want none", resp.BatchItemFailures)
	}
}

// view returns the ticket a source went to, with messages and history.
func (e *env) view(sesID string) *ticket.Ticket {
	e.t.Helper()
	id, err := e.store.BySource(context.Background(), ticket.Source{Channel: ticket.Email, ID: sesID})
	if err != nil {
		e.t.Fatalf("BySource(%s): %v", sesID, err)
	}
	t, err := e.store.View(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

// object reads an object of the test's bucket.
func (e *env) object(key string) ([]byte, error) {
	out, err := e.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &e.bucket, Key: &key})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// acks counts the mail the SES emulator holds for addr.
func (e *env) acks(addr string) int {
	e.t.Helper()
	resp, err := http.Get(e.ses + "/store")
	if err != nil {
		e.t.Fatalf("read SES store: %v", err)
	}
	defer resp.Body.Close()
	var st struct {
		Emails []struct {
			Destination struct {
				To []string `json:"to"`
			} `json:"destination"`
			Subject string `json:"subject"`
		} `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		e.t.Fatalf("decode SES store: %v", err)
	}
	n := 0
	for _, m := range st.Emails {
		for _, to := range m.Destination.To {
			if strings.Contains(to, addr) {
				n++
			}
		}
	}
	return n
}

// outbound returns the acknowledgement recorded on t.
func outbound(tb testing.TB, t *ticket.Ticket) ticket.Message {
	tb.Helper()
	for _, m := range t.Messages {
		if m.Direction == ticket.Outbound {
			return m
		}
	}
	tb.Fatalf("ticket %s has no outbound message: %+v", t.Ref, t.Messages)
	return ticket.Message{}
}

// mailFrom returns a plain message.
func mailFrom(from, subject, body string, headers ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: support@example.com\r\nSubject: %s\r\nDate: Mon, 23 Nov 2026 10:00:00 +0800\r\n", from, subject)
	fmt.Fprintf(&b, "Message-ID: <%s@client.example>\r\n", strings.ToLower(string(ticket.NewID(time.Now()))))
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
	return []byte(b.String())
}

var fromLine = regexp.MustCompile(`(?m)^From: .*\r?\n`)

// withFrom replaces a fixture's sender.
func withFrom(raw []byte, addr string) []byte {
	return fromLine.ReplaceAll(raw, []byte("From: Customer <"+addr+">\r\n"))
}

func sesID(tb testing.TB) string {
	return strings.ToLower(string(ticket.NewID(time.Now())))
}

func TestNewMailOpensTicketAndAcknowledges(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "wang")
	raw := mustRead(t, "gmail.eml")
	id := sesID(t)
	e.ok(e.deliver(e.h, withFrom(raw, addr), id))

	tk := e.view(id)
	if tk.Channel != ticket.Email || tk.Contact.Email != addr || tk.Kind != ticket.Billing {
		t.Errorf("ticket = %s %q %s, want an email billing ticket from %s", tk.Channel, tk.Contact.Email, tk.Kind, addr)
	}
	in := tk.Messages[0]
	if !strings.Contains(in.Body, "燃气表读数不对") || strings.Contains(in.Body, "请提供您的户号") {
		t.Errorf("body = %q, want the new text without the quote", in.Body)
	}
	if !strings.Contains(in.FullBody, "请提供您的户号") {
		t.Errorf("fullBody = %q, want the quote kept", in.FullBody)
	}
	if in.Meta["messageId"] != "CAF=k8Qz9x_gmail-0001@mail.gmail.com" || in.Meta["s3Key"] != "s3://"+e.bucket+"/inbound/"+id {
		t.Errorf("meta = %v, want the Message-ID and the raw mail's key", in.Meta)
	}
	ack := outbound(t, tk)
	if !ack.Automatic || !strings.Contains(ack.Subject, string(tk.Ref)) || !strings.Contains(ack.Body, "We have received your message") || !strings.Contains(ack.Body, "我们已收到您的来信") {
		t.Errorf("acknowledgement = %+v, want a bilingual automatic message with the reference", ack)
	}
	if got, err := e.store.BySent(context.Background(), ticket.Email, ack.SourceID); err != nil || got != tk.ID {
		t.Errorf("BySent(ack Message-ID) = %v, %v, want %s", got, err, tk.ID)
	}
	if n := e.acks(addr); n != 1 {
		t.Errorf("SES holds %d acknowledgements for the sender, want 1", n)
	}
}

func TestNestedAttachmentsStored(t *testing.T) {
	e := newEnv(t)
	e.h.Limits.MaxAttachment = 1000
	raw := mustRead(t, "nested.eml")
	id := sesID(t)
	e.ok(e.deliver(e.h, withFrom(raw, unique(t, "li")), id))
	atts := e.view(id).Messages[0].Attachments
	if len(atts) != 3 {
		t.Fatalf("attachments = %+v, want 3", atts)
	}
	for _, a := range atts {
		if a.Skipped {
			if a.Key != "" {
				t.Errorf("oversize attachment %q has key %q, want none", a.Name, a.Key)
			}
			continue
		}
		b, err := e.object(a.Key)
		if err != nil {
			t.Errorf("attachment %q not in S3 at %q: %v", a.Name, a.Key, err)
			continue
		}
		if int64(len(b)) != a.Size {
			t.Errorf("attachment %q: %d bytes stored, size says %d", a.Name, len(b), a.Size)
		}
	}
	if !atts[1].Skipped || atts[1].Name != "十一月账单.pdf" {
		t.Errorf("attachment 2 = %+v, want the oversize pdf listed, not stored", atts[1])
	}
}

func TestReplyThreading(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "chen")
	first := sesID(t)
	e.ok(e.deliver(e.h, mailFrom(addr, "水表漏水", "厨房水表一直在漏水"), first))
	tk := e.view(first)
	ack := outbound(t, tk)
	token := e.h.Signer.ReplyAddress("support@example.com", tk.ID)

	other := unique(t, "stranger")
	tests := []struct {
		name     string
		raw      []byte
		want     bool // threads onto the ticket
		threaded string
	}{
		{"reply to our Message-ID", mailFrom(addr, "Re: ack", "谢谢", "In-Reply-To: <"+ack.SourceID+">"), true, email.ByToken},
		{"reply to the token address", bytes.Replace(mailFrom(addr, "Re: ack", "补充一张照片"), []byte("To: support@example.com"), []byte("To: "+token), 1), true, email.ByToken},
		{"reply quoting the SES Message-ID", mailFrom(addr, "Re: ack", "还在漏", "References: <"+ack.Meta["sesMessageId"]+"@email.amazonses.com>"), true, email.ByReference},
		{"reference in subject from the contact", mailFrom(addr, "关于 "+string(tk.Ref), "有进展吗"), true, email.BySubject},
		{"reference in subject from a stranger", mailFrom(other, "关于 "+string(tk.Ref), "我也要看这个工单"), false, ""},
		{"stranger replying to our Message-ID", mailFrom(other, "Re: ack", "hi", "In-Reply-To: <"+strings.Replace(ack.SourceID, ".t.", ".x.", 1)+">"), false, ""},
		{"forged token", withFrom(mustRead(t, "forged_token.eml"), other), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := sesID(t)
			e.ok(e.deliver(e.h, tt.raw, id))
			got := e.view(id)
			if (got.ID == tk.ID) != tt.want {
				t.Fatalf("mail went to ticket %s, want threaded onto %s: %v", got.Ref, tk.Ref, tt.want)
			}
			if tt.want {
				last := got.Messages[len(got.Messages)-1]
				for _, m := range got.Messages {
					if m.SourceID == id {
						last = m
					}
				}
				if last.Meta["threadedBy"] != tt.threaded {
					t.Errorf("threadedBy = %q, want %q", last.Meta["threadedBy"], tt.threaded)
				}
			}
		})
	}
	if n := e.acks(addr); n != 1 {
		t.Errorf("the customer got %d acknowledgements, want 1", n)
	}
}

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "mailparse", "testdata", "mail", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestDuplicateDeliveries: two Frontdesk instances receive the same
// notification several times at once, and the same mail arrives a second
// time under another SES message ID: one message in all.
func TestDuplicateDeliveries(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "dup")
	raw := mailFrom(addr, "停水", "今天早上开始停水了")
	id := sesID(t)
	e.put(id, raw)
	payload := e.event(id)
	instances := []*email.Handler{e.h, e.handler(mailparse.Limits{})}
	var wg sync.WaitGroup
	resps := make([]events.SQSEventResponse, 6)
	for i := range resps {
		wg.Add(1)
		go func(i int, h *email.Handler) {
			defer wg.Done()
			out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), payload)
			if err == nil {
				err = json.Unmarshal(out, &resps[i])
			}
			if err != nil {
				resps[i].BatchItemFailures = []events.SQSBatchItemFailure{{ItemIdentifier: err.Error()}}
			}
		}(i, instances[i%2])
	}
	wg.Wait()
	for _, r := range resps {
		e.ok(r)
	}
	// The same mail again, as a second SES message (a second recipient).
	again := sesID(t)
	e.ok(e.deliver(instances[1], raw, again))

	tk := e.view(id)
	in := 0
	for _, m := range tk.Messages {
		if m.Direction == ticket.Inbound {
			in++
		}
	}
	if in != 1 {
		t.Errorf("ticket has %d inbound messages, want 1: %+v", in, tk.Messages)
	}
	if got, err := e.store.BySource(context.Background(), ticket.Source{Channel: ticket.Email, ID: again}); err == nil {
		t.Errorf("second SES message made its own source (ticket %s), want it folded into the first", got)
	}
	if n := e.acks(addr); n != 1 {
		t.Errorf("the customer got %d acknowledgements, want 1", n)
	}
}

// TestAutoresponderLoop: an autoresponder that answers every mail, and
// does not mark its answers as automatic, replies to our acknowledgement
// ten times; the loop ends after one round.
func TestAutoresponderLoop(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "bot")
	first := sesID(t)
	e.ok(e.deliver(e.h, mailFrom(addr, "账单疑问", "这个月账单怎么这么多？"), first))
	tk := e.view(first)
	ack := outbound(t, tk)
	for i := 0; i < 10; i++ {
		reply := mailFrom(addr, "Re: "+ack.Subject, "Thank you for your mail. I will read it soon.", "In-Reply-To: <"+ack.SourceID+">")
		if i%2 == 1 {
			// Half of them are at least honest about it.
			reply = mailFrom(addr, "Auto: "+ack.Subject, "Out of office.", "In-Reply-To: <"+ack.SourceID+">", "Auto-Submitted: auto-replied")
		}
		e.ok(e.deliver(e.h, reply, sesID(t)))
	}
	if n := e.acks(addr); n != 1 {
		t.Errorf("SES sent %d acknowledgements to the autoresponder, want 1", n)
	}
	got, err := e.store.View(context.Background(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 12 {
		t.Errorf("ticket has %d messages, want 12 (mail, ack, ten replies)", len(got.Messages))
	}
	auto := 0
	for _, m := range got.Messages {
		if m.Direction == ticket.Inbound && m.Automatic {
			auto++
		}
	}
	if auto != 5 {
		t.Errorf("%d replies kept as automatic, want 5", auto)
	}
}

// TestAcknowledgementsPerSender: a sender writing many new mails gets at
// most five acknowledgements an hour.
func TestAcknowledgementsPerSender(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "busy")
	for i := 0; i < 7; i++ {
		e.ok(e.deliver(e.h, mailFrom(addr, fmt.Sprintf("问题 %d", i), "又一个问题"), sesID(t)))
	}
	if n := e.acks(addr); n != 5 {
		t.Errorf("sender got %d acknowledgements, want 5", n)
	}
}

func TestAutomaticMailNotAcknowledged(t *testing.T) {
	for _, f := range []string{"out_of_office.eml", "mailing_list.eml", "vacation_apple.eml", "vacation_xmailer.eml", "arf_feedback.eml"} {
		t.Run(f, func(t *testing.T) {
			e := newEnv(t)
			addr := unique(t, "auto")
			id := sesID(t)
			// Alarming words in automatic mail must not raise a P1. They
			// go at the start of the first text part.
			raw := withFrom(mustRead(t, f), addr)
			at := bytes.Index(raw, []byte("Content-Type: text/plain"))
			at += bytes.Index(raw[at:], []byte("\r\n\r\n")) + 4
			raw = append(raw[:at:at], append([]byte("燃气泄漏 gas leak fire! "), raw[at:]...)...)
			e.ok(e.deliver(e.h, raw, id))
			tk := e.view(id)
			if !tk.Messages[0].Automatic || tk.Kind != ticket.Other || tk.Priority == ticket.P1 {
				t.Errorf("ticket %s message automatic=%v kind=%s %s, want automatic other, not P1", tk.Ref, tk.Messages[0].Automatic, tk.Kind, tk.Priority)
			}
			if !strings.Contains(tk.Messages[0].Body, "燃气泄漏") {
				t.Errorf("body = %q, want the words kept", tk.Messages[0].Body)
			}
			if n := e.acks(addr); n != 0 {
				t.Errorf("automatic mail got %d acknowledgements, want 0", n)
			}
		})
	}
}

func TestBounceMarksAddressUndeliverable(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "gone")
	first := sesID(t)
	e.ok(e.deliver(e.h, mailFrom(addr, "报修", "路灯坏了"), first))
	tk := e.view(first)
	ack := outbound(t, tk)

	dsn := mustRead(t, "dsn_bounce.eml")
	dsn = bytes.ReplaceAll(dsn, []byte("nobody@example.net"), []byte(addr))
	dsn = bytes.ReplaceAll(dsn, []byte("<ack-0002@example.com>"), []byte("<"+ack.SourceID+">"))
	bounceID := sesID(t)
	e.ok(e.deliver(e.h, dsn, bounceID))

	got := e.view(bounceID)
	if got.ID != tk.ID {
		t.Fatalf("bounce went to ticket %s, want %s", got.Ref, tk.Ref)
	}
	last := got.Messages[len(got.Messages)-1]
	if !last.Automatic || last.Meta["bounce"] != "failed 5.1.1" {
		t.Errorf("bounce message = automatic %v meta %v, want automatic with the status", last.Automatic, last.Meta)
	}
	if got.Status != tk.Status {
		t.Errorf("status = %s, want %s unchanged", got.Status, tk.Status)
	}
	bad, err := e.store.Undeliverable(context.Background(), addr)
	if err != nil || !bad {
		t.Fatalf("Undeliverable(%s) = %v, %v, want true", addr, bad, err)
	}
	// Nothing more is sent to it.
	e.ok(e.deliver(e.h, mailFrom(addr, "新问题", "另一件事"), sesID(t)))
	if n := e.acks(addr); n != 1 {
		t.Errorf("address got %d acknowledgements, want only the one before the bounce", n)
	}
}

func TestPoisonQuarantinedAndReplayed(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "big")
	strict := e.handler(mailparse.Limits{MaxMessage: 2000})
	raw := mailFrom(addr, "大附件", strings.Repeat("很长的邮件。", 300))
	id := sesID(t)
	e.ok(e.deliver(strict, raw, id))
	// A spam verdict FAIL is quarantined too.
	spam := sesID(t)
	e.put(spam, mailFrom(addr, "spam", "buy now"))
	payload := e.eventWith(spam, func(n map[string]any) {
		n["receipt"].(map[string]any)["spamVerdict"] = map[string]any{"status": "FAIL"}
	})
	e.ok(e.invoke(strict, payload))

	q, err := e.store.Quarantined(context.Background(), ticket.Email, false)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, item := range q {
		reasons[item.ID] = item.Reason
	}
	if !strings.Contains(reasons[id], "too large") || !strings.Contains(reasons[spam], "spam verdict FAIL") {
		t.Fatalf("quarantine = %v, want %s too large and %s spam", reasons, id, spam)
	}
	if _, err := e.store.BySource(context.Background(), ticket.Source{Channel: ticket.Email, ID: id}); err == nil {
		t.Fatalf("quarantined mail made a ticket")
	}

	// Fixed: the limit is raised. Replaying twice makes one ticket.
	for i := 0; i < 2; i++ {
		res, err := e.h.Replay(context.Background(), e.store)
		if err != nil {
			t.Fatal(err)
		}
		if want := 2 - 2*i; res.Replayed != want || res.Failed != 0 {
			t.Errorf("replay %d = %+v, want %d replayed", i+1, res, want)
		}
	}
	tk := e.view(id)
	if len(tk.Messages) != 2 || e.view(spam).ID == tk.ID {
		t.Errorf("after replay: %d messages on %s, want the mail and its acknowledgement", len(tk.Messages), tk.Ref)
	}
	if left, _ := e.store.Quarantined(context.Background(), ticket.Email, false); len(left) != 0 {
		t.Errorf("quarantine still lists %d items after replay", len(left))
	}
}

// TestPartialBatchFailure: a record that fails for a passing reason is
// retried alone; its neighbours go through.
func TestPartialBatchFailure(t *testing.T) {
	e := newEnv(t)
	good := sesID(t)
	e.put(good, mailFrom(unique(t, "ok"), "停电", "又停电了"))
	var ev events.SQSEvent
	json.Unmarshal(e.event(good), &ev)
	var bad events.SQSEvent
	json.Unmarshal(e.event(sesID(t)), &bad)
	// The bucket is gone (a passing outage, as far as the handler knows).
	bad.Records[0].Body = strings.ReplaceAll(bad.Records[0].Body, e.bucket, e.bucket+"-missing")
	ev.Records = append(ev.Records, bad.Records[0])
	payload, _ := json.Marshal(ev)
	resp := e.invoke(e.h, payload)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != bad.Records[0].MessageId {
		t.Fatalf("failures = %+v, want only %s", resp.BatchItemFailures, bad.Records[0].MessageId)
	}
	e.view(good)

	// On its fourth receive (the DLQ takes the fifth) it is quarantined
	// with its S3 key instead of retried.
	bad.Records[0].Attributes["ApproximateReceiveCount"] = "4"
	payload, _ = json.Marshal(events.SQSEvent{Records: bad.Records})
	e.ok(e.invoke(e.h, payload))
	q, err := e.store.Quarantined(context.Background(), ticket.Email, false)
	if err != nil || len(q) != 1 || !strings.HasPrefix(q[0].ObjectKey, "s3://"+e.bucket+"-missing/inbound/") || !strings.Contains(q[0].Reason, "NoSuchBucket") {
		t.Errorf("quarantine = %+v, %v, want the failing mail with its key and reason", q, err)
	}
}

// The adapters functions/email wires satisfy the handler's interfaces.
var (
	_ email.Objects     = (*bucket.Store)(nil)
	_ email.Mailer      = (*ses.Mailer)(nil)
	_ email.Tickets     = (*dynamo.Store)(nil)
	_ email.Recorder    = (*dynamo.Store)(nil)
	_ email.Bounces     = (*dynamo.Store)(nil)
	_ email.AckClaims   = (*dynamo.Store)(nil)
	_ email.Aliases     = (*dynamo.Store)(nil)
	_ email.Quarantine  = (*dynamo.Store)(nil)
	_ email.Quarantined = (*dynamo.Store)(nil)
	_ email.Receiver    = (*intake.Service)(nil)
)

// bigMail is a message of about size bytes: a short text and one base64
// attachment making up the rest.
func bigMail(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: Li Lei <li.lei@example.com>\r\nTo: support@example.com\r\nSubject: =?UTF-8?B?5aSn6ZmE5Lu2?=\r\n" +
		"Message-ID: <big@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n现场照片见附件。\r\n" +
		"--b\r\nContent-Type: video/mp4\r\nContent-Disposition: attachment; filename=\"site.mp4\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("frontdesk site video "), 3)[:57])
	for b.Len() < size-100 {
		b.WriteString(line + "\r\n")
	}
	b.WriteString("--b--\r\n")
	return b.Bytes()
}

// TestThirtyMegabyteMail: a 30 MB mail goes from S3 through the handler
// into a ticket, its oversize attachment listed, not stored.
func TestThirtyMegabyteMail(t *testing.T) {
	e := newEnv(t)
	raw := bigMail(30 << 20)
	id := sesID(t)
	e.ok(e.deliver(e.h, raw, id))
	msg := e.view(id).Messages[0]
	if msg.Body != "现场照片见附件。" || len(msg.Attachments) != 1 {
		t.Fatalf("message = %q with %d attachments, want the text and one attachment", msg.Body, len(msg.Attachments))
	}
	if a := msg.Attachments[0]; !a.Skipped || a.Key != "" || a.Size < 20<<20 {
		t.Errorf("attachment = %+v, want a skipped attachment of over 20 MB", a)
	}
}

// TestAcknowledgementAfterCrash: the first delivery made the ticket but
// stopped before acknowledging (modelled by a handler without an
// acknowledger); the redelivery sends the one acknowledgement.
func TestAcknowledgementAfterCrash(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "crash")
	id := sesID(t)
	e.put(id, mailFrom(addr, "燃气表", "燃气表不走字"))
	payload := e.event(id)
	crashed := e.handler(mailparse.Limits{})
	crashed.Ack = nil
	e.ok(e.invoke(crashed, payload))
	if n := e.acks(addr); n != 0 {
		t.Fatalf("acknowledgements before the redelivery = %d, want 0", n)
	}
	e.ok(e.invoke(e.h, payload))
	e.ok(e.invoke(e.h, payload))
	if n := e.acks(addr); n != 1 {
		t.Errorf("acknowledgements after two redeliveries = %d, want 1", n)
	}
}

// report is a delivery report from a mail system about the mail with
// Message-ID original, one recipient block per "address action status".
func report(original string, recipients ...string) []byte {
	var b strings.Builder
	b.WriteString("Return-Path: <>\r\nFrom: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\r\nTo: support@example.com\r\n" +
		"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <" + strings.ToLower(string(ticket.NewID(time.Now()))) + "@mx.example.net>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n" +
		"--r\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n" +
		"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n")
	for _, r := range recipients {
		f := strings.Fields(r)
		fmt.Fprintf(&b, "\r\nFinal-Recipient: rfc822; %s\r\nAction: %s\r\nStatus: %s\r\nDiagnostic-Code: smtp; 550 no such user\r\n", f[0], f[1], f[2])
	}
	b.WriteString("\r\n--r\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@example.com\r\nMessage-ID: <" + original + ">\r\n\r\n--r--\r\n")
	return []byte(b.String())
}

// TestForgedBounces: mail that only looks like a delivery report, or a
// report that is not about mail Frontdesk sent to that address, marks no
// address undeliverable; a real report about our mail does.
func TestForgedBounces(t *testing.T) {
	e := newEnv(t)
	addr, victim := unique(t, "customer"), unique(t, "victim")
	first := sesID(t)
	e.ok(e.deliver(e.h, mailFrom(addr, "报修", "路灯坏了"), first))
	ack := outbound(t, e.view(first)).SourceID

	fields := "Final-Recipient: rfc822; " + addr + "\r\nAction: failed\r\nStatus: 5.1.1\r\n"
	daemon := "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example.net\r\nTo: support@example.com\r\nSubject: Delivery failure\r\nIn-Reply-To: <" + ack + ">\r\nMIME-Version: 1.0\r\n"
	others := make([]string, 10)
	for i := range others {
		others[i] = fmt.Sprintf("other%d@example.org failed 5.1.1", i)
	}
	tests := []struct {
		name string
		raw  []byte
		addr string
	}{
		{"plain-text bounce", []byte(daemon + "Content-Type: text/plain\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n" + fields), addr},
		{"delivery status as the whole message", []byte(daemon + "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n" + fields), addr},
		{"delivery status outside a report", []byte(daemon + "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nfailed\r\n" +
			"--m\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n" + fields + "\r\n--m--\r\n"), addr},
		{"report of another kind", bytes.Replace(report(ack, addr+" failed 5.1.1"), []byte("report-type=delivery-status"), []byte("report-type=disposition-notification"), 1), addr},
		{"report naming another address", report(ack, victim+" failed 5.1.1"), victim},
		{"report about mail Frontdesk did not send", report("someone-else@example.org", addr+" failed 5.1.1"), addr},
		{"too many recipients", report(ack, append(others, addr+" failed 5.1.1")...), addr},
		{"transient failure", report(ack, addr+" delayed 4.4.1", addr+" failed 4.4.7"), addr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.ok(e.deliver(e.h, tt.raw, sesID(t)))
			if bad, err := e.store.Undeliverable(context.Background(), tt.addr); bad || err != nil {
				t.Errorf("Undeliverable(%s) = %v, %v; want false", tt.addr, bad, err)
			}
		})
	}

	// A real report about the acknowledgement still marks the address.
	id := sesID(t)
	e.ok(e.deliver(e.h, report(ack, addr+" failed 5.1.1"), id))
	if bad, err := e.store.Undeliverable(context.Background(), addr); !bad || err != nil {
		t.Fatalf("Undeliverable(%s) after a real report = %v, %v; want true", addr, bad, err)
	}
	for _, m := range e.view(id).Messages {
		if m.SourceID == id && (m.Meta["bounce"] != "failed 5.1.1" || m.Meta["bounceDiagnostic"] != "smtp; 550 no such user") {
			t.Errorf("bounce meta = %v, want the status and the diagnostic", m.Meta)
		}
	}
}

// TestReusedMessageID: a mail that repeats an earlier mail's sender and
// Message-ID with other content is a message of its own on the first
// mail's ticket, noted in the history; its own second copy, and a second
// copy of the first mail, fold into what they repeat.
func TestReusedMessageID(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "reuse")
	first := mailFrom(addr, "水压低", "三楼水压很低")
	midLine := regexp.MustCompile(`Message-ID: <[^>]+>`)
	second := midLine.ReplaceAll(mailFrom(addr, "水压低", "补充：四楼也一样"), midLine.Find(first))
	ids := []string{sesID(t), sesID(t), sesID(t), sesID(t)}
	e.ok(e.deliver(e.h, first, ids[0]))
	e.ok(e.deliver(e.h, second, ids[1]))
	// A second copy of each (another recipient): redeliveries, nothing new.
	e.ok(e.deliver(e.h, second, ids[2]))
	e.ok(e.deliver(e.h, first, ids[3]))

	tk := e.view(ids[0])
	var in []ticket.Message
	for _, m := range tk.Messages {
		if m.Direction == ticket.Inbound {
			in = append(in, m)
		}
	}
	if len(in) != 2 {
		t.Fatalf("ticket has %d inbound messages, want the first mail and the one reusing its Message-ID: %+v", len(in), in)
	}
	var reused ticket.Message
	for _, m := range in {
		if m.SourceID == ids[1] {
			reused = m
		}
	}
	if !strings.Contains(reused.Body, "四楼也一样") || reused.Meta["messageIdReusedBy"] != ids[0] || reused.Meta["threadedBy"] != email.ByReusedID {
		t.Errorf("second mail = %q meta %v, want its own text, on the first mail's ticket, naming the first mail", reused.Body, reused.Meta)
	}
	noted := 0
	for _, ev := range tk.History {
		if ev.Type == email.EventMessageIDReused {
			noted++
			if ev.MessageID != reused.ID || !strings.Contains(ev.Detail, ids[0]) {
				t.Errorf("history event = %+v, want it on message %s naming %s", ev, reused.ID, ids[0])
			}
		}
	}
	if noted != 1 {
		t.Errorf("history has %d %s events, want 1: %+v", noted, email.EventMessageIDReused, tk.History)
	}
	for _, id := range ids[2:] {
		if _, err := e.store.BySource(context.Background(), ticket.Source{Channel: ticket.Email, ID: id}); err == nil {
			t.Errorf("copy %s made a source of its own, want it folded into the mail it repeats", id)
		}
	}
	if n := e.acks(addr); n != 1 {
		t.Errorf("the customer got %d acknowledgements, want 1", n)
	}
}

// TestOwnAddressNotAcknowledged: mail from the address acknowledgements
// come from (its token address included) is kept as automatic and never
// acknowledged.
func TestOwnAddressNotAcknowledged(t *testing.T) {
	e := newEnv(t)
	for _, from := range []string{"Frontdesk <support@example.com>", "SUPPORT@example.com", e.h.Signer.ReplyAddress("support@example.com", ticket.NewID(time.Now()))} {
		t.Run(from, func(t *testing.T) {
			before := e.acks("support")
			id := sesID(t)
			e.ok(e.deliver(e.h, mailFrom(from, "[FD-ABCDEF] 我们已收到您的来信", "您好，我们已收到您的来信。"), id))
			msg := e.view(id).Messages[0]
			if !msg.Automatic || msg.Meta["autoReason"] != email.AutoOwnAddress {
				t.Errorf("message automatic=%v reason %q, want %s", msg.Automatic, msg.Meta["autoReason"], email.AutoOwnAddress)
			}
			if n := e.acks("support") - before; n != 0 {
				t.Errorf("Frontdesk acknowledged its own mail %d times", n)
			}
		})
	}
}

// TestAutoReplySubject: a vacation reply that says what it is only in its
// subject is automatic when it answers our mail; a person's mail with
// the same subject that answers nothing of ours is acknowledged.
func TestAutoReplySubject(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "away")
	first := sesID(t)
	e.ok(e.deliver(e.h, mailFrom(addr, "路灯", "路灯不亮"), first))
	ack := outbound(t, e.view(first))
	for _, ref := range []string{"<" + ack.SourceID + ">", "<" + ack.Meta["sesMessageId"] + "@email.amazonses.com>"} {
		raw := withFrom(mustRead(t, "autoreply_subject.eml"), addr)
		raw = bytes.ReplaceAll(raw, []byte("<fixedid.t.01kaqzq7n3m0000000000000ab.abcdefghijklmnopqrst@example.com>"), []byte(ref))
		raw = bytes.Replace(raw, []byte("<autoreply.20261124112000.77@corp.example.cn>"), []byte("<"+sesID(t)+"@corp.example.cn>"), 1)
		id := sesID(t)
		e.ok(e.deliver(e.h, raw, id))
		for _, m := range e.view(id).Messages {
			if m.SourceID == id && (!m.Automatic || m.Meta["autoReason"] != email.AutoReplySubject) {
				t.Errorf("answer to %s: automatic=%v reason %q, want %s", ref, m.Automatic, m.Meta["autoReason"], email.AutoReplySubject)
			}
		}
	}
	if n := e.acks(addr); n != 1 {
		t.Errorf("the autoresponder got %d acknowledgements, want only the first mail's", n)
	}
	person := unique(t, "person")
	id := sesID(t)
	e.ok(e.deliver(e.h, mailFrom(person, "Automatic reply: my meter", "The automatic meter reading is wrong."), id))
	if m := e.view(id).Messages[0]; m.Automatic {
		t.Errorf("a new mail with an autoresponder's subject was taken as automatic (%q)", m.Meta["autoReason"])
	}
	if n := e.acks(person); n != 1 {
		t.Errorf("the person got %d acknowledgements, want 1", n)
	}
}

// TestBinaryBodyKeptAsAttachment: a body that is binary data is stored as
// an attachment, and the message says so.
func TestBinaryBodyKeptAsAttachment(t *testing.T) {
	e := newEnv(t)
	id := sesID(t)
	e.ok(e.deliver(e.h, withFrom(mustRead(t, "binary_body.eml"), unique(t, "mms")), id))
	msg := e.view(id).Messages[0]
	if len(msg.Attachments) != 1 || msg.Attachments[0].Name != "body.png" || msg.Attachments[0].Key == "" {
		t.Fatalf("attachments = %+v, want the body stored as body.png", msg.Attachments)
	}
	if !strings.Contains(msg.Meta["notes"], "binary data (image/png)") || !strings.Contains(msg.Body, "body.png") {
		t.Errorf("message = %q notes %q, want it to say the body was kept as an attachment", msg.Body, msg.Meta["notes"])
	}
	b, err := e.object(msg.Attachments[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("stored attachment starts % x, want a PNG", b[:min(8, len(b))])
	}
}
