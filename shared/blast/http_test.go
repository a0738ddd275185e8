package blast_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func segments(text string) (int, string) { c := sms.Count(text); return c.Parts, string(c.Encoding) }

var (
	agent      = identity.Staff{Subject: "a1", Roles: []identity.Role{identity.Agent}, Queues: []string{"billing"}}
	supervisor = identity.Staff{Subject: "s1", Roles: []identity.Role{identity.Supervisor}}
	admin      = identity.Staff{Subject: "ad1", Roles: []identity.Role{identity.Admin}}
)

func (r *rig) service() *blast.Service {
	return &blast.Service{Store: r.store, Queue: r.queue, OptOuts: r.store, Answers: r.store, Count: segments, Region: "CN", Zone: "Asia/Shanghai",
		Quiet: ticket.QuietHours{}, Pace: 50}
}

// call serves one request as member of staff by (nobody when by is nil)
// and decodes the JSON answer.
func call(tb testing.TB, h http.Handler, by *identity.Staff, method, path, body string) (int, map[string]any) {
	tb.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if by != nil {
		req = req.WithContext(identity.With(req.Context(), *by))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		tb.Fatalf("%s %s: answer %q is not JSON: %v", method, path, rec.Body.String(), err)
	}
	return rec.Code, out
}

func TestStaffCreateAndPlan(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if _, err := r.store.SetOptOut(ctx, "+8613900000003", true, time.Now()); err != nil {
		t.Fatal(err)
	}
	h := blast.NewHandler(r.service())
	list := `[{"phone":"13900000001","name":"王","language":"zh"},{"phone":"+86 139 0000 0002","language":"en"},` +
		`{"phone":"13900000003"},{"phone":"12345"},{"phone":"13900000001"}]`
	create := `{"kind":"outage","window":{"quiet":"00:00-00:00"},"text":{"zh":"明日9时至17时停水，请储水。","en":"Water off tomorrow 9-17."},"audience":` + list + `}`

	tests := []struct {
		name string
		by   *identity.Staff
		body string
		want int
	}{
		{"nobody signed in", nil, create, http.StatusUnauthorized},
		{"an agent", &agent, create, http.StatusForbidden},
		{"a supervisor's emergency", &supervisor, strings.Replace(create, "outage", "emergency", 1), http.StatusForbidden},
		{"no text", &supervisor, `{"kind":"outage","text":{},"audience":` + list + `}`, http.StatusBadRequest},
		{"no audience", &supervisor, `{"kind":"outage","text":{"zh":"停水"}}`, http.StatusBadRequest},
		{"unknown field", &supervisor, `{"kind":"outage","txt":{"zh":"停水"}}`, http.StatusBadRequest},
		{"pace too high", &supervisor, `{"kind":"outage","text":{"zh":"停水"},"pace":500,"audience":` + list + `}`, http.StatusBadRequest},
		{"an admin's emergency", &admin, strings.Replace(create, "outage", "emergency", 1), http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := call(t, h, tt.by, "POST", "/staff/blasts", tt.body)
			if code != tt.want {
				t.Errorf("POST /staff/blasts = %d %v, want %d", code, out, tt.want)
			}
		})
	}

	code, out := call(t, h, &supervisor, "POST", "/staff/blasts", create)
	if code != http.StatusCreated {
		t.Fatalf("create = %d %v", code, out)
	}
	id := out["id"].(string)
	code, st := call(t, h, &agent, "GET", "/staff/blasts/"+id, "")
	if code != http.StatusOK {
		t.Fatalf("GET = %d %v", code, st)
	}
	plan := st["plan"].(map[string]any)
	removed := st["removed"].(map[string]any)
	if plan["Recipients"] != 2.0 || removed["invalid"] != 1.0 || removed["duplicates"] != 1.0 || removed["optedOut"] != 1.0 {
		t.Errorf("plan %v, removed %v; want 2 recipients, 1 invalid, 1 duplicate, 1 opted out", plan, removed)
	}
	problems := st["problems"].([]any)
	if len(problems) != 2 || problems[0].(map[string]any)["Line"] != 4.0 || problems[1].(map[string]any)["FirstLine"] != 1.0 {
		t.Errorf("problems = %v, want line 4 invalid and line 5 a duplicate of line 1", problems)
	}
	// The zh text is 14 characters (UCS-2, one part), the en one GSM-7.
	if plan["Segments"] != 2.0 || plan["Duration"] != float64(time.Second) {
		t.Errorf("plan = %v, want 2 segments over 1 s at 50 a second", plan)
	}
	if code, _ := call(t, h, &agent, "POST", "/staff/blasts/"+id+"/send", ""); code != http.StatusForbidden {
		t.Errorf("agent send = %d, want 403", code)
	}
	if code, _ := call(t, h, &supervisor, "POST", "/staff/blasts/"+id+"/resume", ""); code != http.StatusConflict {
		t.Errorf("resume a planned blast = %d, want 409", code)
	}
	if code, _ := call(t, h, &supervisor, "POST", "/staff/blasts/"+id+"/explode", ""); code != http.StatusNotFound {
		t.Errorf("unknown action = %d, want 404", code)
	}
	if code, _ := call(t, h, &supervisor, "GET", "/staff/blasts/nope", ""); code != http.StatusNotFound {
		t.Errorf("GET unknown blast = %d, want 404", code)
	}
	if code, st := call(t, h, &supervisor, "POST", "/staff/blasts/"+id+"/send", ""); code != http.StatusOK || st["state"] != "sending" {
		t.Fatalf("send = %d %v", code, st)
	}
	if code, _ := call(t, h, &supervisor, "POST", "/staff/blasts/"+id+"/send", ""); code != http.StatusConflict {
		t.Errorf("send twice = %d, want 409", code)
	}
	in := start(r.poller(r.worker()))
	defer in.kill()
	waitState(t, r.store, id, blast.Done, time.Minute)
	if r.book.count("+8613900000001") != 1 || r.book.count("+8613900000002") != 1 || r.book.count("+8613900000003") != 0 {
		t.Errorf("texts = %v", r.book.texts)
	}
}

