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
	"github.com/frontdesk/frontdesk/shared/outbound"
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
	signer := email.Signer{Keys: [][]byte{[]byte("test key")}}
	return &email.Handler{
		Objects: bucket.New(e.s3), Intake: svc, Tickets: e.store, Recorder: e.store, Bounces: e.store,
		Aliases: e.store, Quarantine: e.store, Signer: signer, From: "Frontdesk <support@example.com>", Zone: shanghai,
		Outbound: &outbound.Service{
			Store: e.store, Mail: &outbound.SESMailer{Raw: ses.New(awslocal.SES(e.ses))},
			From: "Frontdesk <support@example.com>", Signer: signer,
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

// sentMessage returns the acknowledgement recorded on t.
func sentMessage(tb testing.TB, t *ticket.Ticket) ticket.Message {
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

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "mailparse", "testdata", "mail", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

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
