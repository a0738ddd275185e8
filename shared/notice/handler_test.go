package notice_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/frontdesk/frontdesk/shared/notice"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fakeSNS records what is published and fails what fail says to.
type fakeSNS struct {
	mu sync.Mutex
	// fail decides an entry's fate on its attempt-th try (1-based).
	fail func(id string, attempt int) (fail, senderFault bool)
	// callErr fails a whole call when it returns an error.
	callErr   func(call int) error
	calls     int
	batches   []int
	attempts  map[string]int
	published []published
}

type published struct {
	ID    string            `json:"id"`
	Body  json.RawMessage   `json:"body"`
	Attrs map[string]string `json:"attributes"`
}

func noticeID(body string) string {
	var n struct{ ID string }
	_ = json.Unmarshal([]byte(body), &n)
	return n.ID
}

func (f *fakeSNS) PublishBatch(ctx context.Context, in *sns.PublishBatchInput, _ ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.callErr != nil {
		if err := f.callErr(f.calls); err != nil {
			return nil, err
		}
	}
	if len(in.PublishBatchRequestEntries) > notice.BatchSize {
		return nil, errors.New("TooManyEntriesInBatchRequest")
	}
	f.batches = append(f.batches, len(in.PublishBatchRequestEntries))
	if f.attempts == nil {
		f.attempts = map[string]int{}
	}
	out := &sns.PublishBatchOutput{}
	for _, e := range in.PublishBatchRequestEntries {
		id := noticeID(aws.ToString(e.Message))
		f.attempts[id]++
		if f.fail != nil {
			if fail, sender := f.fail(id, f.attempts[id]); fail {
				out.Failed = append(out.Failed, snstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), SenderFault: sender})
				continue
			}
		}
		attrs := map[string]string{}
		for k, v := range e.MessageAttributes {
			attrs[k] = aws.ToString(v.DataType) + ":" + aws.ToString(v.StringValue)
		}
		f.published = append(f.published, published{ID: id, Body: json.RawMessage(aws.ToString(e.Message)), Attrs: attrs})
		out.Successful = append(out.Successful, snstypes.PublishBatchResultEntry{Id: e.Id, MessageId: aws.String("m-" + id)})
	}
	return out, nil
}

func (f *fakeSNS) Publish(ctx context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return nil, errors.New("the notifier publishes in batches")
}

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func invoke(tb testing.TB, h *notice.Handler, payload []byte) events.DynamoDBEventResponse {
	tb.Helper()
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), payload)
	if err != nil {
		tb.Fatalf("Invoke: %v", err)
	}
	var resp events.DynamoDBEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		tb.Fatalf("decode response %s: %v", out, err)
	}
	return resp
}

func handler(tb testing.TB, f *fakeSNS) *notice.Handler {
	tb.Helper()
	b, err := notice.NewBuilder("https://console.example.com/tickets/{ref}")
	if err != nil {
		tb.Fatal(err)
	}
	p := notice.NewPublisher(f, "arn:aws:sns:us-east-1:000000000000:notices")
	p.Backoff = 1
	return notice.NewHandler(b, p, quiet)
}

// personal data in the fixtures that no notice may carry.
var personal = []string{
	"+8613800138000", "138 0013 8000", "13800138000", "li.lei@example.com", "李雷",
	"Han.Meimei", "han.meimei", "@example.com", "7946", "4403051234567",
}

func TestHandlerFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		events  []string
	}{
		{"stream-created-vip.json", []string{"created"}},
		{"stream-followup-resolved.json", []string{"created", "message_added", "resolved"}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			f := &fakeSNS{}
			resp := invoke(t, handler(t, f), readFixture(t, tt.fixture))
			if len(resp.BatchItemFailures) != 0 {
				t.Fatalf("failures = %+v, want none", resp.BatchItemFailures)
			}
			var got []string
			for _, p := range f.published {
				var n notice.Notice
				if err := json.Unmarshal(p.Body, &n); err != nil {
					t.Fatal(err)
				}
				got = append(got, string(n.Event))
				for _, pii := range personal {
					if bytes.Contains(p.Body, []byte(pii)) {
						t.Errorf("notice %s carries %q: %s", p.ID, pii, p.Body)
					}
				}
			}
			if !slices.Equal(got, tt.events) {
				t.Errorf("published events = %v, want %v", got, tt.events)
			}
			golden(t, filepath.Join("testdata", "golden", strings.TrimSuffix(tt.fixture, ".json")+".notices.json"), f.published)
		})
	}
}

