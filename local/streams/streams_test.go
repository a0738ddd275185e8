package streams_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/frontdesk/frontdesk/local/streams"
)

// fakeStream serves shards of records: a closed parent shard and an open
// child, listed child first so the poller must hold the child back.
type fakeStream struct {
	shards map[string][]string // shard ID → sequence numbers
	parent map[string]string
	open   map[string]bool
	order  []string
}

func (f *fakeStream) DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	// One shard per page, to exercise paging.
	i := 0
	if in.ExclusiveStartShardId != nil {
		i = slices.Index(f.order, *in.ExclusiveStartShardId) + 1
	}
	d := &types.StreamDescription{}
	if i < len(f.order) {
		id := f.order[i]
		sh := types.Shard{ShardId: aws.String(id)}
		if p := f.parent[id]; p != "" {
			sh.ParentShardId = aws.String(p)
		}
		d.Shards = []types.Shard{sh}
		if i+1 < len(f.order) {
			d.LastEvaluatedShardId = aws.String(id)
		}
	}
	return &dynamodbstreams.DescribeStreamOutput{StreamDescription: d}, nil
}

func (f *fakeStream) GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	pos := 0
	if in.ShardIteratorType == types.ShardIteratorTypeAfterSequenceNumber {
		pos = slices.Index(f.shards[*in.ShardId], *in.SequenceNumber) + 1
	}
	return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String(*in.ShardId + "/" + strconv.Itoa(pos))}, nil
}

func (f *fakeStream) GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	id, p, _ := strings.Cut(*in.ShardIterator, "/")
	pos, _ := strconv.Atoi(p)
	seqs := f.shards[id]
	end := min(pos+int(*in.Limit), len(seqs))
	out := &dynamodbstreams.GetRecordsOutput{}
	for _, seq := range seqs[pos:end] {
		out.Records = append(out.Records, types.Record{
			EventID: aws.String("e" + seq), EventName: types.OperationTypeInsert, EventSource: aws.String("aws:dynamodb"),
			Dynamodb: &types.StreamRecord{
				SequenceNumber: aws.String(seq), StreamViewType: types.StreamViewTypeNewAndOldImages,
				Keys: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "TICKET#" + seq}, "SK": &types.AttributeValueMemberS{Value: "EVENT#x"}},
				NewImage: map[string]types.AttributeValue{
					"n": &types.AttributeValueMemberN{Value: "1"}, "m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"b": &types.AttributeValueMemberBOOL{Value: true}}},
					"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "x"}}},
				},
			},
		})
	}
	if end < len(seqs) || f.open[id] {
		out.NextShardIterator = aws.String(id + "/" + strconv.Itoa(end))
	}
	return out, nil
}

func seqs(from, n int) []string {
	var out []string
	for i := from; i < from+n; i++ {
		out = append(out, fmt.Sprintf("%05d", i))
	}
	return out
}

// handlerFunc fails the sequence numbers fail says to, per attempt.
type recorder struct {
	mu       sync.Mutex
	calls    [][]string
	attempts map[string]int
	fail     func(seq string, attempt int) bool
	fnErr    func(batch []string) bool
}

func (r *recorder) invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.attempts == nil {
		r.attempts = map[string]int{}
	}
	var batch []string
	for _, rec := range ev.Records {
		batch = append(batch, rec.Change.SequenceNumber)
		if rec.Change.NewImage["m"].Map()["b"].Boolean() != true || rec.EventSourceArn != "arn:stream" {
			return nil, errors.New("record not converted")
		}
	}
	r.calls = append(r.calls, batch)
	if r.fnErr != nil && r.fnErr(batch) {
		return nil, errors.New("function error")
	}
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	for _, s := range batch {
		r.attempts[s]++
		if r.fail != nil && r.fail(s, r.attempts[s]) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: s})
		}
	}
	return json.Marshal(resp)
}

