package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/frontdesk/frontdesk/shared/bucket"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Logical IDs in template.yaml the local mail routes use.
const (
	mailBucketID   = "MailBucket"
	mailTopicID    = "MailTopic"
	mailFunctionID = "EmailFunction"
	// localRecipient is where local mail is addressed.
	localRecipient = "support@frontdesk.local"
)

// email serves the local-only mail routes: POST /_local/email plays SES's
// receipt rule (store the raw mail in the template's bucket, publish the
// notification to its topic; the template's queue and the email function
// take it from there), and the quarantine routes work through the handler
// the email function's own wiring builds.
func (st *stack) email(ctx context.Context) error {
	bucketName, err := st.dep.res.Name(mailBucketID)
	if err != nil {
		return err
	}
	topic, ok := st.dep.res.Known[mailTopicID]
	if !ok {
		return fmt.Errorf("template.yaml has no %s", mailTopicID)
	}
	s3c, snsc := st.dep.s3, st.dep.sns
	handler := func(ctx context.Context) (*email.Handler, error) {
		vars := st.dep.envs[mailFunctionID]
		return email.HandlerFromEnv(ctx, func(k string) string { return vars[k] })
	}
	st.mux.HandleFunc("POST /_local/email", func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, email.DefaultMaxMessage))
		if err != nil {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": err.Error()})
			return
		}
		id, err := receiveLocalMail(r.Context(), s3c, snsc, bucketName, topic, raw)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]string{"sesMessageId": id, "objectKey": "inbound/" + id})
	})
	st.mux.HandleFunc("POST /_local/email/replay", func(w http.ResponseWriter, r *http.Request) {
		h, err := handler(r.Context())
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		res, err := h.Replay(r.Context(), st.store)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
	st.mux.HandleFunc("GET /_local/email/quarantine", func(w http.ResponseWriter, r *http.Request) {
		list, err := st.store.Quarantined(r.Context(), ticket.Email, true)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		for i := range list {
			list[i].Payload = nil
		}
		writeJSON(w, http.StatusOK, list)
	})
	st.urls = append(st.urls,
		"Send a mail (raw .eml)  curl --data-binary @mail.eml "+st.url("/_local/email"),
		"Email quarantine      "+st.url("/_local/email/quarantine")+"  (replay: POST "+st.url("/_local/email/replay")+")",
	)
	return nil
}

// receiveLocalMail does what SES's receipt rule does: store the mail
// under inbound/ and publish the S3 action's notification.
func receiveLocalMail(ctx context.Context, s3c *s3.Client, snsc *sns.Client, bucketName, topicARN string, raw []byte) (string, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("not a mail message: %w", err)
	}
	id := strings.ToLower(string(ticket.NewID(time.Now())))
	key := "inbound/" + id
	if err := bucket.New(s3c).Put(ctx, bucketName, key, "message/rfc822", raw); err != nil {
		return "", fmt.Errorf("store mail: %w", err)
	}
	now := time.Now().UTC()
	var n email.Notification
	n.NotificationType = "Received"
	n.Mail = events.SimpleEmailMessage{
		Timestamp: now, MessageID: id, Source: strings.Trim(msg.Header.Get("Return-Path"), "<>"),
		Destination: []string{localRecipient},
		CommonHeaders: events.SimpleEmailCommonHeaders{
			From: []string{msg.Header.Get("From")}, To: []string{msg.Header.Get("To")},
			MessageID: msg.Header.Get("Message-Id"), Subject: msg.Header.Get("Subject"), Date: msg.Header.Get("Date"),
		},
	}
	for k, vs := range msg.Header {
		for _, v := range vs {
			n.Mail.Headers = append(n.Mail.Headers, events.SimpleEmailHeader{Name: k, Value: v})
		}
	}
	pass := events.SimpleEmailVerdict{Status: "PASS"}
	n.Receipt = events.SimpleEmailReceipt{
		Timestamp: now, Recipients: []string{localRecipient},
		SpamVerdict: pass, VirusVerdict: pass, SPFVerdict: pass, DKIMVerdict: pass, DMARCVerdict: pass,
		Action: events.SimpleEmailReceiptAction{Type: "S3", TopicARN: topicARN, BucketName: bucketName, ObjectKey: key},
	}
	body, err := json.Marshal(n)
	if err != nil {
		return "", err
	}
	_, err = snsc.Publish(ctx, &sns.PublishInput{
		TopicArn: &topicARN, Message: aws.String(string(body)), Subject: aws.String("Amazon SES Email Receipt Notification"),
	})
	if err != nil {
		return "", fmt.Errorf("publish notification: %w", err)
	}
	return id, nil
}
