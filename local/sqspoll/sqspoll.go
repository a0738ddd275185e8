// Package sqspoll drives a Lambda SQS handler from a queue on the local
// emulator as the Lambda event source mapping would: it receives up to a
// batch of messages, hands them over as an events.SQSEvent through the
// Lambda runtime's own JSON path, and deletes the ones the handler did not
// report in its batch item failures (those come back after the visibility
// timeout). It also wires a topic to a queue, the way SNS feeds SQS.
package sqspoll

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Handler is a Lambda SQS handler that reports partial batch failures.
type Handler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// Poller feeds one queue to one handler.
type Poller struct {
	SQS      *sqs.Client
	QueueURL string
	QueueARN string
	Region   string
	Handler  Handler
	// Invoke, used when Handler is nil, runs the event's JSON through a
	// function (a bootstrap binary under the local runtime API).
	Invoke func(ctx context.Context, payload []byte) ([]byte, error)
	// Filter, when set, keeps the messages the function receives (the
	// event source mapping's filter criteria); the others are deleted
	// unseen, as Lambda deletes them.
	Filter func(events.SQSMessage) bool
	// Batch is the most messages per invocation (10 when zero).
	Batch int32
	// Wait is the long-poll wait in seconds (1 when zero).
	Wait int32
	// Visibility is how long a received message stays hidden, in seconds
	// (30 when zero); one not deleted by then is delivered again.
	Visibility int32
}

// Wire creates (or finds) topic and queue and subscribes the queue to the
// topic, returning the topic ARN, queue URL and queue ARN.
func Wire(ctx context.Context, snsc *sns.Client, sqsc *sqs.Client, topic, queue string) (string, string, string, error) {
	t, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(topic)})
	if err != nil {
		return "", "", "", fmt.Errorf("create topic %s: %w", topic, err)
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(queue)})
	if err != nil {
		return "", "", "", fmt.Errorf("create queue %s: %w", queue, err)
	}
	attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", "", "", fmt.Errorf("read queue %s: %w", queue, err)
	}
	arn := attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: t.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(arn),
	}); err != nil {
		return "", "", "", fmt.Errorf("subscribe %s to %s: %w", queue, topic, err)
	}
	return aws.ToString(t.TopicArn), aws.ToString(q.QueueUrl), arn, nil
}

// Run polls until ctx ends. Errors talking to the queue are reported to
// onErr (if set) and retried after a pause.
func (p *Poller) Run(ctx context.Context, onErr func(error)) {
	for ctx.Err() == nil {
		if _, err := p.Once(ctx); err != nil && ctx.Err() == nil {
			if onErr != nil {
				onErr(err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// Once receives one batch, invokes the handler with it and deletes what
// succeeded. It returns how many messages it received.
func (p *Poller) Once(ctx context.Context) (int, error) {
	batch, wait, vis := p.Batch, p.Wait, p.Visibility
	if batch <= 0 {
		batch = 10
	}
	if wait <= 0 {
		wait = 1
	}
	if vis <= 0 {
		vis = 30
	}
	out, err := p.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(p.QueueURL), MaxNumberOfMessages: batch, WaitTimeSeconds: wait,
		VisibilityTimeout:           vis,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
	})
	if err != nil {
		return 0, fmt.Errorf("receive from %s: %w", p.QueueURL, err)
	}
	if len(out.Messages) == 0 {
		return 0, nil
	}
	var ev events.SQSEvent
	for _, m := range out.Messages {
		rec := events.SQSMessage{
			MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
			Body: aws.ToString(m.Body), Md5OfBody: aws.ToString(m.MD5OfBody), Attributes: m.Attributes,
			EventSource: "aws:sqs", EventSourceARN: p.QueueARN, AWSRegion: p.Region,
		}
		if p.Filter == nil || p.Filter(rec) {
			ev.Records = append(ev.Records, rec)
		}
	}
	failed := map[string]bool{}
	if len(ev.Records) > 0 {
		if failed, err = p.invoke(ctx, ev); err != nil {
			// The whole batch failed: everything comes back after the
			// visibility timeout, as with Lambda.
			return len(out.Messages), err
		}
	}
	var del []sqstypes.DeleteMessageBatchRequestEntry
	for i, m := range out.Messages {
		if !failed[aws.ToString(m.MessageId)] {
			del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	if len(del) > 0 {
		res, err := p.SQS.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.QueueURL), Entries: del})
		if err != nil {
			return len(out.Messages), fmt.Errorf("delete from %s: %w", p.QueueURL, err)
		}
		if len(res.Failed) > 0 {
			return len(out.Messages), fmt.Errorf("delete from %s: %d entries failed", p.QueueURL, len(res.Failed))
		}
	}
	return len(out.Messages), nil
}

// invoke runs the handler through the Lambda runtime's JSON path and
// returns the IDs it reported as failed.
func (p *Poller) invoke(ctx context.Context, ev events.SQSEvent) (map[string]bool, error) {
	payload, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode sqs event: %w", err)
	}
	invoke := p.Invoke
	if p.Handler != nil {
		invoke = lambda.NewHandler(p.Handler).Invoke
	}
	raw, err := invoke(ctx, payload)
	if err != nil {
		return nil, fmt.Errorf("handler: %w", err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, fmt.Errorf("decode handler response: %w", err)
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier == "" {
			return nil, errors.New("handler reported a failure without an item identifier")
		}
		failed[f.ItemIdentifier] = true
	}
	return failed, nil
}
