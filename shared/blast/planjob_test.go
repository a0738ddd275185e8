package blast_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/blast"
)

// files keeps audience files in memory, as the bucket keeps them.
type files struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (f *files) UploadURL(_ context.Context, key string) (string, error) {
	return "https://upload.test/" + key, nil
}

func (f *files) Open(_ context.Context, key string) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.m[key]
	if !ok {
		return nil, fmt.Errorf("no file %s", key)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (f *files) put(key, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string][]byte{}
	}
	f.m[key] = []byte(body)
}

// planAudience is an uploaded audience of n numbers (every tenth in
// English) with one invalid row after the first and the first number
// repeated at the end.
func planAudience(n int) string {
	var b strings.Builder
	b.WriteString("phone,name,language\n")
	for i := range n {
		lang := "zh"
		if i%10 == 0 {
			lang = "en"
		}
		fmt.Fprintf(&b, "139%08d,住户%d,%s\n", i, i, lang)
		if i == 0 {
			b.WriteString("12345,坏号码,zh\n")
		}
	}
	b.WriteString("13900000000,重复,zh\n")
	return b.String()
}

// dying is a store whose recipient writes stop working after a number of
// them: a plan job killed half-way.
type dying struct {
	blast.Store
	mu   sync.Mutex
	left int
}

func (d *dying) PutRecipients(ctx context.Context, id string, rs []blast.Recipient) error {
	d.mu.Lock()
	d.left--
	dead := d.left < 0
	d.mu.Unlock()
	if dead {
		return errors.New("killed")
	}
	return d.Store.PutRecipients(ctx, id, rs)
}

// planRig is an uploaded blast's rig: the staff routes over a queue that
// keeps what is queued, the files, and the worker that runs plan jobs.
type planRig struct {
	*rig
	svc   *blast.Service
	jobs  *heldJobs
	files *files
	h     http.Handler
}

func newPlanRig(t *testing.T) *planRig {
	t.Helper()
	r := &planRig{rig: newRig(t), jobs: &heldJobs{}, files: &files{}}
	r.svc = r.service()
	r.svc.Queue, r.svc.Audiences = r.jobs, r.files
	r.h = blast.NewHandler(r.svc)
	return r
}

// upload creates an upload blast and puts audience as its file.
func (r *planRig) upload(t *testing.T, audience string) string {
	t.Helper()
	code, out := call(t, r.h, &supervisor, "POST", "/staff/blasts", `{"kind":"outage","upload":true,"window":{"quiet":"00:00-00:00"},"text":{"zh":"明日9时至17时停水","en":"Water off tomorrow 9-17"}}`)
	if code != http.StatusCreated || out["state"] != string(blast.Awaiting) {
		t.Fatalf("create = %d %v, want 201 awaiting", code, out)
	}
	id := out["id"].(string)
	r.files.put(blast.AudienceKey(id), audience)
	return id
}

