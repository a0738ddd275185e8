package email

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeNotification: the SQS body is outside input too.
func FuzzDecodeNotification(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "events", "sqs-ses-s3.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"Type":"Notification","Message":"{\"notificationType\":\"AMAZON_SES_SETUP_NOTIFICATION\"}"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := DecodeNotification(body)
		if err == nil && n != nil && (n.Mail.MessageID == "" || n.Receipt.Action.BucketName == "") {
			t.Fatalf("DecodeNotification accepted a notification without a message or object: %+v", n)
		}
	})
}
