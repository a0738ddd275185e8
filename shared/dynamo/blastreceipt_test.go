package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/blast"
)

// TestRecordReceipt: each receipt counts once however often it comes; a
// delivery reported after a failure wins and moves the counts, a failure
// after a delivery changes nothing; receipts for texts of no blast, and
// for texts never recorded as sent, are told apart.
func TestRecordReceipt(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	var rs []blast.Recipient
	for i := range 6 {
		rs = append(rs, blast.Recipient{Phone: fmt.Sprintf("+86139%08d", i), Seq: i})
	}
	if err := st.PutRecipients(ctx, "rb", rs); err != nil {
		t.Fatal(err)
	}
	for i, r := range rs[:5] {
		if ok, err := st.ClaimRecipient(ctx, "rb", r, t0); !ok || err != nil {
			t.Fatalf("claim %d = %v, %v", i, ok, err)
		}
		if err := st.RecordBlastSent(ctx, "rb", r, fmt.Sprintf("pid-%d", i), t0); err != nil {
			t.Fatal(err)
		}
	}
	delivered := func(pid string) blast.Receipt {
		return blast.Receipt{ProviderID: pid, Delivered: true, Response: "Message has been accepted by phone carrier", At: t0}
	}
	failed := func(pid string) blast.Receipt {
		return blast.Receipt{ProviderID: pid, Response: "Unknown error attempting to reach phone", At: t0}
	}
	steps := []struct {
		name    string
		r       blast.Receipt
		changed bool
		err     error
	}{
		{"delivered", delivered("pid-0"), true, nil},
		{"delivered again", delivered("pid-0"), false, nil},
		{"failed after delivered", failed("pid-0"), false, nil},
		{"failed", failed("pid-1"), true, nil},
		{"failed again", failed("pid-1"), false, nil},
		{"delivered after failed", delivered("pid-1"), true, nil},
		{"delivered after failed, again", delivered("pid-1"), false, nil},
		{"failed only", failed("pid-2"), true, nil},
		{"not a blast text", delivered("pid-x"), false, blast.ErrNotFound},
	}
	for _, s := range steps {
		changed, err := st.RecordReceipt(ctx, s.r)
		if changed != s.changed || !errors.Is(err, s.err) {
			t.Errorf("%s: RecordReceipt = %v, %v; want %v, %v", s.name, changed, err, s.changed, s.err)
		}
	}
	// The same delivery receipt for pid-3, from eight redeliveries at once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			changed, err := st.RecordReceipt(ctx, delivered("pid-3"))
			if err != nil {
				t.Error(err)
			}
			if changed {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("concurrent redeliveries changed the recipient %d times, want once", wins)
	}
	c, err := st.BlastCounts(ctx, "rb")
	if want := (blast.Counts{Sent: 5, Delivered: 3, Undelivered: 1}); err != nil || c != want {
		t.Fatalf("BlastCounts = %+v, %v; want %+v", c, err, want)
	}
	got := map[int]blast.Recipient{}
	if err := st.EachRecipient(ctx, "rb", func(r blast.Recipient) error { got[r.Seq] = r; return nil }); err != nil {
		t.Fatal(err)
	}
	for seq, want := range map[int]blast.RecipientStatus{0: blast.Delivered, 1: blast.Delivered, 2: blast.Failed, 3: blast.Delivered, 4: blast.Sent, 5: blast.Pending} {
		if got[seq].Status != want {
			t.Errorf("recipient %d is %s, want %s", seq, got[seq].Status, want)
		}
	}
	if got[2].Response != "Unknown error attempting to reach phone" {
		t.Errorf("undelivered recipient's response = %q", got[2].Response)
	}
}
