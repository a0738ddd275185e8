package outbound_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ses"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// texts is the test's SMS sender; it fails while fail is set.
type texts struct {
	mu   sync.Mutex
	sent []string
	n    atomic.Int64
	fail atomic.Bool
}

func (x *texts) Send(_ context.Context, to, body string) (string, error) {
	if x.fail.Load() {
		return "", errors.New("sms provider unavailable")
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.sent = append(x.sent, to+" "+body)
	return "out-" + string(rune('a'+x.n.Add(1))), nil
}

func (x *texts) count() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.sent)
}

func newTicket(tb testing.TB, st *dynamo.Store, ch ticket.Channel, c ticket.Contact, lang ticket.Language, at time.Time) *ticket.Ticket {
	tb.Helper()
	t := &ticket.Ticket{
		ID: ticket.NewID(at), Ref: ticket.NewRef(), Channel: ch, Kind: ticket.Repair, Priority: ticket.P2,
		Status: ticket.New, Contact: c, Language: lang, Owner: "field-service", Summary: "meter",
		CreatedAt: at, UpdatedAt: at, AckBy: at.Add(4 * time.Hour), Version: 1,
	}
	if err := st.Apply(context.Background(), ticket.Change{Ticket: t, Create: true}); err != nil {
		tb.Fatalf("create %s: %v", t.Ref, err)
	}
	return t
}

func render(zh, en string) outbound.Render {
	return func(ch ticket.Channel, lang ticket.Language) outbound.Content {
		text := en
		if ticket.NewMatcher(ticket.English, ticket.SimplifiedChinese).Match(lang) == ticket.SimplifiedChinese {
			text = zh
		}
		return outbound.Content{Subject: "[FD] " + text, Text: text}
	}
}

