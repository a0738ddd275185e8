package sms_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/sms"
)

// benchWorkers is how many handler invocations (and, for the baseline,
// PutItem calls) run at once.
const benchWorkers = 4

var benchRun atomic.Int64

// BenchmarkQueueHandler pushes batches of 10 new texts (10 new numbers,
// each a new ticket and an acknowledgement) through the queue handler into
// DynamoDB Local with benchWorkers invocations at once, then, in the same
// run and at the same concurrency, as many bare PutItem calls. One op is
// one batch. A second baseline is bare 10-item TransactWriteItems calls,
// the least an atomic new ticket costs (ratio-tx10). Metrics: msgs/s,
// puts/s, their ratio, p50/p99 latency of one
// handler invocation, allocations per message (the whole process: the
// SDK clients included), and DynamoDB round trips per message (roundtrips/msg,
// counted on the client, with reads/msg and writes/msg).
func BenchmarkQueueHandler(b *testing.B) {
	// Logging one line per text would measure the terminal.
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	b.Cleanup(func() { slog.SetDefault(prev) })
	f := setup(b)
	calls := f.count()
	h := lambda.NewHandler((&sms.QueueHandler{Service: f.svc}).Handle)
	run := benchRun.Add(1)
	payloads := make([][]byte, b.N)
	for i := range payloads {
		recs := make([]events.SQSMessage, 10)
		for j := range recs {
			n := i*10 + j
			recs[j] = record(b, fmt.Sprintf("b%d-%d", run, n), sms.Inbound{
				OriginationNumber: fmt.Sprintf("+86137%08d", n), DestinationNumber: "+8610690000",
				MessageBody: "小区停电了，什么时候恢复？", InboundMessageID: fmt.Sprintf("bench-%d-%d", run, n),
			}, monday10)
		}
		payloads[i] = event(b, recs...)
	}
	ctx := context.Background()
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Int64
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	parallel(benchWorkers, func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= len(payloads) {
				return
			}
			t0 := time.Now()
			if _, err := h.Invoke(ctx, payloads[i]); err != nil {
				failed.Add(1)
			}
			lat[i] = time.Since(t0)
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&after)
	if failed.Load() > 0 {
		b.Fatalf("%d invocations failed", failed.Load())
	}
	msgs := 10 * b.N
	reads, writes := calls.reads.Load(), calls.writes.Load()
	puts := putItems(b, f.db, f.store.Table(), benchWorkers, msgs)
	txs := transactions(b, f.db, f.store.Table(), benchWorkers, msgs, 10)
	slices.Sort(lat)
	rate := float64(msgs) / elapsed.Seconds()
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(puts, "puts/s")
	b.ReportMetric(rate/puts, "ratio")
	b.ReportMetric(txs, "tx10/s")
	b.ReportMetric(rate/txs, "ratio-tx10")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(msgs), "allocs/msg")
	b.ReportMetric(float64(reads+writes)/float64(msgs), "roundtrips/msg")
	b.ReportMetric(float64(reads)/float64(msgs), "reads/msg")
	b.ReportMetric(float64(writes)/float64(msgs), "writes/msg")
}

// counting is the DynamoDB client with every round trip counted: one call
// is one request to DynamoDB (the SDK's own retries aside).
type counting struct {
	*dynamodb.Client
	reads, writes atomic.Int64
}

func (c *counting) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.reads.Add(1)
	return c.Client.GetItem(ctx, in, opts...)
}

func (c *counting) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.reads.Add(1)
	return c.Client.BatchGetItem(ctx, in, opts...)
}

func (c *counting) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.reads.Add(1)
	return c.Client.Query(ctx, in, opts...)
}

func (c *counting) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.writes.Add(1)
	return c.Client.PutItem(ctx, in, opts...)
}

func (c *counting) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.writes.Add(1)
	return c.Client.UpdateItem(ctx, in, opts...)
}

func (c *counting) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.writes.Add(1)
	return c.Client.TransactWriteItems(ctx, in, opts...)
}

func (c *counting) total() int64 { return c.reads.Load() + c.writes.Load() }

// count rewires the fixture's service over a store whose client counts
// its round trips, and returns the counter.
func (f *fixture) count() *counting {
	c := &counting{Client: f.db}
	store := dynamo.New(c, f.store.Table())
	store.Now = f.clock.now
	in := &intake.Service{Store: store, Rules: f.svc.Intake.Rules, Region: "CN", Now: f.clock.now}
	svc := sms.New(store, in, f.svc.Keywords, f.texts, "CN")
	svc.Now, svc.Outbound.Now, svc.Outbound.Zone = f.clock.now, f.clock.now, shanghai
	f.svc = svc
	return c
}

