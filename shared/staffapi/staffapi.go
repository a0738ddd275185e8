// Package staffapi is the staff HTTP API: list, read and act on tickets,
// queue counts and the daily report, as JSON. Handlers receive the member
// of staff from the request context (identity.From), put there by the
// authentication in front of them; without one they answer 401. Every
// error is JSON with a clear message.
package staffapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Store is what the API reads (dynamo.Store).
type Store interface {
	Desk(ctx context.Context, q dynamo.DeskQuery) (dynamo.DeskPage, error)
	TicketByRef(ctx context.Context, ref ticket.Ref) (*ticket.Ticket, error)
	View(ctx context.Context, id ticket.ID) (*ticket.Ticket, error)
	Queue(ctx context.Context, queue string, now time.Time) (dynamo.QueueStats, error)
	Report(ctx context.Context, day string) (dynamo.Daily, error)
}

// Actions carries out staff actions (desk.Service).
type Actions interface {
	Do(ctx context.Context, who identity.Staff, cmd desk.Command) (desk.Result, error)
}

// API serves the /staff routes.
type API struct {
	Store   Store
	Actions Actions
	// Queues are every owner queue (the rules' queues).
	Queues []string
	// Zone is the business's time zone, for report dates.
	Zone *time.Location
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	mux *http.ServeMux
}

// New returns the API with its routes.
func New(store Store, actions Actions, queues []string, zone *time.Location) *API {
	a := &API{Store: store, Actions: actions, Queues: queues, Zone: zone}
	m := http.NewServeMux()
	m.HandleFunc("GET /staff/tickets", a.staff(a.list))
	m.HandleFunc("GET /staff/tickets/{ref}", a.staff(a.get))
	m.HandleFunc("POST /staff/tickets/{ref}/actions", a.staff(a.act))
	m.HandleFunc("GET /staff/queues", a.staff(a.queues))
	m.HandleFunc("GET /staff/reports/daily", a.staff(a.daily))
	m.HandleFunc("/staff/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such staff route: "+r.Method+" "+r.URL.Path)
	})
	a.mux = m
	return a
}

// ServeHTTP routes a request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

func (a *API) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

type staffHandler func(w http.ResponseWriter, r *http.Request, who identity.Staff)

