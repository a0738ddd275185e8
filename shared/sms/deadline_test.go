package sms_test

import (
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// TestStalledStorageFailsTheRecord: when DynamoDB accepts connections and
// never answers, each text's handling stops at the record deadline and
// the record is reported failed (the queue delivers it again), rather
// than the invocation running into the function's timeout.
func TestStalledStorageFailsTheRecord(t *testing.T) {
	store := dynamo.New(awslocal.DynamoDB(testenv.Stalled(t)), "frontdesk-test-tickets")
	in := &intake.Service{Store: store, Rules: ticket.MustDefaultRules(shanghai), Region: "CN"}
	svc := sms.New(store, in, sms.MustDefaultKeywords(), &recorder{}, "CN")
	h := &sms.QueueHandler{Service: svc, Deadline: 300 * time.Millisecond}
	done := make(chan int, 1)
	go func() { done <- len(inbound(t, h, "sqs-event.json").BatchItemFailures) }()
	select {
	case failed := <-done:
		if failed == 0 {
			t.Error("no record reported failed while storage stalls")
		}
	case <-time.After(30 * time.Second):
		// A bound on the test, not a speed target: without the record
		// deadline the handler would wait on the stalled storage for good.
		t.Fatal("no answer while storage stalls")
	}
}
