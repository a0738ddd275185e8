package notice_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/streams"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/notice"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

// rig is a ticket table whose stream drives the real notifier handler,
// publishing to a fauxqs topic.
type rig struct {
	store   *dynamo.Store
	db      *dynamodb.Client
	svc     *intake.Service
	sns     *sns.Client
	sqs     *sqs.Client
	topic   string
	handler *notice.Handler
	poller  *streams.Poller
	stop    func()
}

func unique(prefix string) string {
	return prefix + "-" + strings.ToLower(string(ticket.NewID(time.Now())))
}

// newRig makes a table, a topic on the fauxqs at fauxqsURL, and the
// notifier; start runs the stream poller.
func newRig(tb testing.TB, fauxqsURL string, pub func(*notice.Publisher)) *rig {
	tb.Helper()
	ctx := context.Background()
	store, db := testenv.StreamTable(tb)
	r := &rig{store: store, db: db, sns: awslocal.SNS(fauxqsURL), sqs: awslocal.SQS(fauxqsURL)}
	r.svc = &intake.Service{Store: store, Rules: ticket.MustDefaultRules(shanghai), Region: "CN"}
	out, err := r.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(unique("notices"))})
	if err != nil {
		tb.Fatalf("CreateTopic: %v", err)
	}
	r.topic = *out.TopicArn
	p := notice.NewPublisher(r.sns, r.topic)
	p.Backoff = 20 * time.Millisecond
	if pub != nil {
		pub(p)
	}
	b, err := notice.NewBuilder("https://console.example.com/tickets/{ref}")
	if err != nil {
		tb.Fatal(err)
	}
	r.handler = notice.NewHandler(b, p, quiet)
	arn, err := streams.StreamARN(ctx, db, store.Table())
	if err != nil {
		tb.Fatal(err)
	}
	r.poller = &streams.Poller{
		Client: streams.Client(testenv.Endpoint(tb, testenv.EnvDynamoDB)), StreamARN: arn,
		Invoke: lambda.NewHandler(r.handler.Handle).Invoke, BatchSize: 100, MaxRetries: -1, Bisect: true,
		Backoff: 50 * time.Millisecond, Interval: 20 * time.Millisecond, Log: quiet,
	}
	return r
}

func (r *rig) start(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = r.poller.Run(ctx) }()
	r.stop = func() { cancel(); wg.Wait() }
	tb.Cleanup(r.stop)
}

// subscribe makes a queue subscribed to the topic, with a filter policy
// when policy is not empty, and returns its URL.
func (r *rig) subscribe(tb testing.TB, policy string) string {
	tb.Helper()
	ctx := context.Background()
	q, err := r.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(unique("q"))})
	if err != nil {
		tb.Fatalf("CreateQueue: %v", err)
	}
	attrs, err := r.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		tb.Fatalf("GetQueueAttributes: %v", err)
	}
	in := &sns.SubscribeInput{TopicArn: aws.String(r.topic), Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"])}
	if policy != "" {
		in.Attributes = map[string]string{"FilterPolicy": policy}
	}
	if _, err := r.sns.Subscribe(ctx, in); err != nil {
		tb.Fatalf("Subscribe: %v", err)
	}
	return *q.QueueUrl
}

// received is a notice read back from a queue, with the message
// attributes SNS delivered.
type received struct {
	notice.Notice
	// Body is the notice's JSON as SNS delivered it.
	Body  string
	Attrs map[string]string
	At    time.Time
}

// envelope is the SNS notification SQS subscribers receive.
type envelope struct {
	Message           string
	MessageAttributes map[string]struct{ Type, Value string }
}

// drain reads the queue until want notices arrived or the wait is over.
func drain(tb testing.TB, c *sqs.Client, url string, want int, wait time.Duration) []received {
	tb.Helper()
	var out []received
	deadline := time.Now().Add(wait)
	for len(out) < want && time.Now().Before(deadline) {
		got := receive(tb, c, url)
		out = append(out, got...)
	}
	return out
}

// receive reads what the queue holds, waiting up to a second for the
// first message.
func receive(tb testing.TB, c *sqs.Client, url string) []received {
	tb.Helper()
	return receiveWait(tb, c, url, 1)
}