func run(t *testing.T, f *fakeStream, rec *recorder, p *streams.Poller, until func() bool) {
	t.Helper()
	p.Client, p.StreamARN, p.Invoke = f, "arn:stream", rec.invoke
	p.Interval, p.Backoff = time.Millisecond, time.Millisecond
	p.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = p.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for !until() {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatal("poller did not get there")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}

func twoShards() *fakeStream {
	return &fakeStream{
		shards: map[string][]string{"parent": seqs(0, 5), "child": seqs(5, 3)},
		parent: map[string]string{"child": "parent"},
		open:   map[string]bool{"child": true},
		order:  []string{"child", "parent"},
	}
}

func delivered(rec *recorder) []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for _, c := range rec.calls {
		out = append(out, c...)
	}
	return out
}

func TestPollerReadsParentBeforeChild(t *testing.T) {
	rec := &recorder{}
	run(t, twoShards(), rec, &streams.Poller{BatchSize: 2}, func() bool { return len(delivered(rec)) >= 8 })
	if got, want := delivered(rec), seqs(0, 8); !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	for _, c := range rec.calls {
		if len(c) > 2 {
			t.Errorf("batch of %d records, want at most 2", len(c))
		}
	}
}

func TestPollerRetriesFromFirstFailure(t *testing.T) {
	// Record 00002 fails twice, then goes through.
	rec := &recorder{fail: func(s string, n int) bool { return s == "00002" && n <= 2 }}
	run(t, twoShards(), rec, &streams.Poller{BatchSize: 5, MaxRetries: -1}, func() bool { return len(delivered(rec)) >= 5+3+3 })
	want := [][]string{seqs(0, 5), seqs(2, 3), seqs(2, 3), seqs(5, 3)}
	if !slices.EqualFunc(rec.calls, want, slices.Equal) {
		t.Errorf("invocations %v, want %v", rec.calls, want)
	}
}

func TestPollerGivesUpAfterMaxRetries(t *testing.T) {
	rec := &recorder{fail: func(s string, _ int) bool { return s == "00003" }}
	var mu sync.Mutex
	var failed []streams.Failed
	p := &streams.Poller{BatchSize: 5, MaxRetries: 2, OnFailure: func(_ context.Context, f streams.Failed) {
		mu.Lock()
		failed = append(failed, f)
		mu.Unlock()
	}}
	run(t, twoShards(), rec, p, func() bool { return len(delivered(rec)) >= 5+2+2+3 })
	mu.Lock()
	defer mu.Unlock()
	if len(failed) != 1 || failed[0].ShardID != "parent" || len(failed[0].Records) != 2 || failed[0].Records[0].Change.SequenceNumber != "00003" {
		t.Fatalf("failed = %+v, want records 00003–00004 of the parent shard once", failed)
	}
	if got := rec.attempts["00003"]; got != 3 {
		t.Errorf("record tried %d times, want 3 (1 + 2 retries)", got)
	}
}

func TestPollerBisectsOnFunctionError(t *testing.T) {
	// The handler crashes on any batch holding 00001 until it is alone.
	rec := &recorder{fnErr: func(b []string) bool { return len(b) > 1 && slices.Contains(b, "00001") }}
	run(t, twoShards(), rec, &streams.Poller{BatchSize: 4, MaxRetries: 0, Bisect: true}, func() bool { return len(delivered(rec)) >= 4+2+1+1+2+1+3 })
	want := [][]string{seqs(0, 4), seqs(0, 2), {"00000"}, {"00001"}, seqs(2, 2), {"00004"}, seqs(5, 3)}
	if !slices.EqualFunc(rec.calls, want, slices.Equal) {
		t.Errorf("invocations %v, want %v", rec.calls, want)
	}
}

// TestFilter: records the filter leaves out never reach the function, and
// the shard moves past them all the same.
func TestFilter(t *testing.T) {
	f := &fakeStream{shards: map[string][]string{"only": seqs(0, 6)}, order: []string{"only"}}
	rec := &recorder{}
	p := &streams.Poller{BatchSize: 4, Filter: func(r events.DynamoDBEventRecord) bool {
		n, _ := strconv.Atoi(r.Change.SequenceNumber)
		return n%2 == 0
	}}
	run(t, f, rec, p, func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		n := 0
		for _, c := range rec.calls {
			n += len(c)
		}
		return n >= 3
	})
	var got []string
	for _, c := range rec.calls {
		got = append(got, c...)
	}
	if want := []string{"00000", "00002", "00004"}; !slices.Equal(got, want) {
		t.Errorf("function saw %v, want only the even records %v, each once", got, want)
	}
}
