package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/bucket"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// TestReplay: the command, configured as the function is, replays a
// quarantined mail into a ticket, once.
func TestReplay(t *testing.T) {
	ctx := context.Background()
	store, _ := testenv.Table(t)
	fx, ses := testenv.Endpoint(t, testenv.EnvFauxqs), testenv.Endpoint(t, testenv.EnvSES)
	name := "r-" + strings.ToLower(string(ticket.NewID(time.Now())))
	if _, err := awslocal.S3(fx).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatal(err)
	}
	id := strings.ToLower(string(ticket.NewID(time.Now())))
	raw := "From: Zhou <zhou." + id + "@example.com>\r\nTo: support@example.com\r\nSubject: 停水\r\nMessage-ID: <" + id + "@example.com>\r\n\r\n家里停水了\r\n"
	if err := bucket.New(awslocal.S3(fx)).Put(ctx, name, "inbound/"+id, "message/rfc822", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	var n email.Notification
	n.NotificationType = "Received"
	n.Mail.MessageID = id
	n.Mail.Timestamp = time.Now().UTC()
	n.Receipt.Action = events.SimpleEmailReceiptAction{Type: "S3", BucketName: name, ObjectKey: "inbound/" + id}
	payload, _ := json.Marshal(n)
	if err := store.Quarantine(ctx, ticket.Quarantined{Channel: ticket.Email, ID: id, Reason: "test", Payload: payload}); err != nil {
		t.Fatal(err)
	}

	// The function's own rules file: water cuts go to a desk of its own.
	rules := filepath.Join(t.TempDir(), "rules.json")
	if err := os.WriteFile(rules, bytes.ReplaceAll(ticket.DefaultRules(), []byte(`"emergency-desk"`), []byte(`"water-desk"`)), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"TABLE_NAME": store.Table(), "DEFAULT_PHONE_REGION": "CN", "MAIL_FROM": "Frontdesk <support@example.com>",
		"BUSINESS_TIME_ZONE": "Asia/Shanghai", "REPLY_TOKEN_KEYS": "a test key of some length", "RULES_FILE": rules,
		"AWS_ENDPOINT_URL_DYNAMODB": testenv.Endpoint(t, testenv.EnvDynamoDB), "AWS_ENDPOINT_URL_S3": fx,
		"AWS_ENDPOINT_URL_SESV2": ses, "AWS_REGION": awslocal.Region,
		"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_PROFILE": "", "AWS_CONFIG_FILE": "/dev/null",
	} {
		t.Setenv(k, v)
	}
	for i := 0; i < 2; i++ {
		if err := run(ctx, options{channel: ticket.Email}, os.Getenv); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	tid, err := store.BySource(ctx, ticket.Source{Channel: ticket.Email, ID: id})
	if err != nil {
		t.Fatalf("replayed mail made no ticket: %v", err)
	}
	tk, err := store.View(ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Messages[0].Body != "家里停水了" || len(tk.Messages) != 2 {
		t.Errorf("ticket messages = %+v, want the mail and its acknowledgement", tk.Messages)
	}
	if tk.Owner != "water-desk" {
		t.Errorf("ticket owner = %q, want water-desk from RULES_FILE", tk.Owner)
	}
	if left, _ := store.Quarantined(ctx, ticket.Email, false); len(left) != 0 {
		t.Errorf("quarantine still lists %d items", len(left))
	}
	if err := run(ctx, options{channel: "fax"}, os.Getenv); err == nil {
		t.Errorf("run(fax) = nil, want an error: only email and sms replay")
	}
}

// TestReplayConfiguration: the command reads what the email function
// reads, and refuses to run without it.
func TestReplayConfiguration(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"nothing set", nil, []string{"TABLE_NAME", "MAIL_FROM", "REPLY_TOKEN_KEYS", "BUSINESS_TIME_ZONE", "DEFAULT_PHONE_REGION"}},
		{"empty values", map[string]string{"TABLE_NAME": " ", "MAIL_FROM": "", "REPLY_TOKEN_KEYS": "", "BUSINESS_TIME_ZONE": "", "DEFAULT_PHONE_REGION": ""},
			[]string{"TABLE_NAME: is not set", "MAIL_FROM: is not set", "REPLY_TOKEN_KEYS: is not set"}},
		{"malformed values", map[string]string{
			"TABLE_NAME": "t", "MAIL_FROM": "not a mailbox", "REPLY_TOKEN_KEYS": "short", "BUSINESS_TIME_ZONE": "Asia/Shanghai",
			"DEFAULT_PHONE_REGION": "CN", "ACK_MAX_PER_HOUR": "lots", "CUSTOMER_DIRECTORY": "maybe", "RULES_FILE": "/nonexistent/rules.json",
		}, []string{"MAIL_FROM", "REPLY_TOKEN_KEYS", "ACK_MAX_PER_HOUR", "CUSTOMER_DIRECTORY", "RULES_FILE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), options{channel: ticket.Email}, func(k string) string { return tt.env[k] })
			if err == nil {
				t.Fatal("run() = nil, want a configuration error")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("run() error = %q, want it to name %s", err, want)
				}
			}
		})
	}
	c, err := loadConfig(func(k string) string {
		return map[string]string{
			"TABLE_NAME": "t", "MAIL_FROM": "Frontdesk <support@example.com>", "REPLY_TOKEN_KEYS": "0123456789abcdef",
			"BUSINESS_TIME_ZONE": "Asia/Shanghai", "DEFAULT_PHONE_REGION": "CN", "ACK_MAX_PER_HOUR": "2",
			"CUSTOMER_DIRECTORY": "off", "SES_CONFIGURATION_SET": "frontdesk", "ATTACHMENT_PREFIX": "att/",
			"MAIL_MAX_ATTACHMENT_BYTES": "1000",
		}[k]
	})
	if err != nil || c.AckMaxPerHour != 2 || c.Directory || c.ConfigurationSet != "frontdesk" || c.AttachmentPrefix != "att/" || c.Limits.MaxAttachment != 1000 {
		t.Errorf("loadConfig() = %+v, %v; want the function's settings as given", c, err)
	}
}

