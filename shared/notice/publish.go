package notice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/frontdesk/frontdesk/shared/wait"
)

// SNS is the part of the SNS client the publisher uses.
type SNS interface {
	PublishBatch(ctx context.Context, in *sns.PublishBatchInput, opts ...func(*sns.Options)) (*sns.PublishBatchOutput, error)
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// BatchSize is the most entries SNS takes in one PublishBatch call.
const BatchSize = 10

// Publisher sends notices to one SNS topic.
type Publisher struct {
	sns   SNS
	topic string
	// Attempts is how many times an entry is tried before it is reported
	// failed (3 when zero).
	Attempts int
	// Backoff is the wait before the first retry; it doubles after each
	// (100 ms when zero).
	Backoff time.Duration
	// OneByOne sends each notice with its own Publish call instead of
	// PublishBatch; it exists to measure what batching saves.
	OneByOne bool
}

// NewPublisher returns a publisher to topic.
func NewPublisher(c SNS, topic string) *Publisher {
	return &Publisher{sns: c, topic: topic}
}

// Failure is a notice SNS did not take after every attempt.
type Failure struct {
	// Index is the notice's position in the slice given to Publish.
	Index int
	Err   error
}

// ErrRejected wraps SNS's per-entry refusals.
var ErrRejected = errors.New("sns refused the notice")

// Publish sends every notice, ten per PublishBatch call, retrying entries
// SNS failed (throttling, an internal error, the whole call failing) a
// bounded number of times. Whatever still failed is returned, never
// dropped: the caller reports it so the stream retries it.
func (p *Publisher) Publish(ctx context.Context, ns []Notice) []Failure {
	attempts := p.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	backoff := p.Backoff
	if backoff <= 0 {
		backoff = 100 * time.Millisecond
	}
	bodies := make([]string, len(ns))
	failed := map[int]error{}
	var pending []int
	for i, n := range ns {
		b, err := json.Marshal(n)
		if err != nil {
			failed[i] = fmt.Errorf("encode notice %s: %w", n.ID, err)
			continue
		}
		bodies[i] = string(b)
		pending = append(pending, i)
	}
	for attempt := 1; len(pending) > 0; attempt++ {
		var retry []int
		for start := 0; start < len(pending); start += BatchSize {
			chunk := pending[start:min(start+BatchSize, len(pending))]
			var errs map[int]error
			if p.OneByOne {
				errs = p.single(ctx, ns, bodies, chunk)
			} else {
				errs = p.batch(ctx, ns, bodies, chunk)
			}
			for i, err := range errs {
				failed[i] = err
				var perm permanent
				if !errors.As(err, &perm) {
					retry = append(retry, i)
				}
			}
		}
		slices.Sort(retry) // keep stream order within the retry
		if len(retry) == 0 || attempt >= attempts || ctx.Err() != nil {
			break
		}
		if err := wait.Sleep(ctx, backoff<<(attempt-1)); err != nil {
			break
		}
		for _, i := range retry {
			delete(failed, i)
		}
		pending = retry
	}
	out := make([]Failure, 0, len(failed))
	for i := range ns {
		if err, ok := failed[i]; ok {
			out = append(out, Failure{Index: i, Err: err})
		}
	}
	return out
}

// permanent marks a refusal that a retry will not fix (the sender's
// fault: a malformed entry). It is still reported, not dropped.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

func attributes(n Notice) map[string]types.MessageAttributeValue {
	out := map[string]types.MessageAttributeValue{}
	for k, a := range n.Attributes() {
		out[k] = types.MessageAttributeValue{DataType: aws.String(a.DataType), StringValue: aws.String(a.Value)}
	}
	return out
}

func (p *Publisher) batch(ctx context.Context, ns []Notice, bodies []string, idx []int) map[int]error {
	entries := make([]types.PublishBatchRequestEntry, len(idx))
	byID := make(map[string]int, len(idx))
	for k, i := range idx {
		id := "n" + strconv.Itoa(k)
		byID[id] = i
		entries[k] = types.PublishBatchRequestEntry{
			Id: aws.String(id), Message: aws.String(bodies[i]), MessageAttributes: attributes(ns[i]),
		}
	}
	out, err := p.sns.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(p.topic), PublishBatchRequestEntries: entries})
	errs := map[int]error{}
	if err != nil {
		for _, i := range idx {
			errs[i] = fmt.Errorf("publish notice %s: %w", ns[i].ID, err)
		}
		return errs
	}
	ok := make(map[int]bool, len(idx))
	for _, s := range out.Successful {
		if i, found := byID[aws.ToString(s.Id)]; found {
			ok[i] = true
		}
	}
	for _, f := range out.Failed {
		i, found := byID[aws.ToString(f.Id)]
		if !found {
			continue
		}
		e := fmt.Errorf("publish notice %s: %w: %s %s", ns[i].ID, ErrRejected, aws.ToString(f.Code), aws.ToString(f.Message))
		if f.SenderFault {
			e = permanent{e}
		}
		errs[i] = e
		delete(ok, i)
	}
	// An entry SNS neither confirmed nor refused counts as failed: only a
	// confirmation proves the notice went out.
	for _, i := range idx {
		if _, bad := errs[i]; !bad && !ok[i] {
			errs[i] = fmt.Errorf("publish notice %s: no result for the entry", ns[i].ID)
		}
	}
	return errs
}

func (p *Publisher) single(ctx context.Context, ns []Notice, bodies []string, idx []int) map[int]error {
	errs := map[int]error{}
	for _, i := range idx {
		_, err := p.sns.Publish(ctx, &sns.PublishInput{
			TopicArn: aws.String(p.topic), Message: aws.String(bodies[i]), MessageAttributes: attributes(ns[i]),
		})
		if err != nil {
			errs[i] = fmt.Errorf("publish notice %s: %w", ns[i].ID, err)
		}
	}
	return errs
}
