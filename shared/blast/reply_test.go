package blast_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// replyBodies are what customers text back after a stoppage notice.
var replyBodies = []string{
	"Does this affect building %d?",
	"请问%d号楼也停水吗？",
	"谢谢，收到",
	"又停水？我要投诉！",
	"Please stop sending me these",
	"ok thanks",
	"燃气泄漏了，有很大的煤气味 %d",
}

// TestRepliesJoinTheIncident sends a blast to 1,000 numbers, then every
// number replies (a hundred of them delivered twice): 1,000 tickets, each
// linked to the blast, grouped in its incident, the gas leak a P1.
func TestRepliesJoinTheIncident(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	const n = 1000
	r.plant(t, "rb", n, blast.Outage, ticket.QuietHours{}, 1000)
	w := r.worker()
	for c := range n / blast.ChunkSize {
		if err := w.Chunk(ctx, blast.Job{Blast: "rb", Chunk: c}); err != nil {
			t.Fatal(err)
		}
	}
	sent := map[string]string{}
	if err := r.store.EachRecipient(ctx, "rb", func(rc blast.Recipient) error { sent[rc.Phone] = rc.ProviderID; return nil }); err != nil {
		t.Fatal(err)
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	in := &intake.Service{Store: r.store, Rules: ticket.MustDefaultRules(shanghai), Region: "CN"}
	svc := sms.New(r.store, in, sms.MustDefaultKeywords(), r.book, "CN")

	var mu sync.Mutex
	tickets := map[ticket.ID]*ticket.Ticket{}
	jobs := make(chan int)
	var wg sync.WaitGroup
	begin := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				body := replyBodies[i%len(replyBodies)]
				if i%len(replyBodies) == 0 || i%len(replyBodies) == 1 || i%len(replyBodies) == 6 {
					body = fmt.Sprintf(body, i%7)
				}
				m := sms.Message{Provider: sms.EndUserMessaging, ID: fmt.Sprintf("in-%d", i%n), From: phone(i % n), Body: body, ReplyTo: sent[phone(i%n)], At: time.Now().UTC()}
				out, err := svc.Handle(ctx, m, false)
				if err != nil {
					t.Errorf("reply %d: %v", i, err)
					continue
				}
				mu.Lock()
				tickets[out.Ticket.ID] = out.Ticket
				mu.Unlock()
			}
		}()
	}
	for i := range n + 100 {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(begin)
	t.Logf("%d replies (100 delivered twice) received in %v: %.0f a second", n+100, elapsed, float64(n+100)/elapsed.Seconds())

	if len(tickets) != n {
		t.Fatalf("%d tickets, want %d", len(tickets), n)
	}
	byPhone := map[string]*ticket.Ticket{}
	for _, tk := range tickets {
		if tk.BlastID != "rb" {
			t.Fatalf("ticket %s linked to blast %q, want rb", tk.Ref, tk.BlastID)
		}
		byPhone[tk.Contact.Phone] = tk
	}
	for i := range n {
		tk := byPhone[phone(i)]
		switch {
		case tk == nil:
			t.Fatalf("no ticket for recipient %d", i)
		case i%len(replyBodies) == 6 && tk.Priority != ticket.P1:
			t.Errorf("gas leak reply %d is %s, want P1", i, tk.Priority)
		case i%len(replyBodies) == 0 && tk.Priority == ticket.P1:
			t.Errorf("building question %d is P1", i)
		}
	}
	inc, err := r.service().Incident(ctx, "rb")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("grouped %d replies in %v", n, inc.Grouping)
	if inc.Counts.Replied != n {
		t.Errorf("replied = %d, want %d", inc.Counts.Replied, n)
	}
	total := 0
	classes := map[blast.Class]int{}
	for _, g := range inc.Groups {
		total += g.Count
		classes[g.Class] += g.Count
	}
	if total != n {
		t.Errorf("groups hold %d replies, want %d", total, n)
	}
	// Building questions in both languages fold into one group each.
	if len(inc.Groups) > 8 {
		for _, g := range inc.Groups {
			t.Logf("group %q: %d", g.Key, g.Count)
		}
		t.Errorf("%d groups, want at most 8", len(inc.Groups))
	}
	if classes[blast.ClassOptOut] == 0 || classes[blast.ClassThanks] == 0 || classes[blast.ClassComplaint] == 0 || classes[blast.ClassQuestion] == 0 {
		t.Errorf("classes = %v, want opt-outs, thanks, complaints and questions", classes)
	}
	answerLargestQuestion(t, r, "rb", inc)
}

