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
// handler invocation, and allocations per message (the whole process: the
// SDK clients included).
func BenchmarkQueueHandler(b *testing.B) {
	// Logging one line per text would measure the terminal.
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	b.Cleanup(func() { slog.SetDefault(prev) })
	f := setup(b)
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
