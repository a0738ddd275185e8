package main

import (
	"context"
	"encoding/json"
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

	for k, v := range map[string]string{
		"TABLE_NAME": store.Table(), "DEFAULT_PHONE_REGION": "CN", "MAIL_FROM": "Frontdesk <support@example.com>",
		"BUSINESS_TIME_ZONE": "Asia/Shanghai", "REPLY_TOKEN_KEYS": "a test key of some length",
		"AWS_ENDPOINT_URL_DYNAMODB": testenv.Endpoint(t, testenv.EnvDynamoDB), "AWS_ENDPOINT_URL_S3": fx,
		"AWS_ENDPOINT_URL_SESV2": ses, "AWS_REGION": awslocal.Region,
		"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_PROFILE": "", "AWS_CONFIG_FILE": "/dev/null",
	} {
		t.Setenv(k, v)
	}
	for i := 0; i < 2; i++ {
		if err := run(ctx, "email"); err != nil {
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
	if left, _ := store.Quarantined(ctx, ticket.Email, false); len(left) != 0 {
		t.Errorf("quarantine still lists %d items", len(left))
	}
	if err := run(ctx, "sms"); err == nil {
		t.Errorf("run(sms) = nil, want an error: only email replays here")
	}
}
