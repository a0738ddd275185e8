package blast_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/sqspoll"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/blastsender"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// phoneBook is a fake SMS provider: it counts the texts each number got.
type phoneBook struct {
	mu    sync.Mutex
	texts map[string]int
	seq   int
	at    []time.Time
}

func (p *phoneBook) Send(ctx context.Context, to, body string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.texts == nil {
		p.texts = map[string]int{}
	}
	p.texts[to]++
	p.seq++
	p.at = append(p.at, time.Now())
	return fmt.Sprintf("prov-%d", p.seq), nil
}

func (p *phoneBook) count(phone string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.texts[phone]
}

func (p *phoneBook) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seq
}

// rig is a blast store on DynamoDB Local and a send queue on fauxqs.
type rig struct {
	store    *dynamo.Store
	sqs      *sqs.Client
	queueURL string
	queueARN string
	queue    *blastsender.Queue
	book     *phoneBook
}

func newRig(tb testing.TB) *rig {
	tb.Helper()
	st, _ := testenv.Table(tb)
	sqsc := awslocal.SQS(testenv.Endpoint(tb, testenv.EnvFauxqs))
	ctx := context.Background()
	name := "blast-" + strings.ToLower(string(ticket.NewID(time.Now())))
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		tb.Fatalf("create queue: %v", err)
	}
	attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		tb.Fatalf("read queue: %v", err)
	}
	tb.Cleanup(func() { _, _ = sqsc.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}) })
	return &rig{
		store: st, sqs: sqsc, queueURL: aws.ToString(q.QueueUrl), queueARN: attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)],
		queue: &blastsender.Queue{Client: sqsc, URL: aws.ToString(q.QueueUrl)}, book: &phoneBook{},
	}
}

func (r *rig) worker() *blast.Worker {
	return &blast.Worker{Store: r.store, Pacer: r.store, Queue: r.queue, Sender: &outbound.Service{Store: r.store, Texts: r.book},
		OptOuts: r.store, Answers: r.store, PaceKey: "test"}
}

func (r *rig) poller(w *blast.Worker) *sqspoll.Poller {
	return &sqspoll.Poller{SQS: r.sqs, QueueURL: r.queueURL, QueueARN: r.queueARN, Region: awslocal.Region, Handler: w.Handle, Batch: 2, Visibility: 2}
}

func phone(i int) string { return fmt.Sprintf("+86139%08d", i) }

// plant stores a sending blast of n recipients and queues its chunks.
func (r *rig) plant(tb testing.TB, id string, n int, kind blast.Kind, quiet ticket.QuietHours, pace float64) *blast.Blast {
	tb.Helper()
	ctx := context.Background()
	at := time.Now().UTC()
	b := &blast.Blast{
		ID: id, Kind: kind, Texts: map[string]string{string(ticket.SimplifiedChinese): "明日9时至17时停水", string(ticket.English): "Water off tomorrow 9-17"},
		DefaultLanguage: string(ticket.SimplifiedChinese), Pace: pace, State: blast.Planned, Quiet: quiet, Zone: "Asia/Shanghai",
		Plan: blast.Plan{Recipients: n}, Chunks: (n + blast.ChunkSize - 1) / blast.ChunkSize, CreatedAt: at, Version: 1,
	}
	rs := make([]blast.Recipient, n)
	for i := range rs {
		rs[i] = blast.Recipient{Phone: phone(i), Seq: i}
		if i%3 == 0 {
			rs[i].Language = string(ticket.English)
		}
	}
	if err := r.store.PutRecipients(ctx, id, rs); err != nil {
		tb.Fatal(err)
	}
	if err := b.Apply(blast.Send, "staff:s1", at, ""); err != nil {
		tb.Fatal(err)
	}
	if err := r.store.CreateBlast(ctx, b); err != nil {
		tb.Fatal(err)
	}
	if err := r.queue.Enqueue(ctx, blast.Jobs(b), 0); err != nil {
		tb.Fatal(err)
	}
	return b
}

// instance is one sender that can be killed and started again.
type instance struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func start(p *sqspoll.Poller) *instance {
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(in.done)
		p.Run(ctx, nil)
	}()
	return in
}

func (in *instance) kill() { in.cancel(); <-in.done }

func waitState(tb testing.TB, st *dynamo.Store, id string, want blast.State, limit time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for {
		s, err := st.BlastState(context.Background(), id)
		if err != nil {
			tb.Fatal(err)
		}
		if s == want {
			return
		}
		if time.Now().After(deadline) {
			c, _ := st.BlastCounts(context.Background(), id)
			tb.Fatalf("blast %s still %s after %v (counts %+v), want %s", id, s, limit, c, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSendEveryoneOnceThroughKills sends a 5,000-recipient blast with
// three senders, two of them killed and started again mid-send, every
// chunk queued twice (a redelivery), and a hundred numbers opted out
// after planning.
func TestSendEveryoneOnceThroughKills(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 texts: not under -short")
	}
	r := newRig(t)
	ctx := context.Background()
	const n = 5000
	b := r.plant(t, "big", n, blast.Notice, ticket.QuietHours{}, 1000)
	optedOut := map[string]bool{}
	for i := 7; i < n; i += 50 {
		if _, err := r.store.SetOptOut(ctx, phone(i), true, time.Now()); err != nil {
			t.Fatal(err)
		}
		optedOut[phone(i)] = true
	}
	// Every chunk delivered twice.
	if err := r.queue.Enqueue(ctx, blast.Jobs(b), 0); err != nil {
		t.Fatal(err)
	}
	p := r.poller(r.worker())
	ins := []*instance{start(p), start(p), start(p)}
	for kill := range 2 {
		for r.book.total() < (kill+1)*n/3 {
			time.Sleep(20 * time.Millisecond)
		}
		ins[kill].kill()
		ins[kill] = start(p)
	}
	waitState(t, r.store, "big", blast.Done, 5*time.Minute)
	for _, in := range ins {
		in.kill()
	}
	for i := range n {
		want := 1
		if optedOut[phone(i)] {
			want = 0
		}
		if got := r.book.count(phone(i)); got != want {
			t.Errorf("recipient %d texted %d times, want %d", i, got, want)
		}
	}
	c, err := r.store.BlastCounts(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	if want := (blast.Counts{Sent: n - len(optedOut), OptedOut: len(optedOut)}); c != want {
		t.Errorf("counts = %+v, want %+v", c, want)
	}
	// Every text is recorded so a reply finds the blast.
	err = r.store.EachRecipient(ctx, "big", func(rc blast.Recipient) error {
		if optedOut[rc.Phone] {
			if rc.Status != blast.Skipped {
				t.Errorf("opted-out recipient %d is %s", rc.Seq, rc.Status)
			}
			return nil
		}
		id, ph, err := r.store.SentBlast(ctx, rc.ProviderID)
		if err != nil || id != "big" || ph != rc.Phone || rc.Status != blast.Sent {
			t.Errorf("recipient %d: status %s, SentBlast(%q) = %q, %v", rc.Seq, rc.Status, rc.ProviderID, id, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
