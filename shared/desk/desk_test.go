package desk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ses"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var (
	shanghai, _ = time.LoadLocation("Asia/Shanghai")
	monday10    = time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)
	rules       = ticket.MustDefaultRules(shanghai)
	ann         = identity.Staff{Subject: "ann", Roles: []identity.Role{identity.Agent}, Queues: []string{"field-service", "billing", "complaints"}}
)

// outbox records texts as the SMS sender would send them.
type outbox struct {
	mu   sync.Mutex
	sent []struct{ to, body, id string }
}

func (o *outbox) Send(_ context.Context, to, body string) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	id := fmt.Sprintf("sns-%d", len(o.sent)+1)
	o.sent = append(o.sent, struct{ to, body, id string }{to, body, id})
	return id, nil
}

// recorder keeps the raw mail it passes on to SES.
type recorder struct {
	inner *ses.Mailer
	raw   [][]byte
}

func (r *recorder) SendRaw(ctx context.Context, from string, to []string, raw []byte) (string, error) {
	r.raw = append(r.raw, raw)
	return r.inner.SendRaw(ctx, from, to, raw)
}

type fixture struct {
	store *dynamo.Store
	in    *intake.Service
	desk  *desk.Service
	sms   *sms.Service
	box   *outbox
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	store, _ := testenv.Table(t)
	// Each reading of the clock is a second later: history in the order
	// things happened.
	var ticks atomic.Int64
	clock := func() time.Time { return monday10.Add(time.Duration(ticks.Add(1)) * time.Second) }
	store.Now = clock
	in := &intake.Service{Store: store, Rules: rules, Region: "CN", Now: clock}
	box := &outbox{}
	svc := sms.New(store, in, sms.MustDefaultKeywords(), box, "CN")
	svc.Now, svc.Outbound.Now = clock, clock
	return &fixture{
		store: store, in: in, box: box, sms: svc,
		desk: &desk.Service{Store: store, Rules: rules, Now: clock, Messenger: &desk.Channels{Out: svc.Outbound, Tickets: store}},
	}
}

func (f *fixture) text(t *testing.T, id, from, body, replyTo string) *ticket.Ticket {
	t.Helper()
	out, err := f.sms.Handle(context.Background(), sms.Message{Provider: sms.EndUserMessaging, ID: id, From: from, Body: body, ReplyTo: replyTo}, false)
	if err != nil {
		t.Fatalf("text %s: %v", id, err)
	}
	if out.Ticket == nil {
		t.Fatalf("text %s made no ticket: %+v", id, out)
	}
	return out.Ticket
}

func (f *fixture) do(t *testing.T, who identity.Staff, ref ticket.Ref, version int, key string, req ticket.Request) (desk.Result, error) {
	t.Helper()
	return f.desk.Do(context.Background(), who, desk.Command{Ref: ref, Version: version, Key: key, Request: req})
}

