package webform_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ses"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/webform"
)

// phones is the SMS provider's edge: it keeps what would have gone to the
// carrier.
type phones struct {
	mu   sync.Mutex
	sent []string
}

func (p *phones) Send(_ context.Context, to, body string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, to+" "+body)
	return "sms-" + strings.Repeat("x", len(p.sent)), nil
}

func (p *phones) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.sent...)
}

// ackRig is a form whose acknowledgements go through the real outbound
// service: texts to the provider edge, mail to the SES emulator.
func ackRig(t *testing.T) (*rig, *phones, string) {
	t.Helper()
	ep := testenv.Endpoint(t, testenv.EnvSES)
	p := &phones{}
	svc := &outbound.Service{Texts: p, Mail: &outbound.SESMailer{Raw: ses.New(awslocal.SES(ep))},
		From: "Frontdesk <support@example.com>", Zone: shanghai, Now: func() time.Time { return now }}
	r := newRig(t, webform.Config{Messenger: svc, Deadline: 30 * time.Second})
	svc.Store = r.store
	return r, p, ep
}

func postBody(tb testing.TB, r *rig, lang, key, body string) (int, webform.TicketView) {
	tb.Helper()
	resp := r.do(tb, withBody(tb, "post-json.json", "application/json", body,
		map[string]string{"idempotency-key": key, "accept-language": lang}))
	var v webform.TicketView
	if resp.StatusCode >= 300 {
		tb.Logf("POST %s = %d %s", key, resp.StatusCode, resp.Body)
	}
	if resp.StatusCode < 300 {
		if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
			tb.Fatal(err)
		}
	}
	return resp.StatusCode, v
}

// TestWebContactAcknowledged: a web contact gets the acknowledgement the
// other channels give — by SMS when a phone was given, in the customer's
// language, with the reference and the acknowledge-by time — once per
// submission, never to an opted-out number, and by email when only an
// address was given.
func TestWebContactAcknowledged(t *testing.T) {
	r, p, ep := ackRig(t)
	ctx := context.Background()

	body := `{"name":"陈小姐","phone":"138 0013 8001","kind":"repair","message":"家里水表漏水","consent":true}`
	code, v := postBody(t, r, "zh-CN", "web-ack-0001", body)
	if code != http.StatusCreated {
		t.Fatalf("POST = %d, want 201", code)
	}
	if again, _ := postBody(t, r, "zh-CN", "web-ack-0001", body); again != http.StatusOK {
		t.Fatalf("POST again = %d, want 200", again)
	}
	sent := p.list()
	// Repair at Monday 10:00 Shanghai: acknowledge by 14:00 the same day.
	want := "+8613800138001 已收到您的留言，受理编号" + string(v.Ref) + "，我们将于11月23日14:00前回复。回复TD退订。"
	if len(sent) != 1 || sent[0] != want {
		t.Fatalf("texts = %q, want exactly %q", sent, want)
	}
	tk, err := r.store.View(ctx, mustID(t, r, v.Ref))
	if err != nil {
		t.Fatal(err)
	}
	if n := outboundCount(tk); n != 1 {
		t.Errorf("ticket %s records %d outbound messages, want the acknowledgement once", v.Ref, n)
	}

	// Opted out: the contact is taken, nothing is texted.
	if _, err := r.store.SetOptOut(ctx, "+8613800138002", true, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if code, _ := postBody(t, r, "en", "web-ack-0002", `{"phone":"138 0013 8002","kind":"inquiry","message":"bill","consent":true}`); code != http.StatusCreated {
		t.Fatalf("opted-out POST = %d, want 201", code)
	}
	if got := p.list(); len(got) != 1 {
		t.Errorf("texts after an opted-out contact = %q, want none added", got[1:])
	}

	// Email only: a mail in English with the reference in the subject.
	addr := "ack-" + strings.ToLower(string(ticket.NewID(time.Now()))) + "@example.com"
	code, v = postBody(t, r, "en", "web-ack-0003", `{"email":"`+addr+`","kind":"inquiry","message":"When is my meter read?","consent":true}`)
	if code != http.StatusCreated {
		t.Fatalf("email-only POST = %d, want 201", code)
	}
	mails := mailsTo(t, ep, addr)
	if len(mails) != 1 || !strings.Contains(mails[0], "["+string(v.Ref)+"] We received your message") {
		t.Errorf("mails to %s = %q, want one acknowledgement naming %s", addr, mails, v.Ref)
	}
}

func mustID(tb testing.TB, r *rig, ref ticket.Ref) ticket.ID {
	tb.Helper()
	id, err := r.store.ByRef(context.Background(), ref)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

func outboundCount(t *ticket.Ticket) int {
	n := 0
	for _, m := range t.Messages {
		if m.Direction == ticket.Outbound {
			n++
		}
	}
	return n
}

// mailsTo lists the subjects of the mails the SES emulator holds for addr.
func mailsTo(tb testing.TB, ep, addr string) []string {
	tb.Helper()
	resp, err := http.Get(ep + "/store")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var store struct {
		Emails []struct {
			Subject     string `json:"subject"`
			Destination struct {
				To []string `json:"to"`
			} `json:"destination"`
		} `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, m := range store.Emails {
		for _, to := range m.Destination.To {
			if strings.Contains(to, addr) {
				out = append(out, m.Subject)
			}
		}
	}
	return out
}
