package sqspoll

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/testenv"
)

// TestOnceInvokeAndFilter: a batch goes to the function as JSON, what the
// filter leaves out never reaches it, what it reports failed stays on the
// queue, and the rest is deleted.
func TestOnceInvokeAndFilter(t *testing.T) {
	ctx := context.Background()
	c := awslocal.SQS(testenv.Endpoint(t, testenv.EnvFauxqs))
	name := "sqspoll-" + strings.ToLower(time.Now().Format("150405.000000000"))
	name = strings.ReplaceAll(name, ".", "-")
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl})
	for _, body := range []string{`{"kind":"keep"}`, `{"kind":"drop"}`, `{"kind":"fail"}`} {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	p := &Poller{SQS: c, QueueURL: *q.QueueUrl, QueueARN: "arn:aws:sqs:us-east-1:000000000000:" + name, Region: awslocal.Region, Visibility: 1,
		Filter: func(m events.SQSMessage) bool { return !strings.Contains(m.Body, "drop") },
		Invoke: func(_ context.Context, payload []byte) ([]byte, error) {
			var ev events.SQSEvent
			if err := json.Unmarshal(payload, &ev); err != nil {
				return nil, err
			}
			var resp events.SQSEventResponse
			for _, r := range ev.Records {
				seen = append(seen, r.Body)
				if strings.Contains(r.Body, "fail") {
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
				}
			}
			return json.Marshal(resp)
		},
	}
	got := 0
	for deadline := time.Now().Add(10 * time.Second); got < 3 && time.Now().Before(deadline); {
		n, err := p.Once(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	if got != 3 {
		t.Fatalf("received %d messages, want 3", got)
	}
	for _, b := range seen {
		if strings.Contains(b, "drop") {
			t.Errorf("the function saw %s, which the filter leaves out", b)
		}
	}
	// Only the failed message comes back, once its visibility ends.
	time.Sleep(1500 * time.Millisecond)
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != `{"kind":"fail"}` {
		var bodies []string
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
		}
		t.Errorf("left on the queue: %v, want only the failed message", bodies)
	}
}
