package staffapi_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/staffapi"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// memory answers the API's reads without a table.
type memory struct{}

func (memory) Desk(_ context.Context, q dynamo.DeskQuery) (dynamo.DeskPage, error) {
	if q.Cursor != "" && strings.ContainsAny(q.Cursor, "+/=") {
		return dynamo.DeskPage{}, dynamo.ErrCursor
	}
	return dynamo.DeskPage{}, nil
}
func (memory) TicketByRef(_ context.Context, ref ticket.Ref) (*ticket.Ticket, error) {
	return &ticket.Ticket{ID: "01JFUZZ0000000000000000000", Ref: ref, Owner: "billing", Status: ticket.New, Version: 1}, nil
}
func (memory) View(_ context.Context, id ticket.ID) (*ticket.Ticket, error) {
	return &ticket.Ticket{ID: id, Ref: "FD-ABC234", Owner: "billing", Status: ticket.New, Version: 1}, nil
}
func (memory) Queue(_ context.Context, q string, _ time.Time) (dynamo.QueueStats, error) {
	return dynamo.QueueStats{Queue: q}, nil
}
func (memory) Report(_ context.Context, day string) (dynamo.Daily, error) {
	return dynamo.Daily{Date: day}, nil
}

// checking runs the domain's checks, as the desk does, without a table.
type checking struct{}

func (checking) Do(_ context.Context, who identity.Staff, cmd desk.Command) (desk.Result, error) {
	t := &ticket.Ticket{ID: "01JFUZZ0000000000000000000", Ref: cmd.Ref, Owner: "billing", Status: ticket.New, Version: 1,
		CreatedAt: monday10, UpdatedAt: monday10, Kind: ticket.Billing, Priority: ticket.P3}
	req := cmd.Request
	req.Actor, req.At = who.Actor(), monday10
	if req.Action == ticket.ActMerge || req.Action == ticket.ActReply {
		return desk.Result{}, rules.Check(t, req)
	}
	o, err := rules.Decide(t, req)
	if err != nil {
		return desk.Result{}, err
	}
	return desk.Result{Ticket: *o.Ticket, Events: o.Events}, nil
}

func fuzzAPI() *staffapi.API {
	a := staffapi.New(memory{}, checking{}, dynamo.Queues(rules), shanghai)
	a.Now = func() time.Time { return monday10 }
	return a
}

// FuzzAction: whatever is posted as an action, the answer is JSON, never
// a server error.
func FuzzAction(f *testing.F) {
	for _, s := range []string{
		`{"action":"acknowledge","version":1}`,
		`{"action":"classify","version":1,"kind":"repair","priority":"P1","major":true}`,
		`{"action":"resolve","version":1,"resolution":"ok","atFault":"none"}`,
		`{"action":"wait","version":1,"on":"customer","reason":"x","text":"y"}`,
		`{"action":"transfer","version":1,"queue":"complaints","reason":"z"}`,
		`{"action":"merge","version":1,"into":"fd-zzz234"}`,
		`{"action":"note","version":-3,"text":""}`, `[]`, `{"version":1e99}`, `{"priority":7}`,
	} {
		f.Add(s, "")
	}
	f.Add(`{"action":"acknowledge"}`, `"1"`)
	a := fuzzAPI()
	who := identity.Staff{Subject: "ann", Roles: []identity.Role{identity.Agent}, Queues: []string{"billing"}}
	f.Fuzz(func(t *testing.T, body, ifMatch string) {
		r := httptest.NewRequest("POST", "/staff/tickets/FD-ABC234/actions", strings.NewReader(body))
		r.Header.Set("If-Match", ifMatch)
		r = r.WithContext(identity.With(r.Context(), who))
		w := httptest.NewRecorder()
		a.ServeHTTP(w, r)
		if w.Code >= 500 || !json.Valid(w.Body.Bytes()) {
			t.Errorf("POST %q (If-Match %q) = %d %s", body, ifMatch, w.Code, w.Body)
		}
	})
}

// FuzzListQuery: whatever the query string, the answer is JSON, never a
// server error.
func FuzzListQuery(f *testing.F) {
	for _, s := range []string{
		"queue=billing&status=new&kind=billing&priority=P3&channel=sms&breached=true&owner=me&limit=10",
		"status=resolved,closed", "status=new,closed", "limit=0", "limit=101", "priority=p1", "cursor=%%%",
		"queue=complaints", "breached=maybe", "cursor=abc+/",
	} {
		f.Add(s)
	}
	a := fuzzAPI()
	who := identity.Staff{Subject: "ann", Roles: []identity.Role{identity.Agent}, Queues: []string{"billing"}}
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest("GET", "/staff/tickets", nil)
		r.URL.RawQuery = q
		r = r.WithContext(identity.With(r.Context(), who))
		w := httptest.NewRecorder()
		a.ServeHTTP(w, r)
		if w.Code >= 500 || !json.Valid(w.Body.Bytes()) {
			t.Errorf("GET ?%s = %d %s", q, w.Code, w.Body)
		}
	})
}
