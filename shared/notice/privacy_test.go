package notice_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"golang.org/x/text/unicode/norm"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/bucket"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/logs"
	"github.com/frontdesk/frontdesk/shared/notice"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ses"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/webform"
)

// The customer of the privacy run: a number and an address whose every
// part is distinctive, so any trace of them in a notice or a log line is
// found.
const (
	privPhone     = "+8613957246810"
	privLocal     = "zhaoxiaoqiang"
	privDomain    = "qiyemail"
	privAddress   = privLocal + "@" + privDomain + ".cn"
	privNational  = "13957246810"
	privMinDigits = 4
)

// privBypasses write the customer's number and address into the text in
// every way that once got past masking.
var privBypasses = []string{
	"请回电 1\u200b3\u200b9\u200b5\u200b7\u200b2\u200b4\u200b6\u200b8\u200b1\u200b0",
	"电话一三九五七二四六八一零，燃气泄漏",
	"电话①③⑨⑤⑦②④⑥⑧①⓪",
	"call ¹³⁹⁵⁷²⁴⁶⁸¹⁰ about my bill",
	"电话：１３９５７２４６８１０",
	"mail " + privLocal + " @ " + privDomain + " . cn",
	"mail " + privLocal + "＠" + privDomain + "．cn",
	"write to " + privLocal + " at " + privDomain + " dot cn",
	`mail "` + privLocal + `"@` + privDomain + `.cn please`,
	"请打 139 5724 6810 或发邮件 " + privAddress,
	"139-5724-6810 / +86 139 5724 6810 / 1395 724 6810",
}

// chineseDigits maps the digits a customer may spell out.
var chineseDigits = strings.NewReplacer("零", "0", "〇", "0", "一", "1", "二", "2", "三", "3", "四", "4", "五", "5",
	"六", "6", "七", "7", "八", "8", "九", "9", "幺", "1")

// normalized folds what a reader would read as the same: compatibility
// forms (full-width, circled, superscript digits), spelled-out Chinese
// digits, case; then keeps only letters and digits, so separators of any
// kind (zero-width ones too) cannot hide a number or an address.
func normalized(s string) string {
	s = chineseDigits.Replace(strings.ToLower(norm.NFKC.String(s)))
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// leaks says what of the customer's number or address s carries: any run
// of privMinDigits digits of the number, or any part of the address.
func leaks(s string) []string {
	n := normalized(s)
	var out []string
	for i := 0; i+privMinDigits <= len(privNational); i++ {
		if run := privNational[i : i+privMinDigits]; strings.Contains(n, run) {
			out = append(out, "digits "+run)
		}
	}
	for _, part := range []string{privLocal, privDomain} {
		if strings.Contains(n, part) {
			out = append(out, "address part "+part)
		}
	}
	return out
}

var (
	ulid    = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)
	instant = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)
)

// noticeIDs are the notice fields Frontdesk fills with IDs, times and
// links, each with the shape it must have. They are checked for that shape
// and for address parts, not for digit runs: a ULID can hold four digits
// in a row by chance.
var noticeIDs = map[string]*regexp.Regexp{
	"id": ulid, "ticketId": ulid, "at": instant, "createdAt": instant, "ackBy": instant, "resolveBy": instant,
	"link": regexp.MustCompile(`^https://console\.example\.com/tickets/FD-[2-9A-HJKMNP-TV-Z]{6}$`),
}

// logIDs are the log fields that hold times and IDs made by Frontdesk or a
// provider (SES's message IDs, SQS's, the stream's sequence numbers).
var logIDs = map[string]*regexp.Regexp{
	"time": instant, "providerId": nil, "sesMessageId": nil, "sqsMessageId": nil, "messageId": nil, "noticeId": ulid,
	"eventID": nil, "sequenceNumber": nil,
}

// checkJSON fails when the JSON object carries any part of the customer's
// number or address. Fields in ids must have their shape (when one is
// given) and are looked at for address parts only.
func checkJSON(tb testing.TB, what, doc string, ids map[string]*regexp.Regexp) {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		tb.Errorf("%s is not a JSON object: %v: %s", what, err, doc)
		return
	}
	for k, v := range m {
		b, _ := json.Marshal(v)
		text := k + " " + string(b)
		re, isID := ids[k]
		if isID && re != nil {
			if s, _ := v.(string); !re.MatchString(s) {
				tb.Errorf("%s field %s = %s, want the shape %s", what, k, b, re)
			}
		}
		for _, l := range leaks(text) {
			if isID && strings.HasPrefix(l, "digits") {
				continue
			}
			tb.Errorf("%s carries the customer's %s in %s: %s", what, l, k, doc)
		}
	}
}

