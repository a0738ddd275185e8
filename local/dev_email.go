package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/sqspoll"
	"github.com/frontdesk/frontdesk/shared/bucket"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/ses"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Local names of the mail path's resources.
const (
	localMailBucket = "frontdesk-local-mail"
	localMailTopic  = "frontdesk-local-mail"
	localMailQueue  = "frontdesk-local-mail"
	localMailFrom   = "Frontdesk <support@frontdesk.local>"
)

// email wires the email channel as it runs on AWS: POST /_local/email
// plays SES (store the raw mail in the bucket, publish the receipt
// notification to the topic), the topic feeds the queue, and a poller
// hands the queue's messages to the real handler as Lambda's SQS event
// source does, deleting what the handler did not report as failed.
func (st *stack) email(ctx context.Context) error {
	fx := st.emus.fauxqs.URL
	s3c, snsc, sqsc := awslocal.S3(fx), awslocal.SNS(fx), awslocal.SQS(fx)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(localMailBucket)}); err != nil && !strings.Contains(err.Error(), "BucketAlready") {
		return fmt.Errorf("create mail bucket: %w", err)
	}
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(localMailTopic)})
	if err != nil {
		return fmt.Errorf("create mail topic: %w", err)
	}
	// As in template.yaml: a dead-letter queue after five receives.
	dlq, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(localMailQueue + "-dlq")})
	if err != nil {
		return fmt.Errorf("create mail dead-letter queue: %w", err)
	}
	dlqARN, err := queueARN(ctx, sqsc, *dlq.QueueUrl)
	if err != nil {
		return err
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(localMailQueue),
		Attributes: map[string]string{
			"VisibilityTimeout": "5",
			"RedrivePolicy":     `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"5"}`,
		},
	})
	if err != nil {
		return fmt.Errorf("create mail queue: %w", err)
	}
	mailQueueARN, err := queueARN(ctx, sqsc, *q.QueueUrl)
	if err != nil {
		return err
	}
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: &mailQueueARN}); err != nil {
		return fmt.Errorf("subscribe mail queue: %w", err)
	}

	in, err := st.intakeService()
	if err != nil {
		return err
	}
	h := &email.Handler{
		Objects: bucket.New(s3c), Intake: in,
		Tickets: st.store, Recorder: st.store, Bounces: st.store, AckClaims: st.store, Aliases: st.store, Quarantine: st.store,
		Signer:           email.Signer{Keys: [][]byte{[]byte("local development reply-token key")}},
		AttachmentPrefix: "attachments/",
		Ack: &email.Acknowledger{
			Mailer: ses.New(awslocal.SES(st.emus.ses.URL)), From: localMailFrom, Zone: in.Rules.Calendar.Zone,
			OnSent: func(_ context.Context, s email.Sent) {
				st.outbox.add(outboxEntry{Channel: ticket.Email, To: s.To, Subject: s.Subject, Body: s.Body, ProviderID: s.ProviderID, TicketRef: s.Ref, At: s.At})
			},
		},
	}

	st.mux.HandleFunc("POST /_local/email", func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, email.DefaultMaxMessage))
		if err != nil {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": err.Error()})
			return
		}
		id, err := receiveLocalMail(r.Context(), s3c, snsc, *topic.TopicArn, raw)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]string{"sesMessageId": id, "objectKey": "inbound/" + id})
	})
	st.mux.HandleFunc("POST /_local/email/replay", func(w http.ResponseWriter, r *http.Request) {
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

	// Five mails per invocation: a batch of large mails must fit the
	// function's memory, as the template's batch size says.
	poller := &sqspoll.Poller{SQS: sqsc, QueueURL: *q.QueueUrl, QueueARN: mailQueueARN, Region: awslocal.Region,
		Handler: h.Handle, Batch: 5}
	st.wg.Add(1)
	go func() {
		defer st.wg.Done()
		poller.Run(ctx, func(err error) { slog.Error("poll mail queue", "err", err) })
	}()
	return nil
}

func queueARN(ctx context.Context, sqsc *sqs.Client, url string) (string, error) {
	attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", fmt.Errorf("read queue %s: %w", url, err)
	}
	return attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}

// receiveLocalMail does what SES's receipt rule does: store the mail
// under inbound/ and publish the S3 action's notification.
func receiveLocalMail(ctx context.Context, s3c *s3.Client, snsc *sns.Client, topicARN string, raw []byte) (string, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("not a mail message: %w", err)
	}
	id := strings.ToLower(string(ticket.NewID(time.Now())))
	key := "inbound/" + id
	if err := bucket.New(s3c).Put(ctx, localMailBucket, key, "message/rfc822", raw); err != nil {
		return "", fmt.Errorf("store mail: %w", err)
	}
	now := time.Now().UTC()
	var n email.Notification
	n.NotificationType = "Received"
	n.Mail = events.SimpleEmailMessage{
		Timestamp: now, MessageID: id, Source: strings.Trim(msg.Header.Get("Return-Path"), "<>"),
		Destination: []string{"support@frontdesk.local"},
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
		Timestamp: now, Recipients: []string{"support@frontdesk.local"},
		SpamVerdict: pass, VirusVerdict: pass, SPFVerdict: pass, DKIMVerdict: pass, DMARCVerdict: pass,
		Action: events.SimpleEmailReceiptAction{Type: "S3", TopicARN: topicARN, BucketName: localMailBucket, ObjectKey: key},
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
