package email

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Notification is what SES publishes for a mail its receipt rule stored in
// S3: the mail's headers and the receipt, verdicts and S3 action included.
type Notification struct {
	NotificationType string `json:"notificationType"`
	events.SimpleEmailService
	// Content is only set by SNS actions; Frontdesk's rule uses S3.
	Content string `json:"content,omitempty"`
}

func objectURL(n *Notification) string {
	if n.Receipt.Action.BucketName == "" {
		return ""
	}
	return "s3://" + n.Receipt.Action.BucketName + "/" + n.Receipt.Action.ObjectKey
}

// maxNotification bounds a notification body (SNS stops at 256 KiB).
const maxNotification = 256 << 10

// DecodeNotification reads an SQS body: the SNS envelope around the SES
// notification, or the bare notification when the subscription delivers
// raw messages. It returns nil for SES's set-up notification.
func DecodeNotification(body []byte) (*Notification, error) {
	if len(body) > maxNotification {
		return nil, fmt.Errorf("decode notification: %d bytes, over %d", len(body), maxNotification)
	}
	var env events.SNSEntity
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("decode notification: %w", err)
	}
	msg := body
	if env.Type != "" || env.Message != "" {
		msg = []byte(env.Message)
	}
	var n Notification
	if err := json.Unmarshal(msg, &n); err != nil {
		return nil, fmt.Errorf("decode SES notification: %w", err)
	}
	switch {
	case n.NotificationType == "AMAZON_SES_SETUP_NOTIFICATION":
		return nil, nil
	case n.NotificationType != "Received":
		return nil, fmt.Errorf("decode SES notification: type %q, want Received", n.NotificationType)
	case n.Mail.MessageID == "" || strings.ContainsAny(n.Mail.MessageID, "/#\\") || len(n.Mail.MessageID) > 200:
		return nil, fmt.Errorf("decode SES notification: bad message ID %q", n.Mail.MessageID)
	case !strings.EqualFold(n.Receipt.Action.Type, "S3") || n.Receipt.Action.BucketName == "" || n.Receipt.Action.ObjectKey == "":
		return nil, fmt.Errorf("decode SES notification: action %q has no S3 object", n.Receipt.Action.Type)
	}
	return &n, nil
}