// recipients reads blast id's stored recipients: how many times each
// number is there, and the seqs.
func (r *planRig) recipients(t *testing.T, id string) (map[string]int, []int) {
	t.Helper()
	phones := map[string]int{}
	var seqs []int
	if err := r.store.EachRecipient(context.Background(), id, func(rc blast.Recipient) error {
		phones[rc.Phone]++
		seqs = append(seqs, rc.Seq)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return phones, seqs
}

// TestPlanUploadJob: the audience route answers 202 planning and queues a
// plan job; send is refused while planning; the job plans the blast, with
// its counts, problems and one recipient per number; run again it changes
// nothing.
func TestPlanUploadJob(t *testing.T) {
	r := newPlanRig(t)
	ctx := context.Background()
	const n = 1234
	for _, i := range []int{7, 500, 1233} {
		if _, err := r.store.SetOptOut(ctx, phone(i), true, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	id := r.upload(t, planAudience(n))

	code, out := call(t, r.h, &supervisor, "POST", "/staff/blasts/"+id+"/audience", "")
	if code != http.StatusAccepted || out["state"] != string(blast.Planning) {
		t.Fatalf("POST audience = %d %v, want 202 planning", code, out)
	}
	if len(r.jobs.jobs) != 1 || r.jobs.jobs[0] != (blast.Job{Blast: id, Plan: true}) {
		t.Fatalf("queued %+v, want one plan job for %s", r.jobs.jobs, id)
	}
	if code, out := call(t, r.h, &supervisor, "GET", "/staff/blasts/"+id, ""); code != http.StatusOK || out["state"] != string(blast.Planning) {
		t.Errorf("GET while planning = %d %v, want planning", code, out["state"])
	}
	if code, _ := call(t, r.h, &supervisor, "POST", "/staff/blasts/"+id+"/send", ""); code != http.StatusConflict {
		t.Errorf("send while planning = %d, want 409", code)
	}
	if code, _ := call(t, r.h, &supervisor, "POST", "/staff/blasts/"+id+"/audience", ""); code != http.StatusConflict {
		t.Errorf("second POST audience while planning = %d, want 409", code)
	}

	w := r.worker()
	w.Plans = r.svc
	for range 2 {
		if err := w.Chunk(ctx, r.jobs.jobs[0]); err != nil {
			t.Fatal(err)
		}
	}
	b, err := r.store.Blast(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if want := n - 3; b.State != blast.Planned || b.Plan.Recipients != want || b.Removed != (blast.Removed{Invalid: 1, Duplicates: 1, OptedOut: 3}) {
		t.Fatalf("after the plan job: %s, %d recipients, removed %+v; want planned, %d, {1 1 3}", b.State, b.Plan.Recipients, b.Removed, want)
	}
	if b.Chunks != (n+blast.ChunkSize-1)/blast.ChunkSize {
		t.Errorf("chunks = %d, want %d", b.Chunks, (n+blast.ChunkSize-1)/blast.ChunkSize)
	}
	if len(b.Problems) != 2 || b.Problems[0].Line != 3 || b.Problems[1].Line != n+3 {
		t.Errorf("problems %+v, want lines 3 and %d", b.Problems, n+3)
	}
	plans := 0
	for _, e := range b.History {
		if e.Action == blast.PlanAudience {
			plans++
		}
	}
	if plans != 1 {
		t.Errorf("history %+v: %d plan events, want one", b.History, plans)
	}
	phones, seqs := r.recipients(t, id)
	if len(seqs) != n-3 || len(phones) != n-3 {
		t.Fatalf("%d recipients stored for %d numbers, want %d each", len(seqs), len(phones), n-3)
	}
	if phones[phone(7)] != 0 || phones[phone(8)] != 1 {
		t.Errorf("stored %d of the opted-out number, %d of its neighbour; want 0, 1", phones[phone(7)], phones[phone(8)])
	}
	// Keys come from the file alone: the row after an opted-out number
	// keeps its place.
	if err := r.store.EachRecipient(ctx, id, func(rc blast.Recipient) error {
		if rc.Phone == phone(8) && rc.Seq != 8 {
			t.Errorf("the ninth number has seq %d, want 8 whatever opted out before it", rc.Seq)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if code, out := call(t, r.h, &supervisor, "GET", "/staff/blasts/"+id, ""); code != http.StatusOK || out["state"] != string(blast.Planned) {
		t.Errorf("GET once planned = %d %v, want planned", code, out["state"])
	}
	if code, out := call(t, r.h, &supervisor, "POST", "/staff/blasts/"+id+"/send", ""); code != http.StatusOK || out["state"] != string(blast.Sending) {
		t.Errorf("send once planned = %d %v, want 200 sending", code, out["state"])
	}
}

// TestPlanJobKilled: a plan job that dies half-way leaves the blast
// planning; run again, and twice at once, it stores every recipient once
// with the counts of a clean run.
func TestPlanJobKilled(t *testing.T) {
	r := newPlanRig(t)
	ctx := context.Background()
	const n = 2000
	id := r.upload(t, planAudience(n))
	if _, err := r.svc.PlanUpload(ctx, supervisor, id); err != nil {
		t.Fatal(err)
	}
	killed := *r.svc
	killed.Store = &dying{Store: r.store, left: 30}
	if err := killed.RunPlan(ctx, id); err == nil {
		t.Fatal("killed plan: no error")
	}
	b, err := r.store.Blast(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	_, seqs := r.recipients(t, id)
	if b.State != blast.Planning || len(seqs) == 0 || len(seqs) >= n {
		t.Fatalf("after the killed run: %s with %d recipients stored; want planning, part of %d", b.State, len(seqs), n)
	}

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { errs[i] = r.svc.RunPlan(ctx, id) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if b, err = r.store.Blast(ctx, id); err != nil {
		t.Fatal(err)
	}
	if b.State != blast.Planned || b.Plan.Recipients != n || b.Removed != (blast.Removed{Invalid: 1, Duplicates: 1}) {
		t.Fatalf("after the redelivery: %s, %d recipients, removed %+v; want planned, %d, {1 1 0}", b.State, b.Plan.Recipients, b.Removed, n)
	}
	phones, seqs := r.recipients(t, id)
	if len(seqs) != n || len(phones) != n {
		t.Fatalf("%d recipients stored for %d numbers, want %d each", len(seqs), len(phones), n)
	}
	for i, s := range seqs {
		if s != i {
			t.Fatalf("recipient %d has seq %d, want the seqs 0..%d in order", i, s, n-1)
		}
	}
}

// TestPlanJobFails: a file that cannot be planned sends the blast back to
// awaiting its audience with the reason; a good file then plans.
func TestPlanJobFails(t *testing.T) {
	r := newPlanRig(t)
	ctx := context.Background()
	id := r.upload(t, "name,language\n王,zh\n")
	if _, err := r.svc.PlanUpload(ctx, supervisor, id); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.RunPlan(ctx, id); err != nil {
		t.Fatal(err)
	}
	code, out := call(t, r.h, &supervisor, "GET", "/staff/blasts/"+id, "")
	if code != http.StatusOK || out["state"] != string(blast.Awaiting) || !strings.Contains(fmt.Sprint(out["planError"]), "phone") {
		t.Fatalf("GET after a failed plan = %d state %v planError %q; want awaiting with the reason", code, out["state"], out["planError"])
	}
	r.files.put(blast.AudienceKey(id), planAudience(10))
	if _, err := r.svc.PlanUpload(ctx, supervisor, id); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.RunPlan(ctx, id); err != nil {
		t.Fatal(err)
	}
	b, err := r.store.Blast(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if b.State != blast.Planned || b.Plan.Recipients != 10 || b.PlanError != "" {
		t.Errorf("second plan: %s, %d recipients, planError %q; want planned, 10, none", b.State, b.Plan.Recipients, b.PlanError)
	}
}

// TestPlanUploadNoFile: without an uploaded file nothing is queued.
func TestPlanUploadNoFile(t *testing.T) {
	r := newPlanRig(t)
	code, out := call(t, r.h, &supervisor, "POST", "/staff/blasts", `{"kind":"outage","upload":true,"text":{"zh":"停水"}}`)
	if code != http.StatusCreated {
		t.Fatalf("create = %d %v", code, out)
	}
	id := out["id"].(string)
	if code, _ := call(t, r.h, &supervisor, "POST", "/staff/blasts/"+id+"/audience", ""); code != http.StatusBadRequest || len(r.jobs.jobs) != 0 {
		t.Errorf("POST audience with no file = %d, queued %v; want 400, nothing", code, r.jobs.jobs)
	}
}
