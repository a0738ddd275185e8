// Package streams reads a DynamoDB stream the way Lambda's event source
// mapping does and hands the records to a handler through the Lambda
// runtime's own JSON path: batches in shard order, a shard's children only
// after the shard is finished, partial batch failures retried from the
// first failed record, bounded retries, then an on-failure hook. The local
// stack and the integration tests run the notifier through it.
package streams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/shared/wait"
)

// API is the part of the DynamoDB Streams client the poller uses.
type API interface {
	DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// Client returns a DynamoDB Streams client for DynamoDB Local at endpoint.
func Client(endpoint string) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(awslocal.Config(), func(o *dynamodbstreams.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}

// StreamARN returns the latest stream of table.
func StreamARN(ctx context.Context, db *dynamodb.Client, table string) (string, error) {
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return "", fmt.Errorf("describe table %s: %w", table, err)
	}
	if out.Table.LatestStreamArn == nil {
		return "", fmt.Errorf("table %s has no stream", table)
	}
	return *out.Table.LatestStreamArn, nil
}

// Invoker runs a Lambda handler on a JSON payload, as
// lambda.NewHandler(h).Invoke does.
type Invoker func(ctx context.Context, payload []byte) ([]byte, error)

// Failed is a run of records given up on after every retry: what Lambda
// sends to the on-failure destination.
type Failed struct {
	ShardID string
	Records []events.DynamoDBEventRecord
	Err     error
}

// Invocation is one call of the handler, for observers.
type Invocation struct {
	Records  []events.DynamoDBEventRecord
	Response events.DynamoDBEventResponse
	Err      error
}

// Poller feeds one stream to one handler.
type Poller struct {
	Client    API
	StreamARN string
	Invoke    Invoker
	// BatchSize is the most records per invocation (100 when zero).
	BatchSize int
	// MaxRetries bounds the retries of a failing batch; -1 retries until
	// the batch succeeds, as Lambda does by default.
	MaxRetries int
	// Bisect splits a batch in two when the handler returns an error (not
	// a partial failure) and delivers each half on its own, as
	// BisectBatchOnFunctionError does.
	Bisect bool
	// Backoff is the wait before the first retry, doubling up to 5 s
	// (200 ms when zero).
	Backoff time.Duration
	// Interval is the wait between polls of an idle shard (100 ms when
	// zero).
	Interval time.Duration
	// OnFailure receives records given up on; nil logs them.
	OnFailure func(ctx context.Context, f Failed)
	// Filter, when set, keeps the records the function receives (the
	// event source mapping's filter criteria); the others are skipped.
	Filter func(events.DynamoDBEventRecord) bool
	// Observe, when set, sees every invocation.
	Observe func(Invocation)
	// Log receives the poller's own lines (slog.Default when nil).
	Log *slog.Logger
}

type shard struct {
	id, parent string
	iterator   string
	lastSeq    string
	done       bool
}

func (p *Poller) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

// Run polls until ctx ends. Errors talking to the stream are logged and
// retried; Run returns nil when ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	interval := p.Interval
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	shards := map[string]*shard{}
	var order []string
	var described time.Time
	for ctx.Err() == nil {
		if time.Since(described) > time.Second || allDone(shards) {
			if err := p.describe(ctx, shards, &order); err != nil {
				p.log().WarnContext(ctx, "describe stream failed", "err", err)
				wait.Sleep(ctx, time.Second)
				continue
			}
			described = time.Now()
		}
		progressed := false
		for _, id := range order {
			sh := shards[id]
			if sh.done {
				continue
			}
			if parent, ok := shards[sh.parent]; ok && !parent.done {
				continue // a child waits until its parent shard is read to the end
			}
			n, err := p.poll(ctx, sh)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				p.log().WarnContext(ctx, "read shard failed", "shardId", sh.id, "err", err)
				continue
			}
			if n > 0 {
				progressed = true
			}
		}
		if !progressed {
			wait.Sleep(ctx, interval)
		}
	}
	return nil
}

func allDone(shards map[string]*shard) bool {
	for _, s := range shards {
		if !s.done {
			return false
		}
	}
	return true
}

// describe adds shards not seen before, paging through DescribeStream.
func (p *Poller) describe(ctx context.Context, shards map[string]*shard, order *[]string) error {
	var start *string
	for {
		out, err := p.Client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(p.StreamARN), ExclusiveStartShardId: start})
		if err != nil {
			return fmt.Errorf("describe stream: %w", err)
		}
		for _, s := range out.StreamDescription.Shards {
			id := aws.ToString(s.ShardId)
			if _, ok := shards[id]; ok || id == "" {
				continue
			}
			shards[id] = &shard{id: id, parent: aws.ToString(s.ParentShardId)}
			*order = append(*order, id)
		}
		start = out.StreamDescription.LastEvaluatedShardId
		if start == nil {
			return nil
		}
	}
}