// TestPauseResumeCancel pauses a blast mid-send, resumes it, and cancels it.
func TestPauseResumeCancel(t *testing.T) {
	r := newRig(t)
	h := blast.NewHandler(r.service())
	var list []string
	for i := range 400 {
		list = append(list, fmt.Sprintf(`{"phone":"%s"}`, phone(i)))
	}
	code, out := call(t, h, &supervisor, "POST", "/staff/blasts", `{"kind":"notice","pace":40,"window":{"quiet":"00:00-00:00"},"text":{"en":"Meter reading on Monday"},"audience":[`+strings.Join(list, ",")+`]}`)
	if code != http.StatusCreated {
		t.Fatalf("create = %d %v", code, out)
	}
	id := out["id"].(string)
	p := r.poller(r.worker())
	ins := []*instance{start(p), start(p)}
	defer func() {
		for _, in := range ins {
			in.kill()
		}
	}()
	if code, st := call(t, h, &supervisor, "POST", "/staff/blasts/"+id+"/send", ""); code != http.StatusOK {
		t.Fatalf("send = %d %v", code, st)
	}
	waitTexts(t, r.book, 40)
	if code, st := call(t, h, &supervisor, "POST", "/staff/blasts/"+id+"/pause", ""); code != http.StatusOK || st["state"] != "paused" {
		t.Fatalf("pause = %d %v", code, st)
	}
	// A text already past its last check may still go; nothing after.
	time.Sleep(300 * time.Millisecond)
	paused := r.book.total()
	time.Sleep(time.Second)
	if got := r.book.total(); got != paused {
		t.Fatalf("texts went on while paused: %d, then %d", paused, got)
	}
	if code, st := call(t, h, &supervisor, "POST", "/staff/blasts/"+id+"/resume", ""); code != http.StatusOK || st["state"] != "sending" {
		t.Fatalf("resume = %d %v", code, st)
	}
	waitTexts(t, r.book, paused+40)
	if code, st := call(t, h, &supervisor, "POST", "/staff/blasts/"+id+"/cancel", ""); code != http.StatusOK || st["state"] != "cancelled" {
		t.Fatalf("cancel = %d %v", code, st)
	}
	time.Sleep(300 * time.Millisecond)
	cancelled := r.book.total()
	time.Sleep(time.Second)
	if got := r.book.total(); got != cancelled || got >= 400 {
		t.Fatalf("texts after cancel: %d, then %d (of 400)", cancelled, got)
	}
	for i := range 400 {
		if n := r.book.count(phone(i)); n > 1 {
			t.Errorf("recipient %d texted %d times", i, n)
		}
	}
	_, st := call(t, h, &supervisor, "GET", "/staff/blasts/"+id, "")
	if c := st["counts"].(map[string]any); c["sent"] != float64(cancelled) {
		t.Errorf("counts %v, want sent %d", c, cancelled)
	}
	if code, _ := call(t, h, &supervisor, "POST", "/staff/blasts/"+id+"/resume", ""); code != http.StatusConflict {
		t.Errorf("resume a cancelled blast = %d, want 409", code)
	}
}

