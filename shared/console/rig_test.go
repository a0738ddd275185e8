package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/console"
	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/staffauth"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var (
	shanghai, _ = time.LoadLocation("Asia/Shanghai")
	rules       = ticket.MustDefaultRules(shanghai)
	// staff are the local identities plus a second agent of the same
	// queues, to act on a ticket at the same time as the first.
	staff = append(append([]identity.Staff{}, staffauth.LocalStaff...),
		identity.Staff{Subject: "local-agent-2", Name: "Second Agent", Roles: []identity.Role{identity.Agent}, Queues: []string{"customer-service", "field-service"}})
)

// outbox records texts as the SMS sender would send them.
type outbox struct {
	mu   sync.Mutex
	sent []struct{ to, body string }
}

func (o *outbox) Send(_ context.Context, to, body string) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, struct{ to, body string }{to, body})
	return fmt.Sprintf("sns-%d", len(o.sent)), nil
}

func (o *outbox) bodies() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, s := range o.sent {
		out = append(out, s.body)
	}
	return out
}

type rig struct {
	store *dynamo.Store
	in    *intake.Service
	sms   *sms.Service
	box   *outbox
	srv   *httptest.Server
	// console is the handler under test; its clock may be moved.
	console *console.Console
}

func newRig(t *testing.T) *rig {
	t.Helper()
	store, _ := testenv.Table(t)
	store.Zone = shanghai
	in := &intake.Service{Store: store, Rules: rules, Region: "CN"}
	box := &outbox{}
	svc := sms.New(store, in, sms.MustDefaultKeywords(), box, "CN")
	d := &desk.Service{Store: store, Rules: rules, Messenger: &desk.Channels{Out: svc.Outbound, Tickets: store}}
	secret := make([]byte, staffauth.MinSecret)
	copy(secret, "console test secret that is long enough for the sessions")
	sessions, err := staffauth.NewSessions([][]byte{secret})
	if err != nil {
		t.Fatal(err)
	}
	sessions.AllowHTTP = true
	auth, err := staffauth.NewConsole(context.Background(), staffauth.ConsoleConfig{Sessions: sessions, Dev: staff})
	if err != nil {
		t.Fatal(err)
	}
	c := console.New(console.Backend{Actions: d, Store: store}, auth, rules)
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return &rig{store: store, in: in, sms: svc, box: box, srv: srv, console: c}
}

// text opens (or adds to) a ticket by SMS, as the SMS channel does.
func (r *rig) text(t testing.TB, id, from, body string) *ticket.Ticket {
	t.Helper()
	out, err := r.sms.Handle(context.Background(), sms.Message{Provider: sms.EndUserMessaging, ID: id, From: from, Body: body}, false)
	if err != nil || out.Ticket == nil {
		t.Fatalf("text %s: %+v, %v", id, out, err)
	}
	return out.Ticket
}

// receive opens a ticket through intake on channel ch.
func (r *rig) receive(t testing.TB, ch ticket.Channel, id string, c ticket.Contact, subject, body string) *ticket.Ticket {
	t.Helper()
	rc, err := r.in.Receive(context.Background(), intake.Inbound{Source: ticket.Source{Channel: ch, ID: id}, Contact: c, Subject: subject, Body: body, Kind: ticket.Inquiry})
	if err != nil {
		t.Fatalf("receive %s: %v", id, err)
	}
	return rc.Ticket
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// client signs in as subject through the local sign-in page and returns
// a client carrying the session.
func (r *rig) client(t testing.TB, subject string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	body, _ := get(t, c, r.srv.URL+staffauth.LoginPath)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the sign-in page has no CSRF field:\n%s", body)
	}
	resp, err := c.PostForm(r.srv.URL+staffauth.LoginPath, url.Values{"csrf": {m[1]}, "as": {subject}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/console/queue" {
		t.Fatalf("sign in as %s ended at %s with %d", subject, resp.Request.URL, resp.StatusCode)
	}
	return c
}