// TestNoCustomerTextReachesNotices feeds every masking bypass through
// every channel — SMS through the queue handler, the web form through API
// Gateway's payload, mail through S3 and the queue handler — into DynamoDB
// Local; the stream drives the real notifier, which publishes to the SNS
// emulator, and a queue subscribed to the topic receives every notice. No
// notice, and no line any handler logged, carries a run of the customer's
// digits or a part of the address.
func TestNoCustomerTextReachesNotices(t *testing.T) {
	var logBuf bytes.Buffer
	// As the functions log: JSON through the shared logs package.
	logger := logs.New(&lockedWriter{w: &logBuf}, "privacy-run", "")
	prev := slog.Default()
	slog.SetDefault(logger)
	t.Cleanup(func() { slog.SetDefault(prev) })

	fauxqs := testenv.Endpoint(t, testenv.EnvFauxqs)
	r := newRig(t, fauxqs, nil)
	r.handler.Log = logger
	all := r.subscribe(t, "")
	r.start(t)
	ctx := context.Background()

	// The handlers, wired as their functions wire them.
	texts := &smsSink{}
	smsSvc := sms.New(r.store, r.svc, sms.MustDefaultKeywords(), texts, "CN")
	smsHandler := lambda.NewHandler((&sms.QueueHandler{Service: smsSvc}).Handle)
	form := webform.New(r.svc, webform.Config{Calendar: r.svc.Rules.Calendar, Region: "CN", PerIP: 1000, Global: 1000, Finder: r.store, Deadline: 30 * time.Second})
	formHandler := lambda.NewHandler(httpadapter.NewV2(form).ProxyWithContext)
	s3c := awslocal.S3(fauxqs)
	mailBucket := unique("mail")
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &mailBucket}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	mailSigner := email.Signer{Keys: [][]byte{[]byte("privacy test key")}}
	mailHandler := lambda.NewHandler((&email.Handler{
		Objects: bucket.New(s3c), Intake: r.svc, Tickets: r.store, Recorder: r.store, Bounces: r.store,
		Aliases: r.store, Quarantine: r.store, Signer: mailSigner, From: "Frontdesk <support@example.com>", Zone: shanghai,
		Outbound: &outbound.Service{
			Store: r.store, Mail: &outbound.SESMailer{Raw: ses.New(awslocal.SES(testenv.Endpoint(t, testenv.EnvSES)))},
			From: "Frontdesk <support@example.com>", Signer: mailSigner,
		},
		AttachmentPrefix: "attachments/",
	}).Handle)

	invoke := func(h lambda.Handler, payload []byte) []byte {
		t.Helper()
		out, err := h.Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		return out
	}
	for i, text := range privBypasses {
		// SMS: End User Messaging's payload in SNS's envelope in an SQS
		// message, as the queue delivers it.
		out := invoke(smsHandler, smsEvent(t, fmt.Sprintf("priv-sms-%d", i), text))
		var sqsResp events.SQSEventResponse
		if err := json.Unmarshal(out, &sqsResp); err != nil || len(sqsResp.BatchItemFailures) != 0 {
			t.Fatalf("sms %d: response %s (%v)", i, out, err)
		}

		// The web form's JSON post, as API Gateway hands it over.
		out = invoke(formHandler, formEvent(t, fmt.Sprintf("priv-form-%d", i), text))
		var httpResp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &httpResp); err != nil || httpResp.StatusCode != 201 {
			t.Fatalf("web form %d: response %s (%v)", i, out, err)
		}

		// Mail: SES stores it in the bucket and notifies through SNS and
		// SQS; the text goes in the subject and the body.
		// Letters only: a digit run in an ID must not pass for a leak.
		sesID := "privmail" + strings.Repeat(string(rune('a'+i)), 8)
		raw := "From: =?UTF-8?B?6LW15bCP5by6?= <" + privAddress + ">\r\nTo: support@example.com\r\n" +
			"Subject: " + mime.BEncoding.Encode("UTF-8", text) + "\r\nDate: Mon, 23 Nov 2026 10:00:00 +0800\r\n" +
			"Message-ID: <" + sesID + "@" + privDomain + ".cn>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
			text + "\r\n\r\n" + text + "\r\n"
		if err := bucket.New(s3c).Put(ctx, mailBucket, "inbound/"+sesID, "message/rfc822", []byte(raw)); err != nil {
			t.Fatalf("put mail: %v", err)
		}
		out = invoke(mailHandler, mailEvent(t, mailBucket, sesID))
		sqsResp = events.SQSEventResponse{}
		if err := json.Unmarshal(out, &sqsResp); err != nil || len(sqsResp.BatchItemFailures) != 0 {
			t.Fatalf("mail %d: response %s (%v)", i, out, err)
		}
	}

	// Every notice is in the queue once the marker's has arrived.
	mark := r.marker(t)
	got := until(t, r.sqs, all, mark, 2*time.Minute)
	perChannel := map[string]int{}
	for _, n := range got {
		perChannel[n.Attrs[notice.AttrChannel]]++
		checkJSON(t, "notice", n.Body, noticeIDs)
		attrs, _ := json.Marshal(n.Attrs)
		checkJSON(t, "notice attributes", string(attrs), nil)
	}
	// Each contact makes at least one notice (created, or message_added
	// where it joined an open ticket: a text threads onto the number's
	// open ticket, whichever channel opened it).
	if len(got) < 3*len(privBypasses) {
		t.Errorf("%d notices, want at least %d (one per contact)", len(got), 3*len(privBypasses))
	}
	for _, ch := range []ticket.Channel{ticket.SMS, ticket.Web, ticket.Email} {
		if perChannel[string(ch)] == 0 {
			t.Errorf("no notice for a %s ticket: %v", ch, perChannel)
		}
	}
	if len(texts.sent) == 0 {
		t.Error("no SMS acknowledgement was sent: the SMS path did not run through")
	}

	// The log of the whole run: handlers, intake, notifier.
	lines := strings.Split(strings.TrimSpace(logBuf.String()), "\n")
	if len(lines) < 3*len(privBypasses) {
		t.Errorf("%d log lines, want at least one per contact: slog was not captured", len(lines))
	}
	for i, line := range lines {
		checkJSON(t, fmt.Sprintf("log line %d", i+1), line, logIDs)
	}
}