func golden(tb testing.TB, path string, v any) {
	tb.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs from what was built (run with -update after checking):\n%s", path, got)
	}
}

// eventSeqs returns the sequence numbers of the event inserts in payload.
func eventSeqs(tb testing.TB, payload []byte) []string {
	tb.Helper()
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, r := range ev.Records {
		if notice.IsEvent(r) {
			out = append(out, r.Change.SequenceNumber)
		}
	}
	return out
}

func failures(resp events.DynamoDBEventResponse) []string {
	var out []string
	for _, f := range resp.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

func TestHandlerReportsExactlyTheFailedRecords(t *testing.T) {
	payload := readFixture(t, "stream-followup-resolved.json")
	seqs := eventSeqs(t, payload) // created, message_added, resolved
	if len(seqs) != 3 {
		t.Fatalf("fixture has %d event inserts, want 3", len(seqs))
	}
	var ids []string
	{
		f := &fakeSNS{}
		invoke(t, handler(t, f), payload)
		for _, p := range f.published {
			ids = append(ids, p.ID)
		}
	}
	tests := []struct {
		name      string
		sns       *fakeSNS
		want      []string
		published int
	}{
		{"all published", &fakeSNS{}, nil, 3},
		{"second refused every time", &fakeSNS{fail: func(id string, _ int) (bool, bool) { return id == ids[1], false }}, seqs[1:2], 2},
		{"first and last refused", &fakeSNS{fail: func(id string, _ int) (bool, bool) { return id != ids[1], false }}, []string{seqs[0], seqs[2]}, 1},
		{"refused once then taken", &fakeSNS{fail: func(id string, n int) (bool, bool) { return n == 1, false }}, nil, 3},
		{"sender fault is reported, not retried", &fakeSNS{fail: func(id string, _ int) (bool, bool) { return id == ids[2], true }}, seqs[2:], 2},
		{"SNS down", &fakeSNS{callErr: func(int) error { return errors.New("connection refused") }}, seqs, 0},
		{"SNS down for the first call", &fakeSNS{callErr: func(n int) error {
			if n == 1 {
				return errors.New("connection refused")
			}
			return nil
		}}, nil, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := invoke(t, handler(t, tt.sns), payload)
			if got := failures(resp); !slices.Equal(got, tt.want) {
				t.Errorf("batch item failures = %v, want %v", got, tt.want)
			}
			if len(tt.sns.published) != tt.published {
				t.Errorf("published %d notices, want %d", len(tt.sns.published), tt.published)
			}
			seen := map[string]bool{}
			for _, p := range tt.sns.published {
				if seen[p.ID] {
					t.Errorf("notice %s published twice", p.ID)
				}
				seen[p.ID] = true
			}
		})
	}
}

func TestHandlerRetriesAreBounded(t *testing.T) {
	f := &fakeSNS{fail: func(string, int) (bool, bool) { return true, false }}
	h := handler(t, f)
	invoke(t, h, readFixture(t, "stream-created-vip.json"))
	for id, n := range f.attempts {
		if n != 3 {
			t.Errorf("notice %s tried %d times, want 3", id, n)
		}
	}
}

