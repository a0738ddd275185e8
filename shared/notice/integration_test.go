package notice_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/emulator"
	"github.com/frontdesk/frontdesk/local/streams"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/customer"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/notice"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// create opens n tickets, eight at a time, and returns them by reference.
func create(tb testing.TB, svc *intake.Service, from, n int) map[ticket.Ref]*ticket.Ticket {
	tb.Helper()
	var mu sync.Mutex
	out := map[ticket.Ref]*ticket.Ticket{}
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := from; i < from+n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r, err := svc.Receive(context.Background(), inbound(i))
			if err != nil {
				tb.Errorf("Receive %d: %v", i, err)
				return
			}
			mu.Lock()
			out[r.Ticket.Ref] = r.Ticket
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// checkCreated checks that got holds one "created" notice per ticket,
// each once, with the ticket's attributes.
func checkCreated(tb testing.TB, tickets map[ticket.Ref]*ticket.Ticket, got []received) {
	tb.Helper()
	seen := map[ticket.Ref]int{}
	ids := map[string]bool{}
	for _, rc := range got {
		if rc.Event != ticket.EventCreated {
			tb.Errorf("notice %s is %q, want created", rc.ID, rc.Event)
			continue
		}
		if ids[rc.ID] {
			tb.Errorf("notice %s received twice", rc.ID)
		}
		ids[rc.ID] = true
		seen[rc.Ref]++
		tk, ok := tickets[rc.Ref]
		if !ok {
			tb.Errorf("notice for unknown ticket %s", rc.Ref)
			continue
		}
		want := map[string]string{
			"event": "created", "kind": string(tk.Kind), "priority": tk.Priority.String(), "channel": "web",
			"owner": tk.Owner, "vip": "false", "escalationLevel": "0", "urgent": map[bool]string{true: "true", false: "false"}[tk.Priority == ticket.P1],
		}
		for k, v := range want {
			if rc.Attrs[k] != v {
				tb.Errorf("notice for %s: attribute %s = %q, want %q", rc.Ref, k, rc.Attrs[k], v)
			}
		}
		if rc.TicketID != tk.ID || !slices.Equal(rc.Keywords, tk.Keywords) || len(rc.Keywords) == 0 && tk.Priority == ticket.P1 {
			tb.Errorf("notice for %s = %+v, want ticket %s with keywords %q", rc.Ref, rc.Notice, tk.ID, tk.Keywords)
		}
	}
	for ref := range tickets {
		if seen[ref] != 1 {
			tb.Errorf("ticket %s: %d created notices, want 1", ref, seen[ref])
		}
	}
}

func TestStreamToQueue500Tickets(t *testing.T) {
	r := newRig(t, testenv.Endpoint(t, testenv.EnvFauxqs), nil)
	all := r.subscribe(t, "")
	urgent := r.subscribe(t, `{"priority":["P1"]}`)
	r.start(t)
	const n = 500
	tickets := create(t, r.svc, 0, n)
	if len(tickets) != n {
		t.Fatalf("created %d tickets, want %d", len(tickets), n)
	}
	// Everything the notifier publishes for these tickets is in the queue
	// once the marker's notice, written after them, has arrived.
	mark := r.marker(t)
	got := until(t, r.sqs, all, mark, 2*time.Minute)
	if len(got) != n {
		t.Errorf("received %d notices, want %d: none lost, none sent twice", len(got), n)
	}
	checkCreated(t, tickets, got)

	p1 := 0
	for _, tk := range tickets {
		if tk.Priority == ticket.P1 {
			p1++
		}
	}
	if p1 == 0 || p1 == n {
		t.Fatalf("%d of %d tickets are P1: the filter is not tested", p1, n)
	}
	gotP1 := until(t, r.sqs, urgent, mark, time.Minute)
	if len(gotP1) != p1 {
		t.Errorf("P1 queue received %d notices, want %d", len(gotP1), p1)
	}
	for _, rc := range gotP1 {
		if rc.Priority != "P1" || rc.Attrs["priority"] != "P1" || !rc.Urgent {
			t.Errorf("P1 queue received %s notice for %s", rc.Priority, rc.Ref)
		}
	}
}

// TestSNSOutage stops the SNS emulator (its own, started here) while
// tickets are written, then starts it again: every notice arrives, and the
// batch responses during the outage name exactly the event records.
func TestSNSOutage(t *testing.T) {
	ctx := context.Background()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := emulator.FindRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	paths := emulator.Paths{Root: root}
	fq, err := emulator.Fauxqs(ctx, paths, 0)
	if err != nil {
		t.Fatalf("start own fauxqs: %v", err)
	}
	t.Cleanup(func() { fq.Stop() })
	port := fq.Port

	r := newRig(t, fq.URL, func(p *notice.Publisher) { p.Attempts = 2 })
	var gate sync.RWMutex
	invoke := r.poller.Invoke
	r.poller.Invoke = func(ctx context.Context, payload []byte) ([]byte, error) {
		gate.RLock()
		defer gate.RUnlock()
		return invoke(ctx, payload)
	}
	var mu sync.Mutex
	var calls []streams.Invocation
	r.poller.Observe = func(inv streams.Invocation) {
		mu.Lock()
		calls = append(calls, inv)
		mu.Unlock()
	}
	queue := r.subscribe(t, "")
	r.start(t)

	before := create(t, r.svc, 0, 30)
	got := drain(t, r.sqs, queue, len(before), time.Minute)
	if len(got) != len(before) {
		t.Fatalf("before the outage: received %d notices, want %d", len(got), len(before))
	}

	fq.Stop() // SNS is gone
	mu.Lock()
	from := len(calls)
	mu.Unlock()
	during := create(t, r.svc, 100, 30)
	// Wait until the notifier has failed on them at least twice.
	deadline := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		failedCalls := 0
		for _, c := range calls[from:] {
			if len(c.Response.BatchItemFailures) > 0 {
				failedCalls++
			}
		}
		mu.Unlock()
		if failedCalls >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the notifier never reported failures while SNS was down")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// SNS comes back empty on the same port; the topic and the queue are
	// made again, as a deployment has them. The notifier is held back
	// meanwhile so nothing is published to a topic without its queue.
	gate.Lock()
	fq2, err := emulator.Fauxqs(ctx, paths, port)
	if err != nil {
		gate.Unlock()
		t.Fatalf("restart fauxqs: %v", err)
	}
	t.Cleanup(func() { fq2.Stop() })
	if _, err := r.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(r.topic[strings.LastIndexByte(r.topic, ':')+1:])}); err != nil {
		gate.Unlock()
		t.Fatal(err)
	}
	queue = r.subscribe(t, "")
	gate.Unlock()

	after := drain(t, r.sqs, queue, len(during), time.Minute)
	checkCreated(t, during, after)

	// Every invocation during the outage named exactly its event records,
	// in stream order, and each retry started at the first failed record.
	mu.Lock()
	defer mu.Unlock()
	outage := 0
	for i, c := range calls[from:] {
		if i > 0 {
			if prev := calls[from+i-1]; len(prev.Response.BatchItemFailures) > 0 {
				if got, want := c.Records[0].Change.SequenceNumber, prev.Response.BatchItemFailures[0].ItemIdentifier; got != want {
					t.Errorf("retry starts at %s, not at the first failed record %s", got, want)
				}
			}
		}
		if len(c.Response.BatchItemFailures) == 0 {
			continue
		}
		outage++
		var want []string
		for _, rec := range c.Records {
			if notice.IsEvent(rec) {
				want = append(want, rec.Change.SequenceNumber)
			}
		}
		if got := failures(c.Response); !slices.Equal(got, want) {
			t.Errorf("outage batch of %d records: failures %v, want the event records %v", len(c.Records), got, want)
		}
	}
	if outage == 0 {
		t.Error("no invocation failed during the outage")
	}
}