// answerLargestQuestion answers the incident's largest group of questions
// and checks that each of its repliers got the answer once, chunks
// delivered twice.
func answerLargestQuestion(t *testing.T, r *rig, id string, inc *blast.Incident) {
	t.Helper()
	ctx := context.Background()
	var g *blast.Group
	for i := range inc.Groups {
		if inc.Groups[i].Class == blast.ClassQuestion && (g == nil || inc.Groups[i].Count > g.Count) {
			g = &inc.Groups[i]
		}
	}
	if g == nil {
		t.Fatal("no question group")
	}
	svc := r.service()
	svc.Queue = &heldJobs{}
	st, created, err := svc.AnswerReplies(ctx, supervisor, id, "", blast.AnswerDraft{Group: g.Key, Text: "Only buildings 1-4 are affected."})
	if err != nil || !created || st.Targets != g.Count {
		t.Fatalf("AnswerReplies(%s) = %+v, %v, %v; want %d targets", g.Key, st, created, err, g.Count)
	}
	answers := &phoneBook{}
	w := r.worker()
	w.Sender = &outbound.Service{Store: r.store, Texts: answers}
	begin := time.Now()
	for c := range st.Chunks {
		for range 2 {
			if err := w.Chunk(ctx, blast.Job{Blast: id, Chunk: c, Answer: st.ID}); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("answered %d repliers of group %q in %v", st.Targets, g.Key, time.Since(begin))
	for _, rp := range g.Replies {
		if got := answers.count(rp.Phone); got != 1 {
			t.Errorf("replier got the answer %d times, want 1", got)
		}
	}
	if answers.total() != g.Count {
		t.Errorf("%d answers sent, want %d", answers.total(), g.Count)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		body string
		want blast.Class
	}{
		{"Does this affect building 3?", blast.ClassQuestion},
		{"请问3号楼也停吗", blast.ClassQuestion},
		{"谢谢", blast.ClassThanks},
		{"Thank you!", blast.ClassThanks},
		{"又停水，我要投诉", blast.ClassComplaint},
		{"please stop texting me", blast.ClassOptOut},
		{"退订", blast.ClassOptOut},
		{"水管", blast.ClassOther},
	}
	for _, tt := range tests {
		if got := blast.Classify(tt.body); got != tt.want {
			t.Errorf("Classify(%q) = %s, want %s", tt.body, got, tt.want)
		}
	}
	g := blast.GroupReplies([]blast.Reply{
		{Phone: "+1", Body: "Does this affect building 3?"}, {Phone: "+2", Body: "does this affect BUILDING 5"},
		{Phone: "+1", Body: "Does this affect building 3?"}, {Phone: "+3", Body: "谢谢"}, {Phone: "+4", Body: "ok thanks"},
	})
	if len(g) != 2 || g[0].Count != 2 || g[0].Class != blast.ClassQuestion || g[1].Count != 2 || g[1].Class != blast.ClassThanks {
		t.Errorf("GroupReplies = %+v", g)
	}
}

// TestKeywordOptOutsJoinTheIncident: 退订 and STOP answering a blast's
// texts opt the numbers out and join the incident as opt-outs, each once
// however often it is delivered; a question stays a ticket's reply.
func TestKeywordOptOutsJoinTheIncident(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.plant(t, "ko", 3, blast.Outage, ticket.QuietHours{}, 1000)
	if err := r.worker().Chunk(ctx, blast.Job{Blast: "ko", Chunk: 0}); err != nil {
		t.Fatal(err)
	}
	sent := map[string]string{}
	if err := r.store.EachRecipient(ctx, "ko", func(rc blast.Recipient) error { sent[rc.Phone] = rc.ProviderID; return nil }); err != nil {
		t.Fatal(err)
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	in := &intake.Service{Store: r.store, Rules: ticket.MustDefaultRules(shanghai), Region: "CN"}
	svc := sms.New(r.store, in, sms.MustDefaultKeywords(), r.book, "CN")
	for i, body := range []string{"退订", "STOP", "请问3号楼也停吗"} {
		m := sms.Message{Provider: sms.EndUserMessaging, ID: fmt.Sprintf("ko-%d", i), From: phone(i), Body: body, ReplyTo: sent[phone(i)], At: time.Now().UTC()}
		for range 2 {
			if _, err := svc.Handle(ctx, m, false); err != nil {
				t.Fatalf("reply %q: %v", body, err)
			}
		}
	}
	inc, err := r.service().Incident(ctx, "ko")
	if err != nil {
		t.Fatal(err)
	}
	classes := map[blast.Class]int{}
	for _, g := range inc.Groups {
		classes[g.Class] += g.Count
	}
	if inc.Counts.Replied != 3 || classes[blast.ClassOptOut] != 2 || classes[blast.ClassQuestion] != 1 {
		t.Fatalf("incident counts %+v, classes %v; want 3 replies, 2 opt-outs, 1 question", inc.Counts, classes)
	}
	for i := range 2 {
		if opted, err := r.store.OptedOut(ctx, phone(i)); err != nil || !opted {
			t.Errorf("%s opted out = %v, %v; want true", phone(i), opted, err)
		}
	}
}