func TestConcurrentActorsLoseNothing(t *testing.T) {
	f := newFixture(t)
	tk := f.text(t, "c1", "+8613800138100", "电表坏了", "")
	ctx := context.Background()
	cur, err := f.store.Ticket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	// 20 agents act at once on the version they all read: notes, an
	// acknowledgement, classifications.
	const actors = 20
	type outcome struct {
		who string
		res desk.Result
		err error
	}
	results := make([]outcome, actors)
	var wg sync.WaitGroup
	for i := 0; i < actors; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			who := identity.Staff{Subject: fmt.Sprintf("agent%02d", i), Roles: []identity.Role{identity.Agent}, Queues: []string{"field-service"}}
			req := ticket.Request{Action: ticket.ActNote, Text: fmt.Sprintf("note from %d", i)}
			switch i % 3 {
			case 1:
				req = ticket.Request{Action: ticket.ActAcknowledge}
			case 2:
				yes := i%2 == 0
				req = ticket.Request{Action: ticket.ActClassify, Major: &yes}
			}
			res, err := f.desk.Do(ctx, who, desk.Command{Ref: cur.Ref, Version: cur.Version, Request: req})
			results[i] = outcome{who.Actor(), res, err}
		}(i)
	}
	wg.Wait()
	var won []outcome
	for _, r := range results {
		var ce *desk.ConflictError
		switch {
		case r.err == nil:
			won = append(won, r)
		case errors.As(r.err, &ce):
		default:
			t.Errorf("%s: %v, want success or a conflict", r.who, r.err)
		}
	}
	if len(won) != 1 {
		t.Fatalf("%d actions won on version %d, want exactly 1", len(won), cur.Version)
	}
	// Then every loser reads again and retries until it succeeds or the
	// status machine says no: every success lands in the history, in
	// order, each on its own version.
	var mu sync.Mutex
	successes := map[int]string{won[0].res.Ticket.Version: won[0].who}
	for i := 0; i < actors; i++ {
		if results[i].err == nil {
			continue
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			who := identity.Staff{Subject: fmt.Sprintf("agent%02d", i), Roles: []identity.Role{identity.Agent}, Queues: []string{"field-service"}}
			for attempt := 0; attempt < 200; attempt++ {
				now, err := f.store.Ticket(ctx, tk.ID)
				if err != nil {
					t.Error(err)
					return
				}
				res, err := f.desk.Do(ctx, who, desk.Command{Ref: tk.Ref, Version: now.Version, Request: ticket.Request{Action: ticket.ActNote, Text: fmt.Sprintf("retry from %d", i)}})
				var ce *desk.ConflictError
				if errors.As(err, &ce) {
					continue
				}
				if err != nil {
					t.Errorf("%s retry: %v", who.Actor(), err)
					return
				}
				mu.Lock()
				if prev, dup := successes[res.Ticket.Version]; dup {
					t.Errorf("version %d written by %s and %s", res.Ticket.Version, prev, who.Actor())
				}
				successes[res.Ticket.Version] = who.Actor()
				mu.Unlock()
				return
			}
			t.Errorf("%s never got through", who.Actor())
		}(i)
	}
	wg.Wait()
	view, err := f.store.View(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := cur.Version + actors; view.Version != want {
		t.Errorf("version = %d, want %d (one per success)", view.Version, want)
	}
	staffEvents := 0
	var last time.Time
	for _, e := range view.History {
		if !strings.HasPrefix(e.Actor, "staff:") {
			continue
		}
		staffEvents++
		if e.At.Before(last) {
			t.Errorf("history out of order at %s", e.ID)
		}
		last = e.At
	}
	if staffEvents < actors {
		t.Errorf("%d staff events in the history, want at least %d (one per success)", staffEvents, actors)
	}
	notes := 0
	for _, m := range view.Messages {
		if m.Direction == ticket.Internal {
			notes++
		}
	}
	// Every loser retried with a note; the first winner's own note counts
	// when it was one.
	want := actors - 1
	if len(won[0].res.Events) == 1 && won[0].res.Events[0].Type == ticket.EventNoteAdded {
		want++
	}
	if notes != want {
		t.Errorf("%d notes kept, want %d", notes, want)
	}
}

func TestActionRules(t *testing.T) {
	f := newFixture(t)
	tk := f.text(t, "r1", "+8613800138101", "账单多扣了钱", "")
	other := identity.Staff{Subject: "zed", Roles: []identity.Role{identity.Agent}, Queues: []string{"complaints"}}
	if _, err := f.do(t, other, tk.Ref, tk.Version, "", ticket.Request{Action: ticket.ActAcknowledge}); !errors.Is(err, desk.ErrForbidden) {
		t.Errorf("agent of another queue = %v, want ErrForbidden", err)
	}
	if _, err := f.do(t, ann, tk.Ref, tk.Version, "", ticket.Request{Action: ticket.ActClose}); err == nil {
		t.Error("close of a new ticket was allowed")
	} else {
		var na *ticket.NotAllowedError
		if !errors.As(err, &na) || len(na.Allowed) == 0 {
			t.Errorf("close of a new ticket = %v, want NotAllowedError with the allowed actions", err)
		}
	}
	if _, err := f.do(t, ann, "FD-ZZZZZZ", 1, "", ticket.Request{Action: ticket.ActAcknowledge}); !errors.Is(err, ticket.ErrNotFound) {
		t.Errorf("unknown ticket = %v, want ErrNotFound", err)
	}
	// The same request twice with one key: one acknowledgement, the same
	// answer.
	r1, err := f.do(t, ann, tk.Ref, tk.Version, "key-1", ticket.Request{Action: ticket.ActAcknowledge})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := f.do(t, ann, tk.Ref, tk.Version, "key-1", ticket.Request{Action: ticket.ActAcknowledge})
	if err != nil || !r2.Replayed || r2.Ticket.Version != r1.Ticket.Version || r2.Events[0].ID != r1.Events[0].ID {
		t.Errorf("retried request = %+v, %v; want the first answer replayed", r2, err)
	}
	view, _ := f.store.View(context.Background(), tk.ID)
	acks := 0
	for _, e := range view.History {
		if e.Type == ticket.EventAcknowledged {
			acks++
		}
	}
	if acks != 1 || view.Agent != ann.Actor() {
		t.Errorf("%d acknowledgements, owner %q; want 1 by %s", acks, view.Agent, ann.Actor())
	}
	supervisor := identity.Staff{Subject: "sue", Roles: []identity.Role{identity.Supervisor}, Queues: []string{"complaints"}}
	if desk.May(supervisor, view) {
		t.Error("a supervisor of another queue may act on an unescalated ticket")
	}
	view.EscalationLevel = 1
	if !desk.May(supervisor, view) {
		t.Error("a supervisor may not act on an escalated ticket")
	}
}