// TestVIPNoticeTargetsAccountManager loads the customer directory, opens
// a ticket for a VIP and an ordinary one, and checks the VIP subscription
// gets only the VIP's notice, naming the account manager.
func TestVIPNoticeTargetsAccountManager(t *testing.T) {
	r := newRig(t, testenv.Endpoint(t, testenv.EnvFauxqs), nil)
	all := r.subscribe(t, "")
	vipQ := r.subscribe(t, `{"vip":["true"]}`)
	r.start(t)
	ctx := context.Background()
	// The marker's number is a VIP too, so its notice closes both queues.
	recs, err := customer.ParseCSV(strings.NewReader("phone,vip,accountManager\n139 0000 0001,yes,wang.fang\n139 1234 5678,yes,wang.fang\n"), "CN")
	if err != nil {
		t.Fatal(err)
	}
	dir := dynamo.NewDirectory(awslocal.DynamoDB(testenv.Endpoint(t, testenv.EnvDynamoDB)), r.store.Table())
	if err := dir.Put(ctx, recs); err != nil {
		t.Fatal(err)
	}
	r.svc.Directory = dir
	vip := create(t, r.svc, 1, 1)   // +8613900000001: in the directory
	plain := create(t, r.svc, 2, 1) // +8613900000002: not
	mark := r.marker(t)
	got := until(t, r.sqs, all, mark, time.Minute)
	if len(got) != 2 {
		t.Fatalf("received %d notices, want 2", len(got))
	}
	gotVIP := until(t, r.sqs, vipQ, mark, time.Minute)
	if len(gotVIP) != 1 {
		t.Fatalf("VIP queue received %d notices, want 1", len(gotVIP))
	}
	n := gotVIP[0]
	for ref := range vip {
		if n.Ref != ref {
			t.Errorf("VIP queue got %s, want %s", n.Ref, ref)
		}
	}
	for ref := range plain {
		if n.Ref == ref {
			t.Error("VIP queue got the ordinary customer's notice")
		}
	}
	if !n.VIP || n.AccountManager != "wang.fang" || n.Attrs["accountManager"] != "wang.fang" || !slices.Contains(n.Targets, "accountManager:wang.fang") {
		t.Errorf("VIP notice = %+v attrs %v, want the account manager targeted", n.Notice, n.Attrs)
	}
}