// TestReplaySMS: the command, configured as the SMS function is, lists
// what it would replay without touching it (-n), then replays the text
// whose cause is gone into a ticket, once, and leaves the one that still
// fails in quarantine.
func TestReplaySMS(t *testing.T) {
	ctx := context.Background()
	store, _ := testenv.Table(t)
	const phone = "+8613700137000"
	at := time.Now().UTC().Add(-time.Hour)
	// The number opted out earlier, so the replay sends nothing (the SNS
	// emulator cannot text a phone).
	if _, err := store.SetOptOut(ctx, phone, true, at.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	id := "sms-" + strings.ToLower(string(ticket.NewID(time.Now())))
	body, _ := json.Marshal(map[string]string{
		"originationNumber": phone, "destinationNumber": "+8610690000", "messageKeyword": "",
		"messageBody": "小区停水了，什么时候恢复？", "inboundMessageId": id, "previousPublishedMessageId": "",
	})
	envelope, _ := json.Marshal(events.SNSEntity{Type: "Notification", MessageID: "sns-" + id, Message: string(body), Timestamp: at})
	for _, q := range []ticket.Quarantined{
		{Channel: ticket.SMS, ID: id, Source: "eum:" + id, Reason: "table unavailable", At: at, Payload: envelope},
		{Channel: ticket.SMS, ID: "bad-" + id, Reason: "malformed: sqs body is not JSON", At: at, Payload: []byte("{not json")},
	} {
		if err := store.Quarantine(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range map[string]string{
		"TABLE_NAME": store.Table(), "DEFAULT_PHONE_REGION": "CN", "BUSINESS_TIME_ZONE": "Asia/Shanghai", "CUSTOMER_DIRECTORY": "off",
		"AWS_ENDPOINT_URL_DYNAMODB": testenv.Endpoint(t, testenv.EnvDynamoDB), "AWS_ENDPOINT_URL_SNS": testenv.Endpoint(t, testenv.EnvFauxqs),
		"AWS_REGION": awslocal.Region, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_PROFILE": "", "AWS_CONFIG_FILE": "/dev/null",
	} {
		t.Setenv(k, v)
	}

	var out bytes.Buffer
	if err := run(ctx, options{channel: ticket.SMS, dryRun: true, out: &out}, os.Getenv); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	listed := out.String()
	if !strings.Contains(listed, id+"\t") || !strings.Contains(listed, "bad-"+id) || !strings.Contains(listed, "would replay 2 sms deliveries") {
		t.Errorf("dry run listed\n%s\nwant both deliveries and their count", listed)
	}
	if strings.Contains(listed, "13700137000") || strings.Contains(listed, "停水") {
		t.Errorf("dry run shows the payload:\n%s", listed)
	}
	if _, err := store.BySource(ctx, ticket.Source{Channel: ticket.SMS, ID: id}); err == nil {
		t.Fatal("the dry run made a ticket")
	}

	for i := 0; i < 2; i++ {
		out.Reset()
		if err := run(ctx, options{channel: ticket.SMS, out: &out}, os.Getenv); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		want := map[int]string{0: "replayed 1, still failing 1", 1: "replayed 0, still failing 1"}[i]
		if !strings.Contains(out.String(), want) {
			t.Errorf("run %d said %q, want %q", i+1, out.String(), want)
		}
	}
	tid, err := store.BySource(ctx, ticket.Source{Channel: ticket.SMS, ID: id})
	if err != nil {
		t.Fatalf("replayed text made no ticket: %v", err)
	}
	tk, err := store.View(ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	if len(tk.Messages) != 1 || tk.Messages[0].Body != "小区停水了，什么时候恢复？" || !tk.Messages[0].At.Equal(at) {
		t.Errorf("ticket messages = %+v, want the text once, dated when it arrived", tk.Messages)
	}
	left, err := store.Quarantined(ctx, ticket.SMS, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].ID != "bad-"+id {
		t.Errorf("quarantine still lists %+v, want only the malformed delivery", left)
	}
}

// TestReplaySMSConfiguration: the SMS replay reads what the SMS function
// reads, and refuses to run without it.
func TestReplaySMSConfiguration(t *testing.T) {
	err := run(context.Background(), options{channel: ticket.SMS, dryRun: true}, func(k string) string {
		return map[string]string{"SMS_THREAD_WINDOW": "a week", "CUSTOMER_DIRECTORY": "maybe"}[k]
	})
	if err == nil {
		t.Fatal("run() = nil, want a configuration error")
	}
	for _, want := range []string{"TABLE_NAME", "DEFAULT_PHONE_REGION", "BUSINESS_TIME_ZONE", "SMS_THREAD_WINDOW", "CUSTOMER_DIRECTORY"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("run() error = %q, want it to name %s", err, want)
		}
	}
}
