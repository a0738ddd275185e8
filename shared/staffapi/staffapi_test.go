package staffapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/staffapi"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var (
	shanghai, _ = time.LoadLocation("Asia/Shanghai")
	monday10    = time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)
	rules       = ticket.MustDefaultRules(shanghai)
	agent       = identity.Staff{Subject: "ann", Roles: []identity.Role{identity.Agent}, Queues: []string{"billing"}}
	stranger    = identity.Staff{Subject: "zed", Roles: []identity.Role{identity.Agent}, Queues: []string{"complaints"}}
	supervisor  = identity.Staff{Subject: "sue", Roles: []identity.Role{identity.Supervisor}, Queues: []string{"billing"}}
	roleless    = identity.Staff{Subject: "nob", Queues: []string{"billing"}}
)

type fixture struct {
	api   *staffapi.API
	in    *intake.Service
	store *dynamo.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	store, _ := testenv.Table(t)
	store.Zone = shanghai
	var ticks atomic.Int64
	clock := func() time.Time { return monday10.Add(time.Duration(ticks.Add(1)) * time.Second) }
	store.Now = clock
	in := &intake.Service{Store: store, Rules: rules, Region: "CN", Now: clock}
	d := &desk.Service{Store: store, Rules: rules, Now: clock}
	api := staffapi.New(store, d, dynamo.Queues(rules), shanghai)
	api.Now = clock
	return &fixture{api: api, in: in, store: store}
}

func (f *fixture) open(t *testing.T, id, body string) *ticket.Ticket {
	t.Helper()
	r, err := f.in.Receive(context.Background(), intake.Inbound{
		Source: ticket.Source{Channel: ticket.Web, ID: id}, Contact: ticket.Contact{Phone: "+8613800138200", Name: "韩梅梅"}, Body: body,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r.Ticket
}

// call sends a request as who (nobody when who is nil) and decodes the
// JSON answer into a map.
func (f *fixture) call(t *testing.T, who *identity.Staff, method, path, body string, hdr ...string) (int, map[string]any, http.Header) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if who != nil {
		r = r.WithContext(identity.With(r.Context(), *who))
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.api.ServeHTTP(w, r)
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q, want JSON", method, path, ct)
	}
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: body %q is not JSON: %v", method, path, w.Body.String(), err)
	}
	return w.Code, out, w.Header()
}

func TestAuthorization(t *testing.T) {
	f := newFixture(t)
	tk := f.open(t, "a1", "账单多扣了50元")
	ticketPath := "/staff/tickets/" + string(tk.Ref)
	tests := []struct {
		name   string
		who    *identity.Staff
		method string
		path   string
		want   int
	}{
		{"no identity", nil, "GET", "/staff/tickets", 401},
		{"no role", &roleless, "GET", "/staff/tickets", 403},
		{"other queue's ticket", &stranger, "GET", ticketPath, 403},
		{"listing another queue", &stranger, "GET", "/staff/tickets?queue=billing", 403},
		{"agent reads report", &agent, "GET", "/staff/reports/daily?date=2026-11-23", 403},
		{"own queue's ticket", &agent, "GET", ticketPath, 200},
		{"own queue listing", &agent, "GET", "/staff/tickets?queue=billing", 200},
		{"supervisor reads report", &supervisor, "GET", "/staff/reports/daily?date=2026-11-23", 200},
		{"unknown route", &agent, "GET", "/staff/nothing", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, _ := f.call(t, tt.who, tt.method, tt.path, "")
			if code != tt.want {
				t.Errorf("%s %s = %d %v, want %d", tt.method, tt.path, code, body, tt.want)
			}
			if code >= 400 && body["error"] == "" {
				t.Errorf("error answer without a message: %v", body)
			}
		})
	}
	if code, _, _ := f.call(t, &stranger, "POST", ticketPath+"/actions", `{"action":"acknowledge","version":1}`); code != 403 {
		t.Errorf("acting on another queue's ticket = %d, want 403", code)
	}
}