func receiveWait(tb testing.TB, c *sqs.Client, url string, waitSeconds int32) []received {
	tb.Helper()
	ctx := context.Background()
	m, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds})
	if err != nil {
		tb.Fatalf("ReceiveMessage: %v", err)
	}
	var out []received
	for _, msg := range m.Messages {
		rc, err := decodeEnvelope(aws.ToString(msg.Body))
		if err != nil {
			tb.Fatal(err)
		}
		rc.At = time.Now()
		out = append(out, rc)
		if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: msg.ReceiptHandle}); err != nil {
			tb.Fatalf("DeleteMessage: %v", err)
		}
	}
	return out
}

func decodeEnvelope(body string) (received, error) {
	var env envelope
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		return received{}, fmt.Errorf("decode SNS envelope: %w", err)
	}
	rc := received{Body: env.Message}
	if err := json.Unmarshal([]byte(env.Message), &rc.Notice); err != nil {
		return received{}, fmt.Errorf("decode notice: %w", err)
	}
	rc.Attrs = map[string]string{}
	for k, v := range env.MessageAttributes {
		rc.Attrs[k] = v.Value
	}
	return rc, nil
}

// inbound is a web contact; every third one reports a gas leak (P1).
func inbound(i int) intake.Inbound {
	body := fmt.Sprintf("第%d号楼的路灯坏了，请尽快修理", i)
	if i%3 == 0 {
		body = fmt.Sprintf("第%d号楼楼道里有很重的煤气味", i)
	}
	return intake.Inbound{
		Source:  ticket.Source{Channel: ticket.Web, ID: unique("k")},
		Contact: ticket.Contact{Phone: fmt.Sprintf("+86139%08d", i)},
		Body:    body,
	}
}

// marker opens one more ticket, an emergency, after everything the test
// wrote, and returns its reference. The table's stream is ordered and the
// notifier handles it in order, one batch after another, so once the
// marker's notice has been published every earlier record has been
// handled: a notice published twice would already be in the queue.
func (r *rig) marker(tb testing.TB) ticket.Ref {
	tb.Helper()
	rc, err := r.svc.Receive(context.Background(), intake.Inbound{
		Source:  ticket.Source{Channel: ticket.Web, ID: unique("marker")},
		Contact: ticket.Contact{Phone: "+8613912345678"},
		Body:    "楼道里有煤气味",
	})
	if err != nil {
		tb.Fatalf("marker ticket: %v", err)
	}
	return rc.Ticket.Ref
}

// until reads the queue until the notice for ref has arrived (failing
// after wait), then empties the queue without waiting, and returns every
// notice read except the marker's.
func until(tb testing.TB, c *sqs.Client, url string, ref ticket.Ref, wait time.Duration) []received {
	tb.Helper()
	var out []received
	deadline := time.Now().Add(wait)
	for found := false; !found; {
		if time.Now().After(deadline) {
			tb.Fatalf("the marker's notice %s did not arrive within %v (%d notices read)", ref, wait, len(out))
		}
		for _, rc := range receive(tb, c, url) {
			if rc.Ref == ref {
				found = true
				continue
			}
			out = append(out, rc)
		}
	}
	for {
		rest := receiveWait(tb, c, url, 0)
		if len(rest) == 0 {
			return out
		}
		for _, rc := range rest {
			if rc.Ref != ref {
				out = append(out, rc)
			}
		}
	}
}

// writeMark puts an item that makes no notice (a claim) and returns its
// partition key: once its stream record has been seen, every record
// written before it has been too.
func (r *rig) writeMark(tb testing.TB) string {
	tb.Helper()
	pk := "SOURCE#web#" + unique("mark")
	_, err := r.db.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(r.store.Table()),
		Item: map[string]dbtypes.AttributeValue{
			"PK": &dbtypes.AttributeValueMemberS{Value: pk}, "SK": &dbtypes.AttributeValueMemberS{Value: "CLAIM"},
		},
	})
	if err != nil {
		tb.Fatalf("write mark: %v", err)
	}
	return pk
}
