package awslocal

import (
	"context"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/blast"
)

// TestDeliveryLogs: texts get the records SNS logs, in the log group of
// their outcome (the reserved range undelivered), once they are due and
// in batches of at most 100.
func TestDeliveryLogs(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	got := map[string][]blast.Receipt{}
	batches := 0
	l := &DeliveryLogs{Deliver: func(_ context.Context, group string, records []string) {
		batches++
		if len(records) > maxBatch {
			t.Errorf("a batch of %d records, want at most %d", len(records), maxBatch)
		}
		for _, r := range records {
			rc, err := blast.ParseReceipt([]byte(r))
			if err != nil {
				t.Fatalf("ParseReceipt(%s) = %v", r, err)
			}
			got[group] = append(got[group], rc)
		}
	}}
	for range 150 {
		l.Add(Text{To: "+8613910000000", MessageID: "ok", At: t0})
	}
	l.Add(Text{To: "+8613999000001", MessageID: "bad", At: t0})
	l.Add(Text{To: "+8613910000001", MessageID: "later", At: t0.Add(time.Minute)})
	l.flush(context.Background(), t0.Add(time.Second))
	ok, bad := DeliveryLogGroup(Region, Account, true), DeliveryLogGroup(Region, Account, false)
	if len(got[ok]) != 150 || len(got[bad]) != 1 || batches != 3 {
		t.Fatalf("delivered %d to %s, %d to %s in %d batches; want 150, 1 in 3", len(got[ok]), ok, len(got[bad]), bad, batches)
	}
	if r := got[bad][0]; r.ProviderID != "bad" || r.Delivered || !got[ok][0].Delivered {
		t.Errorf("records %+v, %+v: want the reserved range undelivered, the rest delivered", r, got[ok][0])
	}
	l.flush(context.Background(), t0.Add(2*time.Minute))
	if n := len(got[ok]); n != 151 {
		t.Errorf("after the later text is due: %d delivered records, want 151", n)
	}
}