// smsSink stands in for SNS text delivery (fauxqs has none).
type smsSink struct{ sent []string }

func (s *smsSink) Send(_ context.Context, _, body string) (string, error) {
	s.sent = append(s.sent, body)
	return "priv-ack-" + strconv.Itoa(len(s.sent)), nil
}

// lockedWriter lets handlers log from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func smsEvent(tb testing.TB, id, text string) []byte {
	tb.Helper()
	msg, err := json.Marshal(sms.Inbound{OriginationNumber: privPhone, DestinationNumber: "+8610690000", MessageBody: text, InboundMessageID: id})
	if err != nil {
		tb.Fatal(err)
	}
	env, err := json.Marshal(events.SNSEntity{Type: "Notification", MessageID: "sns-" + id, TopicArn: "arn:aws:sns:us-east-1:000000000000:inbound", Message: string(msg), Timestamp: time.Now().UTC()})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "sqs-" + id, Body: string(env), EventSource: "aws:sqs"}}})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func formEvent(tb testing.TB, key, text string) []byte {
	tb.Helper()
	var ev map[string]any
	if err := json.Unmarshal(readFixture(tb, "apigw-post-contacts.json"), &ev); err != nil {
		tb.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"name": "赵小强", "phone": "139 5724 6810", "email": privAddress, "message": text, "consent": true})
	ev["body"] = string(body)
	h := ev["headers"].(map[string]any)
	h["content-length"] = strconv.Itoa(len(body))
	h["idempotency-key"] = key
	b, _ := json.Marshal(ev)
	return b
}

// mailEvent is SES's receipt notification for the mail at inbound/<sesID>
// in bucketName, in SNS's envelope in an SQS message.
func mailEvent(tb testing.TB, bucketName, sesID string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "sqs-ses-s3.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		tb.Fatal(err)
	}
	rec := &ev.Records[0]
	var env events.SNSEntity
	if err := json.Unmarshal([]byte(rec.Body), &env); err != nil {
		tb.Fatal(err)
	}
	var n map[string]any
	if err := json.Unmarshal([]byte(env.Message), &n); err != nil {
		tb.Fatal(err)
	}
	m := n["mail"].(map[string]any)
	m["messageId"] = sesID
	m["timestamp"] = time.Now().UTC().Format(time.RFC3339Nano)
	m["source"] = privAddress
	ch := m["commonHeaders"].(map[string]any)
	ch["returnPath"] = privAddress
	ch["from"] = []string{"赵小强 <" + privAddress + ">"}
	act := n["receipt"].(map[string]any)["action"].(map[string]any)
	act["bucketName"] = bucketName
	act["objectKey"] = "inbound/" + sesID
	b, _ := json.Marshal(n)
	env.Message = string(b)
	body, _ := json.Marshal(env)
	rec.Body = string(body)
	rec.MessageId = "sqs-" + sesID
	out, _ := json.Marshal(ev)
	return out
}