// poll reads one page of a shard and delivers it; it returns how many
// records it read.
func (p *Poller) poll(ctx context.Context, sh *shard) (int, error) {
	if sh.iterator == "" {
		in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(p.StreamARN), ShardId: aws.String(sh.id), ShardIteratorType: types.ShardIteratorTypeTrimHorizon}
		if sh.lastSeq != "" {
			in.ShardIteratorType, in.SequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, aws.String(sh.lastSeq)
		}
		out, err := p.Client.GetShardIterator(ctx, in)
		var gone *types.ResourceNotFoundException
		if errors.As(err, &gone) {
			sh.done = true // trimmed away
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("get iterator for shard %s: %w", sh.id, err)
		}
		sh.iterator = aws.ToString(out.ShardIterator)
	}
	limit := p.BatchSize
	if limit <= 0 {
		limit = 100
	}
	out, err := p.Client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(sh.iterator), Limit: aws.Int32(int32(limit))})
	var expired *types.ExpiredIteratorException
	if errors.As(err, &expired) {
		sh.iterator = ""
		return 0, nil
	}
	if err != nil {
		sh.iterator = ""
		return 0, fmt.Errorf("get records from shard %s: %w", sh.id, err)
	}
	recs := make([]events.DynamoDBEventRecord, 0, len(out.Records))
	for _, r := range out.Records {
		rec := Convert(r, p.StreamARN)
		sh.lastSeq = rec.Change.SequenceNumber
		// Lambda drops what the filter criteria leave out before batching.
		if p.Filter == nil || p.Filter(rec) {
			recs = append(recs, rec)
		}
	}
	if len(recs) > 0 {
		p.deliver(ctx, sh.id, recs)
	}
	if out.NextShardIterator == nil {
		sh.done = true
		sh.iterator = ""
	} else {
		sh.iterator = *out.NextShardIterator
	}
	return len(recs), nil
}

// deliver invokes the handler until the batch succeeds or the retries are
// spent. After a partial failure the retry starts at the first failed
// record, as Lambda's checkpointing does; a function error (unless
// bisecting) or an unknown item identifier retries the whole batch.
func (p *Poller) deliver(ctx context.Context, shardID string, recs []events.DynamoDBEventRecord) {
	backoff := p.Backoff
	if backoff <= 0 {
		backoff = 200 * time.Millisecond
	}
	for retries := 0; len(recs) > 0; retries++ {
		resp, err := p.invoke(ctx, recs)
		if p.Observe != nil {
			p.Observe(Invocation{Records: recs, Response: resp, Err: err})
		}
		if err != nil && p.Bisect && len(recs) > 1 {
			mid := len(recs) / 2
			p.deliver(ctx, shardID, recs[:mid])
			p.deliver(ctx, shardID, recs[mid:])
			return
		}
		from := len(recs)
		if err != nil {
			from = 0
		}
		for _, f := range resp.BatchItemFailures {
			i := slices.IndexFunc(recs, func(r events.DynamoDBEventRecord) bool { return r.Change.SequenceNumber == f.ItemIdentifier })
			if i < 0 {
				i = 0
				err = errors.Join(err, fmt.Errorf("batch response names unknown item %q", f.ItemIdentifier))
			}
			from = min(from, i)
		}
		if from == len(recs) {
			return
		}
		recs = recs[from:]
		if err == nil {
			err = fmt.Errorf("%d records failed", len(resp.BatchItemFailures))
		}
		if ctx.Err() != nil {
			return
		}
		if p.MaxRetries >= 0 && retries >= p.MaxRetries {
			f := Failed{ShardID: shardID, Records: recs, Err: err}
			if p.OnFailure != nil {
				p.OnFailure(ctx, f)
			} else {
				p.log().ErrorContext(ctx, "stream records given up", "shardId", shardID, "records", len(recs),
					"firstSequenceNumber", recs[0].Change.SequenceNumber, "err", err)
			}
			return
		}
		p.log().WarnContext(ctx, "stream batch retried", "shardId", shardID, "records", len(recs), "retry", retries+1, "err", err)
		wait.Sleep(ctx, backoff)
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (p *Poller) invoke(ctx context.Context, recs []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	payload, err := json.Marshal(events.DynamoDBEvent{Records: recs})
	if err != nil {
		return resp, fmt.Errorf("encode stream event: %w", err)
	}
	out, err := p.Invoke(ctx, payload)
	if err != nil {
		return resp, fmt.Errorf("invoke handler: %w", err)
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return resp, fmt.Errorf("decode handler response: %w", err)
	}
	return resp, nil
}

// Convert turns a record read from DynamoDB Streams into the record Lambda
// hands a function.
func Convert(r types.Record, streamARN string) events.DynamoDBEventRecord {
	out := events.DynamoDBEventRecord{
		AWSRegion:      aws.ToString(r.AwsRegion),
		EventID:        aws.ToString(r.EventID),
		EventName:      string(r.EventName),
		EventSource:    aws.ToString(r.EventSource),
		EventVersion:   aws.ToString(r.EventVersion),
		EventSourceArn: streamARN,
	}
	if r.UserIdentity != nil {
		out.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(r.UserIdentity.Type), PrincipalID: aws.ToString(r.UserIdentity.PrincipalId)}
	}
	if d := r.Dynamodb; d != nil {
		out.Change = events.DynamoDBStreamRecord{
			Keys:           convertMap(d.Keys),
			NewImage:       convertMap(d.NewImage),
			OldImage:       convertMap(d.OldImage),
			SequenceNumber: aws.ToString(d.SequenceNumber),
			SizeBytes:      aws.ToInt64(d.SizeBytes),
			StreamViewType: string(d.StreamViewType),
		}
		if d.ApproximateCreationDateTime != nil {
			out.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *d.ApproximateCreationDateTime}
		}
	}
	return out
}

func convertMap(m map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	for k, v := range m {
		out[k] = convert(v)
	}
	return out
}

func convert(v types.AttributeValue) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *types.AttributeValueMemberNULL:
		return events.NewNullAttribute()
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value)
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value)
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value)
	case *types.AttributeValueMemberM:
		return events.NewMapAttribute(convertMap(v.Value))
	case *types.AttributeValueMemberL:
		list := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			list[i] = convert(e)
		}
		return events.NewListAttribute(list)
	}
	return events.NewNullAttribute()
}