// TestRoundTrips counts the DynamoDB round trips of the common texts: a
// new text that opens and acknowledges a ticket takes at most four (one
// batch read of its source and opt-out, the open-ticket query, the
// transaction that opens the ticket and takes its acknowledgement slot,
// the record of the acknowledgement); its redelivery at most two.
func TestRoundTrips(t *testing.T) {
	f := setup(t)
	c := f.count()
	ctx := context.Background()
	m := sms.Message{Provider: sms.EndUserMessaging, ID: "rt-1", From: "+8613700000001", Body: "小区停电了，什么时候恢复？"}
	out, err := f.svc.Handle(ctx, m, false)
	if err != nil || !out.Created || !out.Acked {
		t.Fatalf("Handle = %+v, %v, want a new, acknowledged ticket", out, err)
	}
	if n := c.total(); n > 4 {
		t.Errorf("a new text took %d round trips (%d reads, %d writes), want at most 4", n, c.reads.Load(), c.writes.Load())
	}
	before := c.total()
	if out, err := f.svc.Handle(ctx, m, false); err != nil || !out.Duplicate || out.Acked {
		t.Fatalf("redelivery = %+v, %v, want a duplicate, not acknowledged again", out, err)
	}
	// The batch read, and the ticket with its messages, which hold the
	// acknowledgement already sent.
	if n := c.total() - before; n > 2 {
		t.Errorf("a redelivered text took %d round trips, want at most 2", n)
	}
	if n := len(f.texts.to(m.From)); n != 1 {
		t.Errorf("%d texts sent, want 1", n)
	}
}

// putItems writes n small items with workers goroutines and returns the
// rate achieved.
func putItems(tb testing.TB, db *dynamodb.Client, table string, workers, n int) float64 {
	tb.Helper()
	ctx := context.Background()
	var next, failed atomic.Int64
	start := time.Now()
	parallel(workers, func() {
		for {
			i := next.Add(1) - 1
			if i >= int64(n) {
				return
			}
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
				"PK":   &types.AttributeValueMemberS{Value: "BENCH#" + strconv.FormatInt(i, 10)},
				"SK":   &types.AttributeValueMemberS{Value: "ITEM"},
				"body": &types.AttributeValueMemberS{Value: "小区停电了，什么时候恢复？"},
			}})
			if err != nil {
				failed.Add(1)
			}
		}
	})
	if failed.Load() > 0 {
		tb.Fatalf("%d PutItem calls failed", failed.Load())
	}
	return float64(n) / time.Since(start).Seconds()
}

// transactions runs n TransactWriteItems calls of size items each with
// workers goroutines and returns the rate achieved.
func transactions(tb testing.TB, db *dynamodb.Client, table string, workers, n, size int) float64 {
	tb.Helper()
	ctx := context.Background()
	var next, failed atomic.Int64
	start := time.Now()
	parallel(workers, func() {
		for {
			i := next.Add(1) - 1
			if i >= int64(n) {
				return
			}
			ops := make([]types.TransactWriteItem, size)
			for j := range ops {
				ops[j] = types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: map[string]types.AttributeValue{
					"PK": &types.AttributeValueMemberS{Value: "BENCHTX#" + strconv.FormatInt(i, 10)},
					"SK": &types.AttributeValueMemberS{Value: "ITEM#" + strconv.Itoa(j)},
				}}}
			}
			if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: ops}); err != nil {
				failed.Add(1)
			}
		}
	})
	if failed.Load() > 0 {
		tb.Fatalf("%d TransactWriteItems calls failed", failed.Load())
	}
	return float64(n) / time.Since(start).Seconds()
}

func parallel(workers int, fn func()) {
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn()
		}()
	}
	wg.Wait()
}

// BenchmarkParseRecord measures reading one SQS body (SNS envelope around
// the End User Messaging payload).
func BenchmarkParseRecord(b *testing.B) {
	body := []byte(readEvent(b, "sqs-event.json").Records[0].Body)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sms.ParseRecord(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCount measures segment counting of a two-part Chinese text.
func BenchmarkCount(b *testing.B) {
	text := strings.Repeat("小区停电了，什么时候恢复？", 8)
	b.ReportAllocs()
	for b.Loop() {
		if sms.Count(text).Parts != 2 {
			b.Fatal("want 2 parts")
		}
	}
}

// BenchmarkKeywords measures keyword and stop-phrase matching of an
// ordinary text (the common case: no keyword).
func BenchmarkKeywords(b *testing.B) {
	kw := sms.MustDefaultKeywords()
	body := "My bill is wrong this month, I was charged twice"
	b.ReportAllocs()
	for b.Loop() {
		if a, _ := kw.Match(body); a != sms.None || kw.AsksToStop(body) {
			b.Fatal("not a keyword")
		}
	}
}
