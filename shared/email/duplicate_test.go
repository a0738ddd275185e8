package email_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/mailparse"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// TestDuplicateDeliveries: two Frontdesk instances receive the same
// notification several times at once, and the same mail arrives a second
// time under another SES message ID: one message in all.
func TestDuplicateDeliveries(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "dup")
	raw := mailFrom(addr, "停水", "今天早上开始停水了")
	id := sesID(t)
	e.put(id, raw)
	payload := e.event(id)
	instances := []*email.Handler{e.h, e.handler(mailparse.Limits{})}
	var wg sync.WaitGroup
	resps := make([]events.SQSEventResponse, 6)
	for i := range resps {
		wg.Add(1)
		go func(i int, h *email.Handler) {
			defer wg.Done()
			out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), payload)
			if err == nil {
				err = json.Unmarshal(out, &resps[i])
			}
			if err != nil {
				resps[i].BatchItemFailures = []events.SQSBatchItemFailure{{ItemIdentifier: err.Error()}}
			}
		}(i, instances[i%2])
	}
	wg.Wait()
	for _, r := range resps {
		e.ok(r)
	}
	// The same mail again, as a second SES message (a second recipient).
	again := sesID(t)
	e.ok(e.deliver(instances[1], raw, again))

	tk := e.view(id)
	in := 0
	for _, m := range tk.Messages {
		if m.Direction == ticket.Inbound {
			in++
		}
	}
	if in != 1 {
		t.Errorf("ticket has %d inbound messages, want 1: %+v", in, tk.Messages)
	}
	if got, err := e.store.BySource(context.Background(), ticket.Source{Channel: ticket.Email, ID: again}); err == nil {
		t.Errorf("second SES message made its own source (ticket %s), want it folded into the first", got)
	}
	if n := e.acks(addr); n != 1 {
		t.Errorf("the customer got %d acknowledgements, want 1", n)
	}
}

// TestReusedMessageID: a mail that repeats an earlier mail's sender and
// Message-ID with other content is a message of its own on the first
// mail's ticket, noted in the history; its own second copy, and a second
// copy of the first mail, fold into what they repeat.
func TestReusedMessageID(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "reuse")
	first := mailFrom(addr, "水压低", "三楼水压很低")
	midLine := regexp.MustCompile(`Message-ID: <[^>]+>`)
	second := midLine.ReplaceAll(mailFrom(addr, "水压低", "补充：四楼也一样"), midLine.Find(first))
	ids := []string{sesID(t), sesID(t), sesID(t), sesID(t)}
	e.ok(e.deliver(e.h, first, ids[0]))
	e.ok(e.deliver(e.h, second, ids[1]))
	// A second copy of each (another recipient): redeliveries, nothing new.
	e.ok(e.deliver(e.h, second, ids[2]))
	e.ok(e.deliver(e.h, first, ids[3]))

	tk := e.view(ids[0])
	var in []ticket.Message
	for _, m := range tk.Messages {
		if m.Direction == ticket.Inbound {
			in = append(in, m)
		}
	}
	if len(in) != 2 {
		t.Fatalf("ticket has %d inbound messages, want the first mail and the one reusing its Message-ID: %+v", len(in), in)
	}
	var reused ticket.Message
	for _, m := range in {
		if m.SourceID == ids[1] {
			reused = m
		}
	}
	if !strings.Contains(reused.Body, "四楼也一样") || reused.Meta["messageIdReusedBy"] != ids[0] || reused.Meta["threadedBy"] != email.ByReusedID {
		t.Errorf("second mail = %q meta %v, want its own text, on the first mail's ticket, naming the first mail", reused.Body, reused.Meta)
	}
	noted := 0
	for _, ev := range tk.History {
		if ev.Type == email.EventMessageIDReused {
			noted++
			if ev.MessageID != reused.ID || !strings.Contains(ev.Detail, ids[0]) {
				t.Errorf("history event = %+v, want it on message %s naming %s", ev, reused.ID, ids[0])
			}
		}
	}
	if noted != 1 {
		t.Errorf("history has %d %s events, want 1: %+v", noted, email.EventMessageIDReused, tk.History)
	}
	for _, id := range ids[2:] {
		if _, err := e.store.BySource(context.Background(), ticket.Source{Channel: ticket.Email, ID: id}); err == nil {
			t.Errorf("copy %s made a source of its own, want it folded into the mail it repeats", id)
		}
	}
	if n := e.acks(addr); n != 1 {
		t.Errorf("the customer got %d acknowledgements, want 1", n)
	}
}