func waitTexts(tb testing.TB, b *phoneBook, n int) {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for b.total() < n {
		if time.Now().After(deadline) {
			tb.Fatalf("%d texts after a minute, want %d", b.total(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// heldJobs records what the sender queues again.
type heldJobs struct {
	mu     sync.Mutex
	jobs   []blast.Job
	delays []time.Duration
}

func (q *heldJobs) Enqueue(_ context.Context, jobs []blast.Job, delay time.Duration) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs = append(q.jobs, jobs...)
	for range jobs {
		q.delays = append(q.delays, delay)
	}
	return nil
}

// TestQuietHoursHold holds a notice at 23:00 in Shanghai and queues it
// again for 08:00; an emergency goes at once, and says so.
func TestQuietHoursHold(t *testing.T) {
	r := newRig(t)
	night := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC) // 23:00 Asia/Shanghai
	for _, tt := range []struct {
		kind  blast.Kind
		texts int
		held  bool
	}{{blast.Notice, 0, true}, {blast.Emergency, 10, false}} {
		t.Run(string(tt.kind), func(t *testing.T) {
			r.book = &phoneBook{}
			id := "quiet-" + string(tt.kind)
			b := r.plant(t, id, 10, tt.kind, ticket.DefaultQuietHours, 100)
			q := &heldJobs{}
			w := r.worker()
			w.Queue, w.Now = q, func() time.Time { return night }
			if err := w.Chunk(context.Background(), blast.Job{Blast: id, Chunk: 0}); err != nil {
				t.Fatal(err)
			}
			if got := r.book.total(); got != tt.texts {
				t.Errorf("%s at 23:00: %d texts, want %d", tt.kind, got, tt.texts)
			}
			if tt.held && (len(q.jobs) != 1 || q.delays[0] != blast.MaxDelay) {
				t.Errorf("held %s queued again %v with delays %v, want one job held %v", tt.kind, q.jobs, q.delays, blast.MaxDelay)
			}
			if !tt.held && len(q.jobs) != 0 {
				t.Errorf("emergency queued again: %v", q.jobs)
			}
			if tt.kind == blast.Emergency && !strings.Contains(b.History[0].Detail, "emergency") {
				t.Errorf("emergency history %+v does not say it skipped quiet hours", b.History)
			}
		})
	}
	// Ten minutes before 08:00 the hold is ten minutes.
	id := "quiet-morning"
	r.plant(t, id, 3, blast.Billing, ticket.DefaultQuietHours, 100)
	q := &heldJobs{}
	w := r.worker()
	w.Queue, w.Now = q, func() time.Time { return time.Date(2026, 11, 23, 23, 50, 0, 0, time.UTC) }
	if err := w.Chunk(context.Background(), blast.Job{Blast: id, Chunk: 0}); err != nil {
		t.Fatal(err)
	}
	if len(q.delays) != 1 || q.delays[0] != 10*time.Minute {
		t.Errorf("07:50 hold delays %v, want 10m", q.delays)
	}
}
