package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/streams"
	"github.com/frontdesk/frontdesk/shared/notice"
)

// Local names of the notifier's topic and queues.
const (
	localNoticeTopic    = "frontdesk-local-notices"
	localNoticeQueue    = "frontdesk-local-notices"
	localNotifierFailed = "frontdesk-local-notifier-failures"
	maxLocalNotices     = 1000
)

// notify runs the notifier as Lambda would: a stream poller reads DynamoDB
// Local's stream and invokes the real handler, which publishes to the
// fauxqs topic; a queue subscribed to it is read back for
// GET /_local/notices and one console line per notice.
func (st *stack) notify(ctx context.Context) error {
	snsc, sqsc := awslocal.SNS(st.emus.fauxqs.URL), awslocal.SQS(st.emus.fauxqs.URL)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(localNoticeTopic)})
	if err != nil {
		return fmt.Errorf("create topic %s: %w", localNoticeTopic, err)
	}
	queueURL, queueARN, err := localQueue(ctx, sqsc, localNoticeQueue)
	if err != nil {
		return err
	}
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(queueARN)}); err != nil {
		return fmt.Errorf("subscribe %s: %w", localNoticeQueue, err)
	}
	failedURL, _, err := localQueue(ctx, sqsc, localNotifierFailed)
	if err != nil {
		return err
	}
	port, err := envPort("FRONTDESK_HTTP_PORT", 3000)
	if err != nil {
		return err
	}
	// The server's address is fixed after the setups run; the port is
	// known now.
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	b, err := notice.NewBuilder(base + "/_local/tickets/{ref}")
	if err != nil {
		return err
	}
	h := notice.NewHandler(b, notice.NewPublisher(snsc, *topic.TopicArn), slog.Default())
	arn, err := streams.StreamARN(ctx, st.db, st.table)
	if err != nil {
		return err
	}
	p := &streams.Poller{
		Client: streams.Client(st.emus.dynamo.URL), StreamARN: arn,
		Invoke: lambda.NewHandler(h.Handle).Invoke, BatchSize: 100, MaxRetries: 10, Bisect: true,
		OnFailure: func(ctx context.Context, f streams.Failed) { sendFailure(ctx, sqsc, failedURL, arn, f) },
	}
	notices := &noticeLog{recent[localNotice]{limit: maxLocalNotices}}
	st.wg.Add(2)
	go func() { defer st.wg.Done(); _ = p.Run(ctx) }()
	go func() { defer st.wg.Done(); notices.read(ctx, sqsc, queueURL) }()

	st.mux.HandleFunc("GET /_local/notices", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, notices.list())
	})
	st.urls = append(st.urls,
		"Notices (SNS → queue) "+base+"/_local/notices",
		"  topic "+*topic.TopicArn+", failed stream batches in queue "+localNotifierFailed,
	)
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

// sendFailure records a stream batch given up on the way Lambda's
// on-failure destination does: the batch's place in the stream, not the
// records.
func sendFailure(ctx context.Context, c *sqs.Client, url, streamARN string, f streams.Failed) {
	body, _ := json.Marshal(map[string]any{
		"requestContext":  map[string]any{"condition": "RetryAttemptsExhausted", "functionArn": "local:notifier"},
		"responseContext": map[string]any{"error": f.Err.Error()},
		"DDBStreamBatchInfo": map[string]any{
			"shardId": f.ShardID, "streamArn": streamARN, "batchSize": len(f.Records),
			"startSequenceNumber": f.Records[0].Change.SequenceNumber,
			"endSequenceNumber":   f.Records[len(f.Records)-1].Change.SequenceNumber,
		},
	})
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(body))}); err != nil {
		slog.ErrorContext(ctx, "record failed stream batch", "err", err)
	}
	fmt.Printf("notifier gave up on %d stream records (see queue %s)\n", len(f.Records), localNotifierFailed)
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
