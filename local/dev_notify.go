package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/frontdesk/frontdesk/shared/notice"
)

// Logical ID in template.yaml of the topic the notifier publishes to.
const noticeTopicID = "NoticeTopic"

// Local console queue and the most notices kept for GET /_local/notices.
const (
	consoleQueue    = "frontdesk-local-notices-console"
	maxLocalNotices = 1000
)

// notify follows the notices topic: a queue of its own subscribed to the
// template's topic (the notifier function publishes there, from the
// table's stream) is read back for GET /_local/notices and one console
// line per notice.
func (st *stack) notify(ctx context.Context) error {
	topic, ok := st.dep.res.Known[noticeTopicID]
	if !ok {
		return fmt.Errorf("template.yaml has no %s", noticeTopicID)
	}
	sqsc := st.dep.sqs
	queueURL, queueARN, err := localQueue(ctx, sqsc, consoleQueue)
	if err != nil {
		return err
	}
	if _, err := st.dep.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("sqs"), Endpoint: aws.String(queueARN)}); err != nil {
		return fmt.Errorf("subscribe %s: %w", consoleQueue, err)
	}
	notices := &noticeLog{recent[localNotice]{limit: maxLocalNotices}}
	st.wg.Add(1)
	go func() { defer st.wg.Done(); notices.read(ctx, sqsc, queueURL) }()

	st.mux.HandleFunc("GET /_local/notices", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, notices.list())
	})
	st.urls = append(st.urls, "Notices (SNS → queue) "+st.url("/_local/notices")+"  (topic "+topic+")")
	return nil
}

func localQueue(ctx context.Context, c *sqs.Client, name string) (url, arn string, err error) {
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", name, err)
	}
	a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", "", fmt.Errorf("read queue %s: %w", name, err)
	}
	return *q.QueueUrl, a.Attributes["QueueArn"], nil
}

// localNotice is a notice as the local queue received it.
type localNotice struct {
	Notice     json.RawMessage   `json:"notice"`
	Attributes map[string]string `json:"attributes"`
	Received   time.Time         `json:"received"`
}

// noticeLog keeps the notices read from the local queue, newest first.
type noticeLog struct {
	recent[localNotice]
}

func (l *noticeLog) read(ctx context.Context, c *sqs.Client, url string) {
	for ctx.Err() == nil {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			if ctx.Err() == nil {
				slog.WarnContext(ctx, "read notices queue", "err", err)
				time.Sleep(time.Second)
			}
			continue
		}
		for _, m := range out.Messages {
			l.received(aws.ToString(m.Body))
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil && ctx.Err() == nil {
				slog.WarnContext(ctx, "delete notice from queue", "err", err)
			}
		}
	}
}

func (l *noticeLog) received(body string) {
	var env struct {
		Message           string
		MessageAttributes map[string]struct{ Type, Value string }
	}
	var n notice.Notice
	if err := json.Unmarshal([]byte(body), &env); err != nil || json.Unmarshal([]byte(env.Message), &n) != nil {
		slog.Warn("unreadable notice on the local queue")
		return
	}
	e := localNotice{Notice: json.RawMessage(env.Message), Attributes: map[string]string{}, Received: time.Now().UTC()}
	for k, v := range env.MessageAttributes {
		e.Attributes[k] = v.Value
	}
	if n.Ref == "" {
		// A worklist or a digest: about a day, not a ticket.
		fmt.Printf("notice  %-20s %s\n", n.Event, n.ID)
		l.recent.add(e)
		return
	}
	var marks []string
	if n.Urgent {
		marks = append(marks, "URGENT")
	}
	if n.VIP {
		marks = append(marks, "VIP→"+n.AccountManager)
	}
	fmt.Printf("notice  %-20s %s %s %-10s owner=%s %s\n", n.Event, n.Ref, n.Priority, n.Kind, n.Owner, strings.Join(marks, " "))
	l.recent.add(e)
}
