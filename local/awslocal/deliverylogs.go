package awslocal

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/frontdesk/frontdesk/shared/blast"
)

// UndeliverablePrefix starts the local numbers whose texts the carrier
// reports undelivered: +86 139 99xx xxxx. Every other text is delivered.
const UndeliverablePrefix = "+8613999"

// Undeliverable reports whether a text to phone (E.164) is reported
// undelivered locally.
func Undeliverable(phone string) bool { return strings.HasPrefix(phone, UndeliverablePrefix) }

// DeliveryLogGroup is the log group SNS writes SMS delivery status to in
// region and account: …/DirectPublishToPhoneNumber for delivered texts,
// …/Failure for the others.
func DeliveryLogGroup(region, account string, delivered bool) string {
	g := "sns/" + region + "/" + account + "/DirectPublishToPhoneNumber"
	if !delivered {
		g += "/Failure"
	}
	return g
}

// DeliveryLogs writes, for each text the SMS front keeps, the delivery
// status record SNS writes when delivery-status logging is on, and hands
// the records to the log groups' subscribers in batches, as CloudWatch
// Logs does: a while after the text, grouped by log group.
type DeliveryLogs struct {
	// Deliver hands one log group's batch of records to its subscribers.
	Deliver func(ctx context.Context, group string, records []string)
	// Delay is how long after a text its record is delivered (2 s when
	// zero): receipts come after the sender recorded the text.
	Delay time.Duration
	// Every is how often batches go out (250 ms when zero).
	Every time.Duration
	mu    sync.Mutex
	queue []blast.LogEvent
}

// maxBatch is the most records one delivery carries.
const maxBatch = 100

// Add logs the delivery status of text t.
func (l *DeliveryLogs) Add(t Text) {
	e := blast.LogEvent{ProviderID: t.MessageID, Destination: t.To, Delivered: !Undeliverable(t.To), At: t.At}
	e.Response = "Message has been accepted by phone carrier"
	if !e.Delivered {
		e.Response = "Unknown error attempting to reach phone"
	}
	l.mu.Lock()
	l.queue = append(l.queue, e)
	l.mu.Unlock()
}

// Run delivers the records that are due until ctx ends.
func (l *DeliveryLogs) Run(ctx context.Context) {
	every, delay := l.Every, l.Delay
	if every == 0 {
		every = 250 * time.Millisecond
	}
	if delay == 0 {
		delay = 2 * time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			l.flush(ctx, now.Add(-delay))
		}
	}
}

// flush delivers the records of texts sent before due.
func (l *DeliveryLogs) flush(ctx context.Context, due time.Time) {
	l.mu.Lock()
	n := 0
	for n < len(l.queue) && !l.queue[n].At.After(due) {
		n++
	}
	ready := l.queue[:n:n]
	l.queue = l.queue[n:]
	l.mu.Unlock()
	batches := map[bool][]string{}
	for _, e := range ready {
		batches[e.Delivered] = append(batches[e.Delivered], e.Record())
	}
	for delivered, records := range batches {
		group := DeliveryLogGroup(Region, Account, delivered)
		for len(records) > 0 {
			batch := records[:min(maxBatch, len(records))]
			records = records[len(batch):]
			l.Deliver(ctx, group, batch)
		}
	}
}
