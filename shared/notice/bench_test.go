package notice_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/notice"
)

// streamBatch makes a stream event of n history event inserts from the
// captured fixture, each a different event.
func streamBatch(tb testing.TB, n int) []byte {
	tb.Helper()
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(readFixture(tb, "stream-created-vip.json"), &ev); err != nil {
		tb.Fatal(err)
	}
	var tmpl events.DynamoDBEventRecord
	for _, r := range ev.Records {
		if notice.IsEvent(r) {
			tmpl = r
		}
	}
	b, _ := json.Marshal(tmpl)
	out := events.DynamoDBEvent{}
	for i := 0; i < n; i++ {
		var r events.DynamoDBEventRecord
		if err := json.Unmarshal(b, &r); err != nil {
			tb.Fatal(err)
		}
		r.Change.SequenceNumber = fmt.Sprintf("%021d", i+1)
		r.Change.NewImage["id"] = events.NewStringAttribute(fmt.Sprintf("BENCH%021d", i))
		out.Records = append(out.Records, r)
	}
	payload, err := json.Marshal(out)
	if err != nil {
		tb.Fatal(err)
	}
	return payload
}

// BenchmarkStreamBatchToSNS pushes a 100-record stream batch through the
// real handler to fauxqs, once with PublishBatch and once with one Publish
// per notice, in the same run, and reports both rates and their ratio.
func BenchmarkStreamBatchToSNS(b *testing.B) {
	const size = 100
	r := newRig(b, testenv.Endpoint(b, testenv.EnvFauxqs), nil)
	payload := streamBatch(b, size)
	batch := lambda.NewHandler(r.handler.Handle)
	oneByOne := notice.NewPublisher(r.sns, r.topic)
	oneByOne.OneByOne = true
	single := lambda.NewHandler(notice.NewHandler(r.handler.Builder, oneByOne, quiet).Handle)
	ctx := context.Background()
	run := func(h lambda.Handler) time.Duration {
		start := time.Now()
		out, err := h.Invoke(ctx, payload)
		if err != nil {
			b.Fatal(err)
		}
		var resp events.DynamoDBEventResponse
		if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
			b.Fatalf("response %s, %v", out, err)
		}
		return time.Since(start)
	}
	var tb, ts time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tb += run(batch)
		ts += run(single)
	}
	nb := float64(size*b.N) / tb.Seconds()
	ns := float64(size*b.N) / ts.Seconds()
	b.ReportMetric(nb, "batch-notices/s")
	b.ReportMetric(ns, "single-notices/s")
	b.ReportMetric(nb/ns, "batch/single")
}

// BenchmarkEndToEnd measures the delay from writing a ticket to its
// notice arriving in a subscribed queue, through DynamoDB Local's stream,
// the poller (100 ms idle interval, as make dev runs it), the handler and
// fauxqs; it reports the median and the 99th percentile.
func BenchmarkEndToEnd(b *testing.B) {
	r := newRig(b, testenv.Endpoint(b, testenv.EnvFauxqs), nil)
	r.poller.Interval = 100 * time.Millisecond
	q := r.subscribe(b, "")
	r.start(b)
	ctx := context.Background()
	var delays []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		rc, err := r.svc.Receive(ctx, inbound(i))
		if err != nil {
			b.Fatal(err)
		}
		for found := false; !found; {
			if time.Since(start) > 30*time.Second {
				b.Fatalf("notice for %s did not arrive", rc.Ticket.Ref)
			}
			for _, got := range receive(b, r.sqs, q) {
				if got.Ref == rc.Ticket.Ref {
					found = true
					delays = append(delays, got.At.Sub(start))
				}
			}
		}
	}
	b.StopTimer()
	slices.Sort(delays)
	pct := func(p float64) float64 {
		return float64(delays[min(len(delays)-1, int(p*float64(len(delays))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