func TestActionsOverHTTP(t *testing.T) {
	f := newFixture(t)
	tk := f.open(t, "h1", "账单多扣了50元")
	path := "/staff/tickets/" + string(tk.Ref) + "/actions"

	code, body, _ := f.call(t, &agent, "POST", path, `{"action":"close","version":1}`)
	if code != 409 || body["status"] != "new" || !strings.Contains(body["error"].(string), "acknowledge") {
		t.Errorf("close on new = %d %v, want 409 with the allowed actions", code, body)
	}
	code, body, _ = f.call(t, &agent, "POST", path, `{"action":"acknowledge"}`)
	if code != 428 {
		t.Errorf("action without a version = %d %v, want 428", code, body)
	}
	code, body, _ = f.call(t, &agent, "POST", path, `{"action":"acknowledge","version":1,"extra":1}`)
	if code != 400 {
		t.Errorf("unknown field = %d %v, want 400", code, body)
	}
	code, body, hdr := f.call(t, &agent, "POST", path, `{"action":"acknowledge"}`, "If-Match", `"1"`, "Idempotency-Key", "k-1")
	if code != 200 || hdr.Get("ETag") != `"2"` {
		t.Fatalf("acknowledge = %d %v (ETag %s), want 200 at version 2", code, body, hdr.Get("ETag"))
	}
	code, body2, hdr := f.call(t, &agent, "POST", path, `{"action":"acknowledge"}`, "If-Match", `"1"`, "Idempotency-Key", "k-1")
	if code != 200 || hdr.Get("Idempotent-Replayed") != "true" || body2["ticket"].(map[string]any)["version"] != body["ticket"].(map[string]any)["version"] {
		t.Errorf("retried acknowledge = %d %v, want the first answer replayed", code, body2)
	}
	code, body, _ = f.call(t, &agent, "POST", path, `{"action":"note","version":1,"text":"stale"}`)
	if code != 409 || body["current"] != float64(2) {
		t.Errorf("stale version = %d %v, want 409 naming version 2", code, body)
	}
	code, body, _ = f.call(t, &agent, "POST", path, `{"action":"resolve","version":2,"resolution":"refunded"}`)
	if code != 422 || len(body["problems"].([]any)) == 0 {
		t.Errorf("resolve without atFault = %d %v, want 422 with the problem", code, body)
	}
	code, body, _ = f.call(t, &agent, "POST", path, `{"action":"transfer","version":2,"queue":"nowhere","reason":"x"}`)
	if code != 422 {
		t.Errorf("transfer to an unknown queue = %d %v, want 422", code, body)
	}
	code, body, _ = f.call(t, &agent, "POST", path, `{"action":"resolve","version":2,"resolution":"refunded","atFault":"none"}`)
	if code != 200 || body["ticket"].(map[string]any)["status"] != "resolved" {
		t.Errorf("resolve = %d %v", code, body)
	}

	code, body, _ = f.call(t, &agent, "GET", "/staff/tickets/"+string(tk.Ref), "")
	if code != 200 {
		t.Fatalf("get = %d %v", code, body)
	}
	hist := body["history"].([]any)
	var types []string
	for _, e := range hist {
		types = append(types, e.(map[string]any)["type"].(string))
	}
	if strings.Join(types, ",") != "created,acknowledged,resolved" {
		t.Errorf("history = %v, want created, acknowledged, resolved", types)
	}
	if body["contact"].(map[string]any)["phone"] != "+8613800138200" || len(body["messages"].([]any)) != 1 {
		t.Errorf("staff view lacks contact or messages: %v", body)
	}
	if al := body["allowedActions"].([]any); len(al) != 3 {
		t.Errorf("allowed on resolved = %v, want note, reopen, close", al)
	}
}

func TestListingAndQueues(t *testing.T) {
	f := newFixture(t)
	a := f.open(t, "l1", "账单多扣了50元")
	b := f.open(t, "l2", "发票开错了 billing")
	code, body, _ := f.call(t, &agent, "GET", "/staff/tickets?limit=1", "")
	if code != 200 || len(body["tickets"].([]any)) != 1 || body["cursor"] == nil {
		t.Fatalf("first page = %d %v, want one ticket and a cursor", code, body)
	}
	first := body["tickets"].([]any)[0].(map[string]any)
	if first["ref"] != string(a.Ref) {
		t.Errorf("first = %v, want the earlier deadline %s", first["ref"], a.Ref)
	}
	if _, leaked := first["contact"]; leaked {
		t.Error("listing carries contact details")
	}
	code, body, _ = f.call(t, &agent, "GET", "/staff/tickets?limit=1&cursor="+body["cursor"].(string), "")
	if code != 200 || body["tickets"].([]any)[0].(map[string]any)["ref"] != string(b.Ref) {
		t.Errorf("second page = %d %v, want %s", code, body, b.Ref)
	}
	for _, q := range []string{"priority=P9", "status=open", "breached=maybe", "limit=500", "kind=spam", "status=new,resolved"} {
		if code, body, _ := f.call(t, &agent, "GET", "/staff/tickets?"+q, ""); code != 400 {
			t.Errorf("?%s = %d %v, want 400", q, code, body)
		}
	}
	code, body, _ = f.call(t, &agent, "GET", "/staff/queues", "")
	qs := body["queues"].([]any)
	if code != 200 || len(qs) != 1 || qs[0].(map[string]any)["open"] != float64(2) || qs[0].(map[string]any)["new"] != float64(2) {
		t.Errorf("queues = %d %v, want billing with 2 open, 2 new", code, body)
	}
	code, body, _ = f.call(t, &supervisor, "GET", "/staff/reports/daily?date=2026-11-23", "")
	if code != 200 || body["contactsByChannel"].(map[string]any)["web"] != float64(2) {
		t.Errorf("report = %d %v, want 2 web contacts", code, body)
	}
	if code, _, _ := f.call(t, &supervisor, "GET", "/staff/reports/daily?date=23.11.2026", ""); code != 400 {
		t.Errorf("bad date = %d, want 400", code)
	}
}
