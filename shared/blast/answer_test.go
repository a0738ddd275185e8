package blast_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// flakySettle loses the record of the first few settled targets, as a
// sender that stopped between a text and its record would.
type flakySettle struct {
	blast.AnswerStore
	lose atomic.Int32
}

func (f *flakySettle) SettleBlastAnswerTarget(ctx context.Context, a *blast.Answer, t blast.Target) error {
	if f.lose.Add(-1) >= 0 {
		return errors.New("settle lost")
	}
	return f.AnswerStore.SettleBlastAnswerTarget(ctx, a, t)
}

// slotLog records the pace slots handed out.
type slotLog struct {
	blast.Pacer
	mu    sync.Mutex
	slots []time.Time
}

func (l *slotLog) TakeSlot(ctx context.Context, key string, interval time.Duration) (time.Time, error) {
	at, err := l.Pacer.TakeSlot(ctx, key, interval)
	if err == nil {
		l.mu.Lock()
		l.slots = append(l.slots, at)
		l.mu.Unlock()
	}
	return at, err
}

// replied sends a blast of n to its end, then has every number reply with
// body(i) through the SMS channel (the first dup numbers twice): it
// returns the ticket of each number's last reply.
func (r *rig) replied(tb testing.TB, id string, n, dup int, body func(int) string) map[string]ticket.ID {
	tb.Helper()
	ctx := context.Background()
	r.plant(tb, id, n, blast.Outage, ticket.QuietHours{}, 1000)
	w := r.worker()
	for c := range (n + blast.ChunkSize - 1) / blast.ChunkSize {
		if err := w.Chunk(ctx, blast.Job{Blast: id, Chunk: c}); err != nil {
			tb.Fatal(err)
		}
	}
	sent := map[string]string{}
	if err := r.store.EachRecipient(ctx, id, func(rc blast.Recipient) error { sent[rc.Phone] = rc.ProviderID; return nil }); err != nil {
		tb.Fatal(err)
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	in := &intake.Service{Store: r.store, Rules: ticket.MustDefaultRules(shanghai), Region: "CN"}
	svc := sms.New(r.store, in, sms.MustDefaultKeywords(), r.book, "CN")
	tickets := map[string]ticket.ID{}
	for i := range n + dup {
		p := phone(i % n)
		m := sms.Message{Provider: sms.EndUserMessaging, ID: fmt.Sprintf("%s-in-%d", id, i), From: p, Body: body(i % n), ReplyTo: sent[p], At: time.Now().UTC()}
		out, err := svc.Handle(ctx, m, false)
		if err != nil {
			tb.Fatalf("reply %d: %v", i, err)
		}
		tickets[p] = out.Ticket.ID
	}
	return tickets
}

// TestAnswerGroup answers the questions of a blast's incident with one
// reply, through two senders, one killed mid-way and started again, every
// chunk delivered three times, and the record of the first texts lost:
// each asker who has not opted out gets the answer once, on their ticket,
// at the blast's pace; nobody else gets it.
func TestAnswerGroup(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	const n, dup, pace = 150, 20, 5.0
	body := func(i int) string {
		switch i % 3 {
		case 0:
			return fmt.Sprintf("Does this affect building %d?", i%9)
		case 1:
			return "谢谢，收到"
		}
		return "又停水？我要投诉！"
	}
	tickets := r.replied(t, "ans", n, dup, body)
	var askers, optedOut []string
	for i := 0; i < n; i += 3 {
		askers = append(askers, phone(i))
	}
	for _, p := range askers[:7] {
		if _, err := r.store.SetOptOut(ctx, p, true, time.Now()); err != nil {
			t.Fatal(err)
		}
		optedOut = append(optedOut, p)
	}
	// Answers go at the blast's pace.
	b, err := r.store.Blast(ctx, "ans")
	if err != nil {
		t.Fatal(err)
	}
	prev := b.Version
	b.Pace, b.Version = pace, b.Version+1
	if err := r.store.SaveBlast(ctx, b, prev); err != nil {
		t.Fatal(err)
	}

	h := blast.NewHandler(r.service())
	_, inc := call(t, h, &supervisor, "GET", "/staff/blasts/ans/replies", "")
	group := ""
	for _, g := range inc["groups"].([]any) {
		g := g.(map[string]any)
		if g["class"] == string(blast.ClassQuestion) {
			group = g["key"].(string)
		}
	}
	if group == "" {
		t.Fatalf("no question group in %v", inc["groups"])
	}
	ask := fmt.Sprintf(`{"group":%q,"text":"Buildings 1 to 8 are all affected; water is back at 17:00."}`, group)
	if code, _ := call(t, h, &agent, "POST", "/staff/blasts/ans/replies/answer", ask); code != http.StatusForbidden {
		t.Errorf("agent answering: %d, want 403", code)
	}
	if code, out := call(t, h, &supervisor, "POST", "/staff/blasts/ans/replies/answer", `{"group":"nobody:asked","text":"x"}`); code != http.StatusBadRequest {
		t.Errorf("answering no group: %d %v, want 400", code, out)
	}
	code, a := call(t, h, &supervisor, "POST", "/staff/blasts/ans/replies/answer", ask)
	if code != http.StatusAccepted || int(a["targets"].(float64)) != len(askers) {
		t.Fatalf("answer: %d %v, want 202 with %d targets", code, a, len(askers))
	}
	id := a["id"].(string)
	// The request retried: the same answer, queued again.
	if code, again := call(t, h, &supervisor, "POST", "/staff/blasts/ans/replies/answer", ask); code != http.StatusOK || again["id"] != id {
		t.Errorf("answer retried: %d %v, want 200 with id %s", code, again, id)
	}
	// And every chunk delivered once more.
	chunks := int(a["chunks"].(float64))
	jobs := make([]blast.Job, chunks)
	for i := range jobs {
		jobs[i] = blast.Job{Blast: "ans", Chunk: i, Answer: id}
	}
	if err := r.queue.Enqueue(ctx, jobs, 0); err != nil {
		t.Fatal(err)
	}

	answers := &phoneBook{}
	w := r.worker()
	w.Sender = &outbound.Service{Store: r.store, Texts: answers}
	flaky := &flakySettle{AnswerStore: r.store}
	flaky.lose.Store(3)
	w.Answers = flaky
	pacer := &slotLog{Pacer: r.store}
	w.Pacer = pacer
	p := r.poller(w)
	ins := []*instance{start(p), start(p)}
	for answers.total() < len(askers)/3 {
		time.Sleep(10 * time.Millisecond)
	}
	ins[0].kill()
	ins[0] = start(p)
	var st *blast.AnswerStatus
	for deadline := time.Now().Add(2 * time.Minute); ; {
		if st, err = r.store.BlastAnswer(ctx, "ans", id); err != nil {
			t.Fatal(err)
		}
		if st.Done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("answer not done: %+v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, in := range ins {
		in.kill()
	}

	if want := (blast.AnswerCounts{Sent: len(askers) - len(optedOut), OptedOut: len(optedOut)}); st.Counts != want {
		t.Errorf("counts = %+v, want %+v", st.Counts, want)
	}
	for i := range n {
		p := phone(i)
		want := 0
		if i%3 == 0 && !slices.Contains(optedOut, p) {
			want = 1
		}
		if got := answers.count(p); got != want {
			t.Errorf("replier %d got the answer %d times, want %d", i, got, want)
		}
		tk, err := r.store.View(ctx, tickets[p])
		if err != nil {
			t.Fatal(err)
		}
		recorded := 0
		for _, m := range tk.Messages {
			if m.Meta["answer"] == id {
				recorded++
				if m.Direction != ticket.Outbound || m.Automatic || m.Meta["purpose"] != string(outbound.Reply) || m.SourceID == "" {
					t.Errorf("replier %d: answer recorded as %+v", i, m)
				}
			}
		}
		for _, e := range tk.History {
			if e.Type == ticket.EventReplySent && e.Actor != supervisor.Actor() && slices.ContainsFunc(tk.Messages, func(m ticket.Message) bool { return m.ID == e.MessageID && m.Meta["answer"] == id }) {
				t.Errorf("replier %d: answer's event by %q, want %q", i, e.Actor, supervisor.Actor())
			}
		}
		if recorded != want {
			t.Errorf("replier %d: answer recorded %d times on ticket %s, want %d", i, recorded, tk.Ref, want)
		}
	}
	// Never before its slot: the k-th text goes no sooner than the k-th
	// slot handed out, and slots are 1/pace apart.
	sends := slices.Clone(answers.at)
	slices.SortFunc(sends, func(a, b time.Time) int { return a.Compare(b) })
	slots := slices.Clone(pacer.slots)
	slices.SortFunc(slots, func(a, b time.Time) int { return a.Compare(b) })
	if len(slots) < len(sends) {
		t.Fatalf("%d slots for %d texts", len(slots), len(sends))
	}
	for k := range sends {
		if sends[k].Add(time.Millisecond).Before(slots[k]) {
			t.Fatalf("text %d went %v before slot %d", k, slots[k].Sub(sends[k]), k)
		}
		if k > 0 && slots[k].Sub(slots[k-1]) < time.Duration(float64(time.Second)/pace)-time.Microsecond {
			t.Fatalf("slots %d and %d only %v apart at pace %v", k-1, k, slots[k].Sub(slots[k-1]), pace)
		}
	}
	// Never faster than the pace: texts within any three seconds stay
	// under three seconds' worth, with a fifth for the time between a
	// slot and its text (unpaced, two senders go several times faster).
	at := sends
	const window = 3 * time.Second
	most := 0
	for i := range at {
		j := i
		for j < len(at) && at[j].Sub(at[i]) < window {
			j++
		}
		most = max(most, j-i)
	}
	t.Logf("%d answers, at most %d within %v, pace %v a second", len(at), most, window, pace)
	if limit := int(pace*window.Seconds()*1.2) + 1; most > limit {
		t.Errorf("%d answers within %v, want at most %d at pace %v", most, window, limit, pace)
	}
	// The incident shows the answer's progress.
	_, inc = call(t, h, &supervisor, "GET", "/staff/blasts/ans/replies", "")
	list, _ := inc["answers"].([]any)
	if len(list) != 1 {
		t.Fatalf("incident answers = %v, want one", inc["answers"])
	}
	shown := list[0].(map[string]any)
	if shown["done"] != true || int(shown["counts"].(map[string]any)["sent"].(float64)) != st.Counts.Sent {
		t.Errorf("incident shows %v, want done with %d sent", shown, st.Counts.Sent)
	}
}

// TestAnswerAll answers every replier of an incident once, whatever
// groups they replied in.
func TestAnswerAll(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	const n = 60
	body := func(i int) string {
		return []string{fmt.Sprintf("请问%d号楼也停水吗？", i), "谢谢", "ok thanks"}[i%3]
	}
	tickets := r.replied(t, "all", n, n, body)
	svc := r.service()
	// The same request twice at once: one answer, one set of targets.
	var (
		wg      sync.WaitGroup
		made    [2]*blast.AnswerStatus
		created [2]bool
		errs    [2]error
	)
	for i := range 2 {
		wg.Go(func() {
			made[i], created[i], errs[i] = svc.AnswerReplies(ctx, supervisor, "all", "", blast.AnswerDraft{Group: blast.AllReplies, Text: "水已恢复。"})
		})
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || created[0] == created[1] || made[0].ID != made[1].ID || made[0].Targets != n {
		t.Fatalf("AnswerReplies twice at once = %+v %v %v, %+v %v %v; want one created, %d targets", made[0], created[0], errs[0], made[1], created[1], errs[1], n)
	}
	st := made[0]
	if !created[0] {
		st = made[1]
	}
	answers := &phoneBook{}
	w := r.worker()
	w.Sender = &outbound.Service{Store: r.store, Texts: answers}
	for c := range st.Chunks {
		for range 2 {
			if err := w.Chunk(ctx, blast.Job{Blast: "all", Chunk: c, Answer: st.ID}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range n {
		if got := answers.count(phone(i)); got != 1 {
			t.Errorf("replier %d got the answer %d times, want 1", i, got)
		}
	}
	st, err := r.store.BlastAnswer(ctx, "all", st.ID)
	if err != nil || !st.Done || st.Counts != (blast.AnswerCounts{Sent: n}) {
		t.Errorf("BlastAnswer = %+v, %v; want done, %d sent", st, err, n)
	}
	if len(tickets) != n {
		t.Errorf("%d tickets, want %d", len(tickets), n)
	}
}

func TestTargets(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	rs := []blast.Reply{
		{SourceID: "s1", Phone: "+2", Body: "Does this affect building 3?", At: at},
		{SourceID: "s2", Phone: "+1", Body: "does this affect building 4", At: at},
		{SourceID: "s3", Phone: "+2", Body: "谢谢", At: at.Add(time.Minute)},
		{SourceID: "s4", Phone: "+1", Body: "Does this affect building 3?", At: at.Add(2 * time.Minute)},
	}
	tests := []struct {
		group string
		want  []blast.Target
		ok    bool
	}{
		{"question:doesthisaffectbuilding#", []blast.Target{
			{Seq: 0, Phone: "+1", SourceID: "s2", Status: blast.Pending}, {Seq: 1, Phone: "+2", SourceID: "s1", Status: blast.Pending},
		}, true},
		{blast.AllReplies, []blast.Target{
			{Seq: 0, Phone: "+1", SourceID: "s4", Status: blast.Pending}, {Seq: 1, Phone: "+2", SourceID: "s3", Status: blast.Pending},
		}, true},
		{"thanks", []blast.Target{{Seq: 0, Phone: "+2", SourceID: "s3", Status: blast.Pending}}, true},
		{"complaint:x", nil, false},
	}
	for _, tt := range tests {
		got, ok := blast.Targets(rs, tt.group)
		if ok != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("Targets(%q) = %+v, %v, want %+v, %v", tt.group, got, ok, tt.want, tt.ok)
		}
	}
}