// TestSendMail sends an acknowledgement through the SES adapter to the SES
// emulator: it arrives with the threading and Auto-Submitted headers, in
// the ticket's language, is recorded with the provider's ID so a reply
// finds the ticket, and goes once per period; an undeliverable address is
// refused.
func TestSendMail(t *testing.T) {
	ep := testenv.Endpoint(t, testenv.EnvSES)
	st, _ := testenv.Table(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	st.Now = func() time.Time { return now }
	tap := &rawTap{next: ses.New(awslocal.SES(ep))}
	svc := &outbound.Service{Store: st, Mail: &outbound.SESMailer{Raw: tap},
		From: "Frontdesk <support@example.com>", Zone: shanghai, Now: func() time.Time { return now }}
	addr := "outbound-" + strings.ToLower(string(ticket.NewID(time.Now()))) + "@example.com"
	tk := newTicket(t, st, ticket.Email, ticket.Contact{Email: addr}, "zh", now)

	sent, err := svc.Send(ctx, outbound.Request{Ticket: tk, Purpose: outbound.Ack, InReplyTo: "cafe@mail.example.net",
		Render: render("我们已收到您的来信", "We have received your message")})
	if err != nil || sent.ProviderID == "" || sent.Channel != ticket.Email {
		t.Fatalf("Send = %+v, %v, want a mail with a provider ID", sent, err)
	}
	want := map[string]string{
		"auto-submitted": "auto-replied", "in-reply-to": "<cafe@mail.example.net>",
		"references": "<cafe@mail.example.net>", "x-auto-response-suppress": "All",
	}
	stored := storedMail(t, ep, sent.ProviderID)
	if !strings.Contains(stored["subject"], "我们已收到您的来信") || !strings.Contains(stored["text"], "我们已收到您的来信") ||
		!strings.Contains(stored["to"], addr) {
		t.Errorf("stored mail = %v, want the Chinese acknowledgement (ticket language zh) to %s", stored, addr)
	}
	// The emulator keeps a raw mail's headers only in some versions: what
	// it keeps must match, and the bytes it was given must carry them.
	for name, v := range want {
		if got, ok := stored[name]; ok && got != v {
			t.Errorf("stored mail header %s = %q, want %q", name, got, v)
		}
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(tap.last()))
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range want {
		if got := env.GetHeader(name); got != v {
			t.Errorf("mail sent to SES: header %s = %q, want %q", name, got, v)
		}
	}
	if id, err := st.BySent(ctx, ticket.Email, sent.ProviderID); err != nil || id != tk.ID {
		t.Errorf("BySent(provider ID) = %s, %v, want %s", id, err, tk.ID)
	}
	view, err := st.View(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(view.Messages) != 1 || view.Messages[0].Meta["purpose"] != "ack" || view.Messages[0].Meta["messageId"] == "" {
		t.Errorf("messages = %+v, want the acknowledgement recorded with its Message-ID", view.Messages)
	}
	if _, err := svc.Send(ctx, outbound.Request{Ticket: tk, Purpose: outbound.Ack, Render: render("再次", "again")}); !errors.Is(err, outbound.ErrThrottled) {
		t.Errorf("second acknowledgement = %v, want ErrThrottled", err)
	}

	bad := newTicket(t, st, ticket.Email, ticket.Contact{Email: "bounced-" + addr}, "en", now)
	if err := st.MarkUndeliverable(ctx, bad.Contact.Email, "5.1.1", now); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Send(ctx, outbound.Request{Ticket: bad, Purpose: outbound.Reply, Key: "reply-1", Render: render("答复", "answer")}); !errors.Is(err, outbound.ErrUndeliverable) {
		t.Errorf("mail to a bounced address = %v, want ErrUndeliverable", err)
	}
}

// rawTap keeps the last raw mail on its way to SES.
type rawTap struct {
	next outbound.RawSender
	mu   sync.Mutex
	raw  []byte
}

func (r *rawTap) SendRaw(ctx context.Context, from string, to []string, raw []byte) (string, error) {
	r.mu.Lock()
	r.raw = append([]byte(nil), raw...)
	r.mu.Unlock()
	return r.next.SendRaw(ctx, from, to, raw)
}

func (r *rawTap) last() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.raw
}

// storedMail returns what the SES emulator keeps of the mail it gave
// messageID: subject, text, to, and the headers it kept, names lowercased.
func storedMail(tb testing.TB, ep, messageID string) map[string]string {
	tb.Helper()
	resp, err := http.Get(ep + "/store")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var store struct {
		Emails []struct {
			MessageID   string `json:"messageId"`
			Subject     string `json:"subject"`
			Destination struct {
				To []string `json:"to"`
			} `json:"destination"`
			Body struct {
				Text string `json:"text"`
			} `json:"body"`
			Headers []struct {
				Name  string `json:"name"`
				Key   string `json:"key"`
				Value string `json:"value"`
			} `json:"headers"`
		} `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		tb.Fatal(err)
	}
	for _, e := range store.Emails {
		if e.MessageID != messageID {
			continue
		}
		out := map[string]string{"subject": e.Subject, "text": e.Body.Text, "to": strings.Join(e.Destination.To, ",")}
		for _, h := range e.Headers {
			out[strings.ToLower(h.Name+h.Key)] = h.Value
		}
		return out
	}
	tb.Fatalf("message %s not in the SES emulator's store", messageID)
	return nil
}

// TestSendText: texts are refused to opted-out numbers (keyword answers
// excepted), go once per key, wait out the customer's quiet hours unless
// urgent, and give their key back when the provider fails.
func TestSendText(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)
	clock := func() time.Time { return now }
	st.Now = clock
	tx := &texts{}
	svc := &outbound.Service{Store: st, Texts: tx, Zone: shanghai, Now: clock}
	const phone = "+8613800138090"
	tk := newTicket(t, st, ticket.SMS, ticket.Contact{Phone: phone}, "zh-Hans", now)
	reminder := outbound.Request{TicketID: tk.ID, Purpose: outbound.Reminder, Key: "reminder#" + string(tk.ID),
		Render: render("提醒：明天9:00–11:00回电", "Reminder: we call tomorrow 9:00–11:00")}

	// The provider fails: nothing recorded, the key is free for the retry.
	tx.fail.Store(true)
	if _, err := svc.Send(ctx, reminder); err == nil {
		t.Fatalf("Send with the provider down = nil error")
	}
	tx.fail.Store(false)
	sent, err := svc.Send(ctx, reminder)
	if err != nil || sent.ProviderID == "" || !strings.HasPrefix(sent.Text, "提醒") {
		t.Fatalf("Send(reminder) = %+v, %v, want it sent in Chinese", sent, err)
	}
	if _, err := svc.Send(ctx, reminder); !errors.Is(err, outbound.ErrDuplicate) {
		t.Errorf("the same reminder again = %v, want ErrDuplicate", err)
	}
	if id, msg, err := st.SentMessage(ctx, ticket.SMS, sent.ProviderID); err != nil || id != tk.ID || msg.Meta["purpose"] != "reminder" {
		t.Errorf("SentMessage = %s, %+v, %v, want the reminder on %s", id, msg, err, tk.Ref)
	}

	// 22:00 in Shanghai: a survey waits for 08:00, an urgent blast goes.
	now = time.Date(2026, 11, 23, 22, 0, 0, 0, shanghai)
	survey := outbound.Request{Ticket: tk, Purpose: outbound.Survey, Key: "survey#" + string(tk.ID), Render: render("请打分", "rate us")}
	_, err = svc.Send(ctx, survey)
	var quiet *outbound.QuietError
	if !errors.As(err, &quiet) || !errors.Is(err, outbound.ErrQuietHours) || !quiet.Until.Equal(time.Date(2026, 11, 24, 8, 0, 0, 0, shanghai)) {
		t.Errorf("survey at 22:00 = %v, want quiet hours until 08:00", err)
	}
	if _, err := svc.Send(ctx, outbound.Request{Ticket: tk, Purpose: outbound.Blast, Urgent: true, Key: "blast-gas#" + string(tk.ID), Render: render("燃气泄漏，请撤离", "gas leak")}); err != nil {
		t.Errorf("urgent blast at 22:00 = %v, want it sent", err)
	}
	// The survey was not claimed while held: it goes in the morning.
	now = time.Date(2026, 11, 24, 8, 0, 0, 0, shanghai)
	if _, err := svc.Send(ctx, survey); err != nil {
		t.Errorf("survey at 08:00 = %v, want it sent", err)
	}

	// Opted out: nothing but a keyword's answer goes.
	if _, err := st.SetOptOut(ctx, phone, true, now); err != nil {
		t.Fatal(err)
	}
	before := tx.count()
	if _, err := svc.Send(ctx, outbound.Request{Ticket: tk, Purpose: outbound.Reply, Key: "reply#1", Render: render("答复", "answer")}); !errors.Is(err, outbound.ErrOptedOut) {
		t.Errorf("reply to an opted-out number = %v, want ErrOptedOut", err)
	}
	if _, err := svc.Send(ctx, outbound.Request{Contact: ticket.Contact{Phone: phone}, Purpose: outbound.Keyword, Key: "kw#1", Language: "zh-Hans", Render: render("您已退订", "opted out")}); err != nil {
		t.Errorf("keyword answer to an opted-out number = %v, want it sent", err)
	}
	if n := tx.count() - before; n != 1 {
		t.Errorf("%d texts to the opted-out number, want only the keyword answer", n)
	}
	if _, err := svc.Send(ctx, outbound.Request{Ticket: tk, Purpose: outbound.Reply, Render: render("答复", "answer")}); err == nil {
		t.Errorf("a reply without a key = nil error, want a refusal")
	}
	// An acknowledgement slot the caller took is given back when the text
	// does not go, so the redelivery can acknowledge.
	fresh := newTicket(t, st, ticket.SMS, ticket.Contact{Phone: "+8613800138091"}, "zh-Hans", now)
	if ok, err := st.ClaimAck(ctx, fresh.ID, now, time.Minute, ""); err != nil || !ok {
		t.Fatalf("ClaimAck = %v, %v", ok, err)
	}
	tx.fail.Store(true)
	if _, err := svc.Send(ctx, outbound.Request{Ticket: fresh, Purpose: outbound.Ack, AckTaken: now, Render: render("已收到", "got it")}); err == nil {
		t.Errorf("acknowledgement with the provider down = nil error")
	}
	tx.fail.Store(false)
	if ok, err := st.ClaimAck(ctx, fresh.ID, now.Add(time.Second), time.Minute, ""); err != nil || !ok {
		t.Errorf("ClaimAck after a failed acknowledgement = %v, %v, want the slot given back", ok, err)
	}
	noPhone := newTicket(t, st, ticket.Web, ticket.Contact{Email: "only-mail@example.com"}, "en", now)
	if _, err := svc.Send(ctx, outbound.Request{Ticket: noPhone, Purpose: outbound.Ack, Render: render("", "ack")}); !errors.Is(err, outbound.ErrNoChannel) {
		t.Errorf("mail-only ticket without a mail sender = %v, want ErrNoChannel", err)
	}
}

// mails is the test's mail sender; it fails while fail is set.
type mails struct {
	mu   sync.Mutex
	to   []string
	fail atomic.Bool
}

func (m *mails) SendMail(_ context.Context, mail outbound.Mail) (string, error) {
	if m.fail.Load() {
		return "", errors.New("ses unavailable")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.to = append(m.to, mail.To)
	return "ses-" + strings.ToLower(string(ticket.NewID(time.Now()))), nil
}

func (m *mails) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.to)
}

// TestMailAckAllowance: an address is mailed MailAcks acknowledgements a
// window at most, whatever tickets they are for; a send that fails gives
// its hit (and the ticket's slot) back; an acknowledgement with a key goes
// once ever; nothing is ever mailed to Frontdesk's own address.
func TestMailAckAllowance(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st.Now = clock
	out := &mails{}
	svc := &outbound.Service{Store: st, Mail: out, From: "Frontdesk <support@example.com>", MailAcks: 2, Now: clock}
	addr := "allowance-" + strings.ToLower(string(ticket.NewID(time.Now()))) + "@example.com"
	var tks []*ticket.Ticket
	for range 4 {
		tks = append(tks, newTicket(t, st, ticket.Email, ticket.Contact{Email: addr}, "en", now))
	}
	ack := func(tk *ticket.Ticket, key string) error {
		_, err := svc.Send(ctx, outbound.Request{Ticket: tk, Purpose: outbound.Ack, Key: key, Render: render("已收到", "received")})
		return err
	}
	if err := ack(tks[0], ""); err != nil {
		t.Fatalf("first acknowledgement: %v", err)
	}
	out.fail.Store(true)
	if err := ack(tks[1], ""); err == nil || errors.Is(err, outbound.ErrAckAllowance) {
		t.Fatalf("acknowledgement while SES fails = %v, want the provider's error", err)
	}
	out.fail.Store(false)
	if err := ack(tks[1], ""); err != nil {
		t.Errorf("acknowledgement after a failed send = %v, want it sent (the hit and the slot given back)", err)
	}
	if err := ack(tks[2], ""); !errors.Is(err, outbound.ErrAckAllowance) {
		t.Errorf("third acknowledgement to one address in an hour = %v, want ErrAckAllowance", err)
	}
	if n := out.count(); n != 2 {
		t.Errorf("address was mailed %d acknowledgements, want 2", n)
	}
	// The next hour has a new allowance, and the refused ticket's slot was
	// given back.
	now = now.Add(time.Hour)
	if err := ack(tks[2], ""); err != nil {
		t.Errorf("refused ticket's acknowledgement the next hour = %v, want it sent", err)
	}
	if err := ack(tks[3], "mail-ack#"+string(tks[3].ID)); err != nil {
		t.Errorf("acknowledgement with a key = %v, want it sent", err)
	}
	now = now.Add(2 * time.Hour)
	if err := ack(tks[3], "mail-ack#"+string(tks[3].ID)); !errors.Is(err, outbound.ErrDuplicate) {
		t.Errorf("acknowledgement with a key, again hours later = %v, want ErrDuplicate", err)
	}

	own := newTicket(t, st, ticket.Email, ticket.Contact{Email: "Support+t.abc@example.com"}, "en", now)
	if err := ack(own, ""); !errors.Is(err, outbound.ErrOwnAddress) {
		t.Errorf("acknowledgement to Frontdesk's own address = %v, want ErrOwnAddress", err)
	}
	if _, err := svc.Send(ctx, outbound.Request{Ticket: own, Purpose: outbound.Reply, Key: "own-reply", Render: render("答复", "answer")}); !errors.Is(err, outbound.ErrOwnAddress) {
		t.Errorf("reply to Frontdesk's own address = %v, want ErrOwnAddress", err)
	}
	if n := out.count(); n != 4 {
		t.Errorf("%d mails sent in all, want 4", n)
	}
}