// mutate edits the records of a fixture.
func mutate(tb testing.TB, name string, fn func(r *events.DynamoDBEventRecord)) []byte {
	tb.Helper()
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(readFixture(tb, name), &ev); err != nil {
		tb.Fatal(err)
	}
	for i := range ev.Records {
		fn(&ev.Records[i])
	}
	b, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestHandlerUnreadableRecordsAreReported(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *events.DynamoDBEventRecord)
	}{
		{"no snapshot", func(r *events.DynamoDBEventRecord) { delete(r.Change.NewImage, "ticket") }},
		{"no event id", func(r *events.DynamoDBEventRecord) { delete(r.Change.NewImage, "id") }},
		{"snapshot of another ticket", func(r *events.DynamoDBEventRecord) {
			snap := r.Change.NewImage["ticket"].Map()
			snap["id"] = events.NewStringAttribute("OTHER")
			r.Change.NewImage["ticket"] = events.NewMapAttribute(snap)
		}},
		{"event type is a number", func(r *events.DynamoDBEventRecord) {
			r.Change.NewImage["type"] = events.NewNumberAttribute("7")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := mutate(t, "stream-created-vip.json", func(r *events.DynamoDBEventRecord) {
				if notice.IsEvent(*r) {
					tt.edit(r)
				}
			})
			f := &fakeSNS{}
			resp := invoke(t, handler(t, f), payload)
			if got, want := failures(resp), eventSeqs(t, payload); !slices.Equal(got, want) {
				t.Errorf("batch item failures = %v, want %v", got, want)
			}
			if len(f.published) != 0 {
				t.Errorf("published %d notices from an unreadable record", len(f.published))
			}
		})
	}
}

func TestIsEventIgnoresEverythingElse(t *testing.T) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(readFixture(t, "stream-followup-resolved.json"), &ev); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, r := range ev.Records {
		if notice.IsEvent(r) {
			counts["event"]++
			continue
		}
		counts[r.EventName]++
	}
	// 3 event inserts; the MODIFYs of the ticket and its contact link, the
	// REMOVEs of due entries and every other insert (report counters
	// included) are ignored.
	if counts["event"] != 3 || counts["MODIFY"] != 4 || counts["REMOVE"] != 2 || counts["INSERT"] != 11 {
		t.Errorf("record kinds = %v, want 3 events, 4 MODIFY, 2 REMOVE, 11 other INSERT", counts)
	}
	// A MODIFY of an event item is not a new event.
	for _, r := range ev.Records {
		if notice.IsEvent(r) {
			r.EventName = "MODIFY"
			if notice.IsEvent(r) {
				t.Error("IsEvent(MODIFY of an event item) = true, want false")
			}
			r.EventName = "REMOVE"
			if notice.IsEvent(r) {
				t.Error("IsEvent(REMOVE of an event item) = true, want false")
			}
		}
	}
}

func TestPublisherBatchesByTen(t *testing.T) {
	b, _ := notice.NewBuilder("")
	var ns []notice.Notice
	payload := readFixture(t, "stream-created-vip.json")
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	for _, r := range ev.Records {
		if e, tk, err := notice.Decode(r); err == nil {
			for i := 0; i < 23; i++ {
				e.ID = "E" + string(rune('A'+i))
				n, err := b.Build(e, tk)
				if err != nil {
					t.Fatal(err)
				}
				ns = append(ns, n)
			}
		}
	}
	f := &fakeSNS{}
	if fails := notice.NewPublisher(f, "arn:aws:sns:us-east-1:000000000000:t").Publish(context.Background(), ns); len(fails) != 0 {
		t.Fatalf("Publish failures = %v", fails)
	}
	if !slices.Equal(f.batches, []int{10, 10, 3}) {
		t.Errorf("batches = %v, want [10 10 3]", f.batches)
	}
}

func TestReplayGivesTheSameNotices(t *testing.T) {
	payload := readFixture(t, "stream-followup-resolved.json")
	first, again := &fakeSNS{}, &fakeSNS{}
	invoke(t, handler(t, first), payload)
	invoke(t, handler(t, again), payload)
	if len(first.published) != 3 || len(again.published) != 3 {
		t.Fatalf("published %d and %d notices, want 3 each", len(first.published), len(again.published))
	}
	for i := range first.published {
		if a, b := first.published[i], again.published[i]; a.ID != b.ID || !bytes.Equal(a.Body, b.Body) {
			t.Errorf("replay %d: notice %s, then %s", i, a.ID, b.ID)
		}
	}
}
