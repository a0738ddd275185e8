package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func newBlast(id string) *blast.Blast {
	return &blast.Blast{
		ID: id, Kind: blast.Outage, Texts: map[string]string{string(ticket.SimplifiedChinese): "明日停水"}, DefaultLanguage: string(ticket.SimplifiedChinese),
		Pace: 1, State: blast.Planned, Quiet: ticket.DefaultQuietHours, Zone: "Asia/Shanghai", CreatedAt: t0, Version: 1,
		History: []blast.Event{{At: t0, Action: blast.Create, Actor: "staff:s1"}},
	}
}

func TestBlastHeadVersions(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	b := newBlast("b1")
	if err := st.CreateBlast(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateBlast(ctx, b); !errors.Is(err, blast.ErrConflict) {
		t.Fatalf("CreateBlast twice = %v, want ErrConflict", err)
	}
	got, err := st.Blast(ctx, "b1")
	if err != nil || got.Texts[string(ticket.SimplifiedChinese)] != "明日停水" || got.State != blast.Planned || got.Quiet != ticket.DefaultQuietHours {
		t.Fatalf("Blast = %+v, %v", got, err)
	}
	prev := got.Version
	if err := got.Apply(blast.Send, "staff:s1", t0, ""); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveBlast(ctx, got, prev); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveBlast(ctx, got, prev); !errors.Is(err, blast.ErrConflict) {
		t.Fatalf("SaveBlast at a stale version = %v, want ErrConflict", err)
	}
	if s, err := st.BlastState(ctx, "b1"); err != nil || s != blast.Sending {
		t.Fatalf("BlastState = %v, %v", s, err)
	}
	if _, err := st.Blast(ctx, "nope"); !errors.Is(err, blast.ErrNotFound) {
		t.Fatalf("Blast(nope) = %v, want ErrNotFound", err)
	}
}

func TestRecipientClaimedOnce(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	var rs []blast.Recipient
	for i := range 120 {
		rs = append(rs, blast.Recipient{Phone: fmt.Sprintf("+86138%08d", i), Seq: i})
	}
	if err := st.PutRecipients(ctx, "b2", rs); err != nil {
		t.Fatal(err)
	}
	chunk1, err := st.Recipients(ctx, "b2", 1)
	if err != nil || len(chunk1) != blast.ChunkSize || chunk1[0].Seq != blast.ChunkSize || chunk1[0].Status != blast.Pending {
		t.Fatalf("Recipients(chunk 1) = %d, %v (first %+v)", len(chunk1), err, chunk1[0])
	}
	// Eight senders race for every recipient of the chunk.
	var wins atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, r := range chunk1 {
				ok, err := st.ClaimRecipient(ctx, "b2", r, t0)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					wins.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if wins.Load() != blast.ChunkSize {
		t.Fatalf("claims won = %d, want %d", wins.Load(), blast.ChunkSize)
	}
	r := chunk1[0]
	if err := st.RecordBlastSent(ctx, "b2", r, "pid-1", t0); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordBlastSent(ctx, "b2", r, "pid-1", t0); err == nil {
		t.Fatal("RecordBlastSent twice = nil, want the claim condition to fail")
	}
	id, phone, err := st.SentBlast(ctx, "pid-1")
	if err != nil || id != "b2" || phone != r.Phone {
		t.Fatalf("SentBlast = %q, %q, %v", id, phone, err)
	}
	if _, _, err := st.SentBlast(ctx, "pid-2"); !errors.Is(err, blast.ErrNotFound) {
		t.Fatalf("SentBlast(unknown) = %v, want ErrNotFound", err)
	}
	// A failed send gives the claim back; the third failure marks it failed.
	r2 := chunk1[1]
	if err := st.ReleaseRecipient(ctx, "b2", r2, 1, false); err != nil {
		t.Fatalf("ReleaseRecipient = %v", err)
	}
	if ok, err := st.ClaimRecipient(ctx, "b2", r2, t0); !ok || err != nil {
		t.Fatalf("claim after release = %v, %v", ok, err)
	}
	if err := st.ReleaseRecipient(ctx, "b2", r2, 2, true); err != nil {
		t.Fatalf("ReleaseRecipient failing it = %v", err)
	}
	if err := st.ReleaseRecipient(ctx, "b2", r2, 3, true); err == nil {
		t.Fatal("ReleaseRecipient of a recipient no longer claimed = nil, want an error")
	}
	if err := st.SkipRecipient(ctx, "b2", rs[0]); err != nil {
		t.Fatal(err)
	}
	if err := st.SkipRecipient(ctx, "b2", rs[0]); err != nil {
		t.Fatal(err)
	}
	c, err := st.BlastCounts(ctx, "b2")
	if err != nil || c != (blast.Counts{Sent: 1, Failed: 1, OptedOut: 1}) {
		t.Fatalf("BlastCounts = %+v, %v", c, err)
	}
	n := 0
	if err := st.EachRecipient(ctx, "b2", func(blast.Recipient) error { n++; return nil }); err != nil || n != 120 {
		t.Fatalf("EachRecipient saw %d, %v", n, err)
	}
}

func TestTakeSlotIsACeiling(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	const interval = 20 * time.Millisecond
	var mu sync.Mutex
	var slots []time.Time
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 12 {
				at, err := st.TakeSlot(ctx, "test", interval)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				slots = append(slots, at)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.SortFunc(slots, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(slots); i++ {
		if gap := slots[i].Sub(slots[i-1]); gap < interval {
			t.Fatalf("slots %d and %d are %v apart, want at least %v", i-1, i, gap, interval)
		}
	}
	if len(slots) != 60 {
		t.Fatalf("got %d slots, want 60", len(slots))
	}
}

func TestLinkReplyOnceWithinTheWindow(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	b := newBlast("b3")
	b.SentAt, b.ReplyWindow = t0, time.Hour
	if err := st.CreateBlast(ctx, b); err != nil {
		t.Fatal(err)
	}
	r := blast.Recipient{Phone: "+8613800000009", Seq: 0}
	if err := st.PutRecipients(ctx, "b3", []blast.Recipient{r}); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.ClaimRecipient(ctx, "b3", r, t0); !ok || err != nil {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	if err := st.RecordBlastSent(ctx, "b3", r, "pid-3", t0); err != nil {
		t.Fatal(err)
	}
	reply := blast.Reply{SourceID: "in-1", Phone: r.Phone, Body: "几点来水？", At: t0.Add(30 * time.Minute)}
	for range 2 {
		if id, err := st.LinkReply(ctx, "pid-3", reply); err != nil || id != "b3" {
			t.Fatalf("LinkReply = %q, %v", id, err)
		}
	}
	late := reply
	late.SourceID, late.At = "in-2", t0.Add(2*time.Hour)
	if _, err := st.LinkReply(ctx, "pid-3", late); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("LinkReply after the window = %v, want ErrNotFound", err)
	}
	if _, err := st.LinkReply(ctx, "pid-unknown", reply); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("LinkReply to no blast = %v, want ErrNotFound", err)
	}
	rs, err := st.Replies(ctx, "b3")
	if err != nil || len(rs) != 1 || rs[0].Body != reply.Body {
		t.Fatalf("Replies = %+v, %v", rs, err)
	}
	if c, err := st.BlastCounts(ctx, "b3"); err != nil || c.Replied != 1 || c.Sent != 1 {
		t.Fatalf("counts = %+v, %v", c, err)
	}
}
