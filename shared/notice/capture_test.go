package notice_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frontdesk/frontdesk/local/streams"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var capture = flag.Bool("capture", false, "rewrite testdata/stream-*.json from DynamoDB Local's stream")

// shapes names each record by its operation and key prefixes.
func shapes(recs []events.DynamoDBEventRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		pk, _, _ := strings.Cut(r.Change.Keys["PK"].String(), "#")
		sk := r.Change.Keys["SK"].String()
		if p, _, ok := strings.Cut(sk, "#"); ok && (p == "MSG" || p == "EVENT") {
			sk = p
		}
		out[i] = r.EventName + " " + pk + " " + sk
	}
	return out
}

type directoryFunc func(ctx context.Context, c ticket.Contact) (intake.Customer, error)

func (f directoryFunc) Lookup(ctx context.Context, c ticket.Contact) (intake.Customer, error) {
	return f(ctx, c)
}

// TestFixturesMatchTheStream writes the fixtures' tickets again and checks
// DynamoDB Local's stream still carries the same kinds of records in the
// same order; with -capture it rewrites the fixtures from it.
func TestFixturesMatchTheStream(t *testing.T) {
	r := newRig(t, testenv.Endpoint(t, testenv.EnvFauxqs), nil)
	var mu sync.Mutex
	var recs []events.DynamoDBEventRecord
	r.poller.Invoke = func(ctx context.Context, payload []byte) ([]byte, error) {
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		mu.Lock()
		recs = append(recs, ev.Records...)
		mu.Unlock()
		return []byte(`{"batchItemFailures":[]}`), nil
	}
	r.start(t)
	settle := func(name string) {
		t.Helper()
		// Every record written so far has come through once the mark
		// written after them has.
		mark := r.writeMark(t)
		deadline := time.Now().Add(time.Minute)
		for {
			mu.Lock()
			seen := slices.ContainsFunc(recs, func(rec events.DynamoDBEventRecord) bool { return rec.Change.Keys["PK"].String() == mark })
			mu.Unlock()
			if seen {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the mark written after the fixture's records never came through the stream", name)
			}
			time.Sleep(20 * time.Millisecond)
		}
		mu.Lock()
		recs = slices.DeleteFunc(recs, func(rec events.DynamoDBEventRecord) bool { return rec.Change.Keys["PK"].String() == mark })
		mu.Unlock()
		mu.Lock()
		defer mu.Unlock()
		defer func() { recs = nil }()
		if *capture {
			b, err := json.MarshalIndent(events.DynamoDBEvent{Records: recs}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("testdata", name), append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var fixture events.DynamoDBEvent
		if err := json.Unmarshal(readFixture(t, name), &fixture); err != nil {
			t.Fatal(err)
		}
		if got, want := shapes(recs), shapes(fixture.Records); !slices.Equal(got, want) {
			t.Errorf("%s: the stream now carries\n%v\nthe fixture has\n%v\n(rewrite it with -capture)", name, got, want)
		}
	}
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)

	// A VIP customer reports a gas leak and writes contact details into
	// the text.
	r.svc.Directory = directoryFunc(func(context.Context, ticket.Contact) (intake.Customer, error) {
		return intake.Customer{VIP: true, AccountManager: "wang.fang"}, nil
	})
	if _, err := r.svc.Receive(ctx, intake.Inbound{
		Source:  ticket.Source{Channel: ticket.Web, ID: "fixture-vip"},
		Contact: ticket.Contact{Name: "李雷", Phone: "138 0013 8000", Email: "li.lei@example.com"},
		Body:    "煤气泄漏！请打 138 0013 8000 或发邮件 li.lei@example.com，户号 4403051234567",
		At:      at,
	}); err != nil {
		t.Fatal(err)
	}
	settle("stream-created-vip.json")

	// A complaint, a follow-up message, then the case resolved: ticket
	// MODIFYs, due entries REMOVEd, message and event INSERTs.
	r.svc.Directory = nil
	rc, err := r.svc.Receive(ctx, intake.Inbound{
		Source:  ticket.Source{Channel: ticket.Email, ID: "fixture-complaint"},
		Contact: ticket.Contact{Email: "Han.Meimei@Example.COM"},
		Subject: "Complaint: billed twice, call me on +44 20 7946 0958",
		Body:    "I was charged twice this month.",
		At:      at.Add(time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	rc2, err := r.svc.Receive(ctx, intake.Inbound{
		Source:   ticket.Source{Channel: ticket.Email, ID: "fixture-followup"},
		Contact:  ticket.Contact{Email: "Han.Meimei@Example.COM"},
		Body:     "Any news?",
		At:       at.Add(2 * time.Minute),
		TicketID: rc.Ticket.ID,
	})
	if err != nil {
		t.Fatal(err)
	}
	done := *rc2.Ticket
	done.Version++
	done.Status = ticket.Resolved
	done.UpdatedAt = at.Add(time.Hour).UTC()
	if err := r.store.Apply(ctx, ticket.Change{
		Ticket: &done, PrevVersion: rc2.Ticket.Version,
		Events: []ticket.Event{intake.NewEvent(ticket.EventResolved, done.UpdatedAt, "staff:zhao", "refund issued", "")},
	}); err != nil {
		t.Fatal(err)
	}
	settle("stream-followup-resolved.json")
	_ = streams.Convert
}