// staff checks that a member of staff with a role is signed in.
func (a *API) staff(h staffHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, ok := identity.From(r.Context())
		if !ok || who.Subject == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="frontdesk-staff"`)
			writeError(w, http.StatusUnauthorized, "sign in: this route needs a staff token (Authorization: Bearer …)")
			return
		}
		if !who.Has(identity.Agent) && !who.Has(identity.Supervisor) && !who.Has(identity.Admin) {
			writeError(w, http.StatusForbidden, "your token has none of the staff roles agent, supervisor or admin")
			return
		}
		h(w, r, who)
	}
}

// errorBody is every error's shape.
type errorBody struct {
	Error string `json:"error"`
	// Status and Allowed explain an action the status machine refused.
	Status  ticket.Status   `json:"status,omitempty"`
	Allowed []ticket.Action `json:"allowed,omitempty"`
	// Version and Current explain a conflict.
	Version  int      `json:"version,omitempty"`
	Current  int      `json:"current,omitempty"`
	Problems []string `json:"problems,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}

// visible returns the queues who may list, narrowed to asked when given.
func (a *API) visible(who identity.Staff, asked []string) ([]string, error) {
	mine := a.Queues
	if !who.Has(identity.Admin) {
		mine = nil
		for _, q := range a.Queues {
			if who.InQueue(q) {
				mine = append(mine, q)
			}
		}
	}
	if len(asked) == 0 {
		return mine, nil
	}
	for _, q := range asked {
		if !slices.Contains(a.Queues, q) {
			return nil, fmt.Errorf("queue %q is not one of %s", q, strings.Join(a.Queues, ", "))
		}
		if !slices.Contains(mine, q) {
			return nil, errForbiddenQueue
		}
	}
	return asked, nil
}

var errForbiddenQueue = errors.New("you may only list tickets of your own queues")

// listItem is a ticket as a listing shows it: no messages, no contact.
type listItem struct {
	Ref       ticket.Ref      `json:"ref"`
	Channel   ticket.Channel  `json:"channel"`
	Kind      ticket.Kind     `json:"kind"`
	Priority  ticket.Priority `json:"priority"`
	Status    ticket.Status   `json:"status"`
	Queue     string          `json:"queue"`
	Owner     string          `json:"owner,omitempty"`
	Summary   string          `json:"summary"`
	CreatedAt time.Time       `json:"createdAt"`
	UpdatedAt time.Time       `json:"updatedAt"`
	Deadlines deadlines       `json:"deadlines"`
	Version   int             `json:"version"`
	VIP       bool            `json:"vip,omitempty"`
	Level     int             `json:"escalationLevel,omitempty"`
}

// deadlines are a ticket's limits as a desk reads them.
type deadlines struct {
	AckBy     time.Time `json:"ackBy,omitzero"`
	AckedAt   time.Time `json:"acknowledgedAt,omitzero"`
	ResolveBy time.Time `json:"resolveBy,omitzero"`
	// ResolvePaused is set while the resolve clock does not run (waiting,
	// or the last word is staff's).
	ResolvePaused bool `json:"resolvePaused,omitempty"`
	// Breached lists the limits that passed and still apply.
	Breached   []string  `json:"breached,omitempty"`
	EscalateAt time.Time `json:"nextEscalation,omitzero"`
}

func deadlinesOf(t *ticket.Ticket, now time.Time) deadlines {
	d := deadlines{AckBy: t.AckBy, AckedAt: t.AckedAt, ResolveBy: t.ResolveBy, ResolvePaused: t.Pause != nil && t.Status.Open(), EscalateAt: t.EscalateAt}
	for _, b := range t.Breaches(now) {
		d.Breached = append(d.Breached, b.Due)
	}
	return d
}

func item(t *ticket.Ticket, now time.Time) listItem {
	return listItem{
		Ref: t.Ref, Channel: t.Channel, Kind: t.Kind, Priority: t.Priority, Status: t.Status, Queue: t.Owner,
		Owner: t.Agent, Summary: t.Summary, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
		Deadlines: deadlinesOf(t, now), Version: t.Version, VIP: t.VIP, Level: t.EscalationLevel,
	}
}

// list answers GET /staff/tickets.
func (a *API) list(w http.ResponseWriter, r *http.Request, who identity.Staff) {
	q := r.URL.Query()
	var problems []string
	dq := dynamo.DeskQuery{Now: a.now(), Cursor: q.Get("cursor"), Limit: 50}
	queues, err := a.visible(who, split(q.Get("queue")))
	if errors.Is(err, errForbiddenQueue) {
		writeError(w, http.StatusForbidden, err.Error())
		return
	}
	if err != nil {
		problems = append(problems, err.Error())
	}
	dq.Queues = queues
	if v := q.Get("owner"); v != "" {
		if v == "me" {
			v = who.Actor()
		}
		// Owners are stored as "staff:<subject>"; a bare subject finds
		// them too.
		dq.Agent = identity.Actor(v)
	}
	for _, s := range split(q.Get("status")) {
		st := ticket.Status(s)
		if !slices.Contains(ticket.Statuses, st) {
			problems = append(problems, fmt.Sprintf("status %q is not one of %v", s, ticket.Statuses))
			continue
		}
		dq.Statuses = append(dq.Statuses, st)
	}
	if len(dq.Statuses) > 0 {
		done := 0
		for _, st := range dq.Statuses {
			if !st.Open() {
				done++
			}
		}
		switch {
		case done == len(dq.Statuses):
			dq.Done = true
		case done > 0:
			problems = append(problems, "list open statuses or finished ones (resolved, closed), not both")
		}
	}
	if v := q.Get("kind"); v != "" {
		if dq.Kind = ticket.Kind(v); !dq.Kind.Valid() {
			problems = append(problems, fmt.Sprintf("kind %q is not one of %v", v, ticket.Kinds))
		}
	}
	if v := q.Get("channel"); v != "" {
		if dq.Channel = ticket.Channel(v); !dq.Channel.Valid() {
			problems = append(problems, fmt.Sprintf("channel %q is not sms, web or email", v))
		}
	}
	if v := q.Get("priority"); v != "" {
		if err := dq.Priority.UnmarshalJSON([]byte(strconv.Quote(v))); err != nil {
			problems = append(problems, "priority must be P1, P2, P3 or P4")
		}
	}
	if v := q.Get("breached"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			problems = append(problems, "breached must be true or false")
		}
		dq.Breached = &b
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > dynamo.MaxPage {
			problems = append(problems, fmt.Sprintf("limit must be 1–%d", dynamo.MaxPage))
		}
		dq.Limit = n
	}
	if len(problems) > 0 {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "bad query: " + strings.Join(problems, "; "), Problems: problems})
		return
	}
	page, err := a.Store.Desk(r.Context(), dq)
	if errors.Is(err, dynamo.ErrCursor) {
		writeError(w, http.StatusBadRequest, "cursor is not one this listing returned: start again without it")
		return
	}
	if err != nil {
		a.fail(w, r, "list tickets", err)
		return
	}
	out := struct {
		Tickets []listItem `json:"tickets"`
		Cursor  string     `json:"cursor,omitempty"`
	}{Tickets: []listItem{}, Cursor: page.Cursor}
	now := a.now()
	for i := range page.Tickets {
		out.Tickets = append(out.Tickets, item(&page.Tickets[i], now))
	}
	writeJSON(w, http.StatusOK, out)
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ticketView is a ticket as staff read it: everything, with its limits
// and the actions its status allows.
type ticketView struct {
	*ticket.Ticket
	Deadlines deadlines       `json:"deadlines"`
	Allowed   []ticket.Action `json:"allowedActions"`
}

