package email

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// FuzzDecodeNotification: the SQS body is outside input too. Whatever it
// accepts is a Received notification naming a stored object and a
// Message-ID fit for a key, and reads the same whether SNS wrapped it in
// its envelope or delivered it raw.
func FuzzDecodeNotification(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "events", "sqs-ses-s3.json"))
	if err != nil {
		f.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(b, &ev); err != nil || len(ev.Records) == 0 {
		f.Fatalf("read SQS event fixture: %v", err)
	}
	body := []byte(ev.Records[0].Body)
	// The seeds must reach the accepting path, or the target proves
	// nothing about it.
	if n, err := DecodeNotification(body); err != nil || n == nil {
		f.Fatalf("DecodeNotification(fixture) = %v, %v; want the notification", n, err)
	}
	var env events.SNSEntity
	json.Unmarshal(body, &env)
	f.Add(body)
	f.Add([]byte(env.Message))
	f.Add([]byte(`{"Type":"Notification","Message":"{\"notificationType\":\"AMAZON_SES_SETUP_NOTIFICATION\"}"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := DecodeNotification(body)
		if err != nil || n == nil {
			return
		}
		a := n.Receipt.Action
		if n.NotificationType != "Received" || n.Mail.MessageID == "" || strings.ContainsAny(n.Mail.MessageID, "/#\\") ||
			!strings.EqualFold(a.Type, "S3") || a.BucketName == "" || a.ObjectKey == "" {
			t.Fatalf("DecodeNotification accepted %+v", n)
		}
		raw, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeNotification(raw)
		if err != nil || again == nil || !reflect.DeepEqual(again.Receipt.Action, a) || again.Mail.MessageID != n.Mail.MessageID {
			t.Fatalf("DecodeNotification(re-encoded) = %+v, %v; want %+v", again, err, n)
		}
	})
}