func TestSMSReplyThreadsBack(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	phone := "+8613800138102"
	tk := f.text(t, "s1", phone, "路灯坏了", "")
	acks := len(f.box.sent) // the automatic acknowledgement
	res, err := f.do(t, ann, tk.Ref, tk.Version, "", ticket.Request{Action: ticket.ActReply, Text: "师傅明天上午到，请问门牌号？"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ticket.Status != ticket.Acknowledged || res.Ticket.AckedAt.IsZero() || res.Ticket.Agent != ann.Actor() {
		t.Errorf("after the reply status %s acked %v agent %q; a reply is the first response", res.Ticket.Status, res.Ticket.AckedAt, res.Ticket.Agent)
	}
	if len(f.box.sent) != acks+1 || f.box.sent[acks].to != phone || !strings.Contains(f.box.sent[acks].body, "门牌号") {
		t.Fatalf("outbox = %+v, want the reply to %s", f.box.sent, phone)
	}
	providerID := f.box.sent[acks].id
	// The customer answers the reply: it threads onto the ticket and the
	// resolve clock runs again.
	ans := f.text(t, "s2", phone, "幸福路8号", providerID)
	if ans.ID != tk.ID {
		t.Fatalf("answer went to %s, want %s", ans.Ref, tk.Ref)
	}
	view, err := f.store.View(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var types []ticket.EventType
	for _, e := range view.History {
		types = append(types, e.Type)
	}
	wantSeq := []ticket.EventType{ticket.EventCreated, ticket.EventReplySent, ticket.EventAcknowledged, ticket.EventReplySent, ticket.EventMessageAdded, ticket.EventResumed}
	if fmt.Sprint(types) != fmt.Sprint(wantSeq) {
		t.Errorf("history = %v, want %v", types, wantSeq)
	}
	var out *ticket.Message
	for i, m := range view.Messages {
		if m.Direction == ticket.Outbound && m.SourceID == providerID {
			out = &view.Messages[i]
		}
	}
	if out == nil || out.Meta["purpose"] != "reply" {
		t.Errorf("reply not recorded with its provider ID: %+v", view.Messages)
	}
	if view.Pause != nil {
		t.Errorf("clock still paused after the customer answered: %+v", view.Pause)
	}
	// An opted-out customer is not texted.
	if _, err := f.store.SetOptOut(ctx, phone, true, monday10.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	sent := len(f.box.sent)
	if _, err := f.do(t, ann, tk.Ref, view.Version, "", ticket.Request{Action: ticket.ActReply, Text: "还在吗？"}); !errors.Is(err, desk.ErrUnreachable) {
		t.Errorf("reply to an opted-out number = %v, want ErrUnreachable", err)
	}
	if len(f.box.sent) != sent {
		t.Error("texted an opted-out number")
	}
}

func TestEmailReplyCarriesThreading(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sesURL := testenv.Endpoint(t, testenv.EnvSES)
	signer := email.Signer{Keys: [][]byte{[]byte("0123456789abcdef0123")}}
	rec := &recorder{inner: ses.New(awslocal.SES(sesURL))}
	f.desk.Messenger = &desk.Channels{Tickets: f.store, Out: &outbound.Service{
		Store: f.store, Mail: &outbound.SESMailer{Raw: rec}, From: "Frontdesk <support@example.com>", Signer: signer,
	}}
	addr := "desk-" + strings.ToLower(string(ticket.NewID(time.Now()))) + "@example.com"
	r, err := f.in.Receive(ctx, intake.Inbound{
		Source: ticket.Source{Channel: ticket.Email, ID: "ses-1"}, Contact: ticket.Contact{Email: addr},
		Subject: "Meter broken", Body: "My meter is broken.", At: monday10,
		Meta: map[string]string{"messageId": "cust-1@mail.example.net"},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.do(t, ann, r.Ticket.Ref, r.Ticket.Version, "", ticket.Request{Action: ticket.ActWait, On: ticket.OnCustomer, Reason: "meter number", Text: "Could you send us the meter number?"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ticket.Status != ticket.Waiting || res.Ticket.AckedAt.IsZero() {
		t.Errorf("after reply + wait status %s acked %v, want waiting and first response counted", res.Ticket.Status, res.Ticket.AckedAt)
	}
	// The SES emulator keeps what it was given, but rebuilds the MIME;
	// the raw message as sent is checked here, its delivery there.
	if len(rec.raw) != 1 {
		t.Fatalf("%d mails sent, want 1", len(rec.raw))
	}
	msg, err := mail.ReadMessage(bytes.NewReader(rec.raw[0]))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	if got := h.Get("In-Reply-To"); got != "<cust-1@mail.example.net>" {
		t.Errorf("In-Reply-To = %q, want the customer's mail", got)
	}
	if got := h.Get("References"); !strings.Contains(got, "<cust-1@mail.example.net>") {
		t.Errorf("References = %q, want the customer's mail", got)
	}
	if got := h.Get("Reply-To"); !strings.Contains(got, "support+"+signer.Token(r.Ticket.ID)+"@example.com") {
		t.Errorf("Reply-To = %q, want the reply token", got)
	}
	if got := h.Get("Auto-Submitted"); got == "" || got == "no" {
		t.Errorf("Auto-Submitted = %q, want the mail marked automatic", got)
	}
	resp, err := http.Get(sesURL + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Emails []struct {
			Destination struct{ To []string } `json:"destination"`
		} `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	delivered := false
	for _, e := range st.Emails {
		for _, to := range e.Destination.To {
			delivered = delivered || strings.Contains(to, addr)
		}
	}
	if !delivered {
		t.Errorf("no mail to %s in the SES emulator", addr)
	}
	view, err := f.store.View(ctx, r.Ticket.ID)
	if err != nil {
		t.Fatal(err)
	}
	var mid, provider string
	for _, m := range view.Messages {
		if m.Direction == ticket.Outbound {
			mid, provider = m.Meta["messageId"], m.SourceID
		}
	}
	if id, ok := signer.FromMessageID(mid); !ok || id != r.Ticket.ID {
		t.Errorf("reply's Message-ID %q does not carry the ticket's token", mid)
	}
	if id, err := f.store.BySent(ctx, ticket.Email, provider); err != nil || id != r.Ticket.ID {
		t.Errorf("BySent(reply's provider ID %q) = %s, %v, want the ticket", provider, id, err)
	}
}

func TestMerge(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	phone := "+8613800138103"
	a := f.text(t, "m1", phone, "停电了", "")
	b, err := f.in.Receive(ctx, intake.Inbound{
		Source: ticket.Source{Channel: ticket.Email, ID: "mail-m2"}, Contact: ticket.Contact{Email: "m2@example.com"},
		Subject: "No power", Body: "No power since this morning", At: monday10,
	})
	if err != nil {
		t.Fatal(err)
	}
	admin := identity.Staff{Subject: "root", Roles: []identity.Role{identity.Admin}}
	cur, _ := f.store.Ticket(ctx, a.ID)
	res, err := f.do(t, admin, a.Ref, cur.Version, "", ticket.Request{Action: ticket.ActMerge, Into: b.Ticket.Ref})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ticket.Status != ticket.Closed || res.Ticket.MergedInto != b.Ticket.Ref {
		t.Errorf("merged ticket = %s into %q", res.Ticket.Status, res.Ticket.MergedInto)
	}
	surv, err := f.store.View(ctx, b.Ticket.ID)
	if err != nil {
		t.Fatal(err)
	}
	moved := 0
	for _, m := range surv.Messages {
		if m.Meta["mergedFrom"] == string(a.Ref) {
			moved++
		}
	}
	if moved == 0 || surv.Contact.Phone != phone {
		t.Errorf("survivor has %d moved messages, phone %q", moved, surv.Contact.Phone)
	}
	// The customer texts again (a reply to the acknowledgement): it lands
	// on the survivor.
	ackID := ""
	for _, s := range f.box.sent {
		if s.to == phone {
			ackID = s.id
		}
	}
	later := f.text(t, "m3", phone, "还是没电", ackID)
	if later.ID != b.Ticket.ID {
		t.Errorf("later text went to %s, want the survivor %s", later.Ref, b.Ticket.Ref)
	}
	old, _ := f.store.View(ctx, a.ID)
	if got := old.History[len(old.History)-1]; got.Type != ticket.EventMerged {
		t.Errorf("merged ticket's history ends with %s, want merged", got.Type)
	}
}

// TestAssignStoresOneForm: an agent assigned by subject, or by the form
// history names staff in, is stored one way, the way an acknowledgement
// stores its owner, so a desk listing "only mine" finds both.
func TestAssignStoresOneForm(t *testing.T) {
	f := newFixture(t)
	for i, agent := range []string{"bob", "staff:bob", " bob "} {
		tk := f.text(t, fmt.Sprintf("as%d", i), fmt.Sprintf("+86138001382%02d", i), "账单多扣了钱", "")
		res, err := f.do(t, ann, tk.Ref, tk.Version, "", ticket.Request{Action: ticket.ActAssign, Agent: agent})
		if err != nil {
			t.Fatalf("assign %q: %v", agent, err)
		}
		if res.Ticket.Agent != "staff:bob" {
			t.Errorf("assign %q: agent = %q, want staff:bob", agent, res.Ticket.Agent)
		}
		view, err := f.store.View(context.Background(), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if view.Agent != "staff:bob" {
			t.Errorf("assign %q: stored agent = %q, want staff:bob", agent, view.Agent)
		}
	}
}