func (a *API) load(w http.ResponseWriter, r *http.Request, who identity.Staff) (*ticket.Ticket, bool) {
	ref, ok := ticket.ParseRef(r.PathValue("ref"))
	if !ok {
		writeError(w, http.StatusNotFound, "no ticket "+strconv.Quote(r.PathValue("ref"))+": references look like FD-7K3MQ9")
		return nil, false
	}
	t, err := a.Store.TicketByRef(r.Context(), ref)
	if errors.Is(err, ticket.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no ticket "+string(ref))
		return nil, false
	}
	if err != nil {
		a.fail(w, r, "read ticket", err)
		return nil, false
	}
	if !desk.May(who, t) {
		writeError(w, http.StatusForbidden, "ticket "+string(ref)+" belongs to queue "+t.Owner+", which is not yours")
		return nil, false
	}
	return t, true
}

// get answers GET /staff/tickets/{ref}.
func (a *API) get(w http.ResponseWriter, r *http.Request, who identity.Staff) {
	t, ok := a.load(w, r, who)
	if !ok {
		return
	}
	full, err := a.Store.View(r.Context(), t.ID)
	if err != nil {
		a.fail(w, r, "read ticket", err)
		return
	}
	w.Header().Set("ETag", strconv.Quote(strconv.Itoa(full.Version)))
	writeJSON(w, http.StatusOK, ticketView{Ticket: full, Deadlines: deadlinesOf(full, a.now()), Allowed: allowed(full)})
}

func allowed(t *ticket.Ticket) []ticket.Action {
	if t.MergedInto != "" {
		return []ticket.Action{ticket.ActNote}
	}
	return ticket.Allowed(t.Status)
}

// actionBody is an action as posted.
type actionBody struct {
	Action     ticket.Action   `json:"action"`
	Version    *int            `json:"version"`
	Agent      string          `json:"agent"`
	Queue      string          `json:"queue"`
	Reason     string          `json:"reason"`
	Text       string          `json:"text"`
	On         ticket.WaitOn   `json:"on"`
	Into       string          `json:"into"`
	Resolution string          `json:"resolution"`
	AtFault    string          `json:"atFault"`
	Kind       ticket.Kind     `json:"kind"`
	Priority   ticket.Priority `json:"priority"`
	Major      *bool           `json:"major"`
	// Op, Window and Result are a callback action's.
	Op     ticket.CallbackOp       `json:"op"`
	Window *ticket.CallbackRequest `json:"window"`
	Result ticket.CallbackResult   `json:"result"`
}

// maxBody bounds an action's JSON.
const maxBody = 64 << 10

// act answers POST /staff/tickets/{ref}/actions.
func (a *API) act(w http.ResponseWriter, r *http.Request, who identity.Staff) {
	ref, ok := ticket.ParseRef(r.PathValue("ref"))
	if !ok {
		writeError(w, http.StatusNotFound, "no ticket "+strconv.Quote(r.PathValue("ref"))+": references look like FD-7K3MQ9")
		return
	}
	var body actionBody
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "the body must be one JSON object {\"action\": …, \"version\": …}: "+err.Error())
		return
	}
	version := body.Version
	if m := strings.Trim(strings.TrimPrefix(r.Header.Get("If-Match"), "W/"), `"`); m != "" {
		v, err := strconv.Atoi(m)
		if err != nil || (version != nil && *version != v) {
			writeError(w, http.StatusBadRequest, "If-Match must be the version read, and agree with the body's version")
			return
		}
		version = &v
	}
	if version == nil {
		writeError(w, http.StatusPreconditionRequired, "say which version you read: \"version\" in the body or an If-Match header")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 200 {
		writeError(w, http.StatusBadRequest, "Idempotency-Key is longer than 200 characters")
		return
	}
	fault := ticket.Fault(body.AtFault)
	if body.AtFault == "none" {
		fault = ticket.FaultNobody
	}
	cmd := desk.Command{Ref: ref, Version: *version, Key: key, Request: ticket.Request{
		Action: body.Action, Agent: body.Agent, Queue: body.Queue, Reason: body.Reason, Text: body.Text,
		On: body.On, Into: ticket.Ref(strings.ToUpper(strings.TrimSpace(body.Into))), Resolution: body.Resolution,
		AtFault: fault, Kind: body.Kind, Priority: body.Priority, Major: body.Major,
		Op: body.Op, Window: body.Window, Result: body.Result,
	}}
	if body.Action == ticket.ActTransfer || (body.Action == ticket.ActAssign && body.Queue != "") {
		if !slices.Contains(a.Queues, body.Queue) {
			writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: fmt.Sprintf("queue %q is not one of %s", body.Queue, strings.Join(a.Queues, ", "))})
			return
		}
	}
	res, err := a.Actions.Do(r.Context(), who, cmd)
	if err != nil {
		a.actionError(w, r, err)
		return
	}
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("ETag", strconv.Quote(strconv.Itoa(res.Ticket.Version)))
	writeJSON(w, http.StatusOK, struct {
		Ticket    listItem        `json:"ticket"`
		Events    []ticket.Event  `json:"events"`
		Allowed   []ticket.Action `json:"allowedActions"`
		Deadlines deadlines       `json:"deadlines"`
	}{item(&res.Ticket, a.now()), nonNil(res.Events), allowed(&res.Ticket), deadlinesOf(&res.Ticket, a.now())})
}

