package sms_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// lateAnswer is a DynamoDB client whose first transaction reaches the
// table and is written, but whose caller gives up on the answer: a
// deadline or network loss after DynamoDB committed.
type lateAnswer struct {
	*dynamodb.Client
	timedOut atomic.Bool
}

func (c *lateAnswer) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	out, err := c.Client.TransactWriteItems(ctx, in, opts...)
	if err != nil || !c.timedOut.CompareAndSwap(false, true) {
		return out, err
	}
	return nil, fmt.Errorf("operation error DynamoDB: TransactWriteItems: %w", context.DeadlineExceeded)
}

// lateService is f's service over a client whose first transaction (the
// one opening the ticket) times out after it was written.
func (f *fixture) lateService(tb testing.TB) *sms.Service {
	tb.Helper()
	store := dynamo.New(&lateAnswer{Client: f.db}, f.store.Table())
	store.Now = f.clock.now
	in := &intake.Service{Store: store, Rules: ticket.MustDefaultRules(shanghai), Region: "CN", Now: f.clock.now}
	svc := sms.New(store, in, sms.MustDefaultKeywords(), f.texts, "CN")
	svc.Now, svc.Outbound.Now = f.clock.now, f.clock.now
	svc.Outbound.Zone = shanghai
	return svc
}

// TestAckAfterTicketWriteTimedOut: the write opening a ticket (and taking
// its acknowledgement slot) succeeds in DynamoDB but times out for the
// caller, so the text fails and the queue redelivers it. The redelivery
// finds its ticket and sends the acknowledgement the first delivery never
// sent: exactly once, however many redeliveries follow, one after another
// or at once.
func TestAckAfterTicketWriteTimedOut(t *testing.T) {
	const phone = "+8613800138077"
	for _, concurrent := range []bool{false, true} {
		t.Run(fmt.Sprintf("concurrent=%v", concurrent), func(t *testing.T) {
			f := setup(t)
			rec := record(t, "q", sms.Inbound{OriginationNumber: phone, MessageBody: "路灯不亮了", InboundMessageID: "timed-out"}, monday10)
			if resp := invoke(t, &sms.QueueHandler{Service: f.lateService(t)}, event(t, rec)); len(resp.BatchItemFailures) != 1 {
				t.Fatalf("first delivery: failures = %+v, want the timed-out text", resp.BatchItemFailures)
			}
			if n := f.texts.count(); n != 0 {
				t.Fatalf("%d texts sent by the timed-out delivery, want 0", n)
			}
			list := f.tickets(t)
			if len(list) != 1 {
				t.Fatalf("%d tickets after the timed-out write, want 1", len(list))
			}
			h := &sms.QueueHandler{Service: f.svc}
			// A delivery while the first may still be running leaves the
			// acknowledgement to it.
			f.clock.add(time.Second)
			if resp := invoke(t, h, event(t, rec)); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("delivery within the lease: failures = %+v", resp.BatchItemFailures)
			}
			if n := f.texts.count(); n != 0 {
				t.Fatalf("%d texts sent by a delivery within the lease, want 0", n)
			}
			// The queue redelivers once the first delivery has ended.
			f.clock.add(dynamo.AckLease)
			deliverThrice(t, h, rec, concurrent)
			sent := f.texts.to(phone)
			if len(sent) != 1 || !strings.Contains(sent[0].Body, string(list[0].Ref)) {
				t.Fatalf("texts to the customer = %+v, want one acknowledgement of %s", sent, list[0].Ref)
			}
			if n := len(f.tickets(t)); n != 1 {
				t.Errorf("%d tickets, want 1", n)
			}
			acks := 0
			for _, m := range f.view(t, list[0].ID).Messages {
				if m.Direction == ticket.Outbound {
					acks++
				}
			}
			if acks != 1 {
				t.Errorf("%d outbound messages recorded, want 1 acknowledgement", acks)
			}
		})
	}
}