func nonNil(e []ticket.Event) []ticket.Event {
	if e == nil {
		return []ticket.Event{}
	}
	return e
}

func (a *API) actionError(w http.ResponseWriter, r *http.Request, err error) {
	var na *ticket.NotAllowedError
	var ce *desk.ConflictError
	var inv *ticket.InvalidError
	switch {
	case errors.As(err, &na):
		writeJSON(w, http.StatusConflict, errorBody{
			Error:  fmt.Sprintf("%s is not allowed on a %s ticket; allowed: %s", na.Action, na.Status, joinActions(na.Allowed)),
			Status: na.Status, Allowed: nonNilActions(na.Allowed),
		})
	case errors.As(err, &ce):
		writeJSON(w, http.StatusConflict, errorBody{
			Error:   fmt.Sprintf("ticket %s changed since you read it (version %d, now %d): read it again and retry", ce.Ref, ce.Version, ce.Current),
			Version: ce.Version, Current: ce.Current,
		})
	case errors.As(err, &inv):
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: inv.Error(), Problems: inv.Problems})
	case errors.Is(err, ticket.ErrMerged):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, ticket.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such ticket: "+err.Error())
	case errors.Is(err, desk.ErrForbidden):
		writeError(w, http.StatusForbidden, "this ticket is not in your queues")
	case errors.Is(err, desk.ErrUnreachable):
		writeError(w, http.StatusUnprocessableEntity, "the reply was not sent: "+err.Error())
	case errors.Is(err, desk.ErrInProgress):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusConflict, "the same request (Idempotency-Key) is still in progress: retry in a moment")
	default:
		a.fail(w, r, "act on ticket", err)
	}
}

func joinActions(as []ticket.Action) string {
	if len(as) == 0 {
		return "none"
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

func nonNilActions(a []ticket.Action) []ticket.Action {
	if a == nil {
		return []ticket.Action{}
	}
	return a
}

// queues answers GET /staff/queues.
func (a *API) queues(w http.ResponseWriter, r *http.Request, who identity.Staff) {
	qs, _ := a.visible(who, nil)
	out := struct {
		Queues []dynamo.QueueStats `json:"queues"`
	}{Queues: []dynamo.QueueStats{}}
	now := a.now()
	for _, q := range qs {
		s, err := a.Store.Queue(r.Context(), q, now)
		if err != nil {
			a.fail(w, r, "count queue", err)
			return
		}
		out.Queues = append(out.Queues, s)
	}
	writeJSON(w, http.StatusOK, out)
}

// daily answers GET /staff/reports/daily?date=YYYY-MM-DD: supervisors and
// admins only.
func (a *API) daily(w http.ResponseWriter, r *http.Request, who identity.Staff) {
	if !who.Has(identity.Supervisor) && !who.Has(identity.Admin) {
		writeError(w, http.StatusForbidden, "reports are for supervisors and admins")
		return
	}
	day := r.URL.Query().Get("date")
	zone := a.Zone
	if zone == nil {
		zone = time.UTC
	}
	if day == "" {
		day = a.now().In(zone).Format(time.DateOnly)
	}
	d, err := time.ParseInLocation(time.DateOnly, day, zone)
	if err != nil || d.Format(time.DateOnly) != day {
		writeError(w, http.StatusBadRequest, "date must be YYYY-MM-DD (a day in "+zone.String()+")")
		return
	}
	if d.After(a.now()) {
		writeError(w, http.StatusBadRequest, "date "+day+" is in the future")
		return
	}
	rep, err := a.Store.Report(r.Context(), day)
	if err != nil {
		a.fail(w, r, "daily report", err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	slog.ErrorContext(r.Context(), "staff request failed", "what", what, "err", err)
	writeError(w, http.StatusInternalServerError, what+" failed; try again (the error is logged)")
}
