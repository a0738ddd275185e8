package console

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/staffauth"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

//go:embed pages.html
var pagesHTML string

//go:embed console.css
var consoleCSS string

//go:embed console.js
var consoleJS string

// csp allows only the console's own inline style and script, by hash.
var csp = "default-src 'none'; style-src '" + hash(consoleCSS) + "'; script-src '" + hash(consoleJS) +
	"'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

var pages = template.Must(template.New("pages").Funcs(template.FuncMap{
	"css": func() template.CSS { return template.CSS(consoleCSS) },
	"js":  func() template.JS { return template.JS(consoleJS) },
	"t":   translate,
	"tf": func(lang, key string, args ...any) string {
		return fmt.Sprintf(translate(lang, key), args...)
	},
	"list":  func(s ...string) []string { return s },
	"blank": func() form { return form{} },
	"add":   func(a, b int) int { return a + b },
	"args": func(lang string, f form, action string, d any) map[string]any {
		return map[string]any{"L": lang, "F": f, "A": action, "D": d}
	},
}).Parse(pagesHTML))

// view is what the layout renders around a page.
type view struct {
	P     *pageCtx
	Title string
	// Refresh, when set, reloads the page after that many seconds.
	Refresh int
	D       any
}

type problemData struct{ Message string }

func (c *Console) render(w http.ResponseWriter, r *http.Request, code int, name string, p *pageCtx, d any) {
	var title string
	switch name {
	case "queue":
		title = p.T("queueTitle")
	case "ticket":
		title = string(d.(*ticketData).T.Ref)
	case "conflict":
		title = p.T("conflictTitle")
	case "report":
		title = p.T("reportTitle")
	default:
		title = p.T("frontdesk")
	}
	v := view{P: p, Title: title, D: d}
	if name == "queue" {
		v.Refresh = 60
	}
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, v); err != nil {
		slog.ErrorContext(r.Context(), "render console page", "page", name, "err", err)
		http.Error(w, "the page could not be shown", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(b.Bytes())
}

// deadline is a limit as a row or the ticket page shows it.
type deadline struct {
	Label   string
	At      string
	Left    string
	Overdue bool
	Paused  bool
	Met     string
}

func (c *Console) clock(p *pageCtx, at time.Time) string {
	if at.IsZero() {
		return ""
	}
	return at.In(c.zone).Format("2006-01-02 15:04")
}

// nearest is the limit that runs now: acknowledgement while unacknowledged,
// resolution otherwise; paused while the resolve clock stands.
func (c *Console) nearest(p *pageCtx, t *ticket.Ticket, now time.Time) deadline {
	if at, on := t.AckDue(); on {
		l, over := left(p.Lang, at, now)
		return deadline{Label: p.T("ackBy"), At: c.clock(p, at), Left: l, Overdue: over}
	}
	if at, on := t.ResolveDue(); on {
		l, over := left(p.Lang, at, now)
		return deadline{Label: p.T("resolveBy"), At: c.clock(p, at), Left: l, Overdue: over}
	}
	if t.Status.Open() && t.Pause != nil {
		return deadline{Label: p.T("resolveBy"), Paused: true, Left: p.T("paused")}
	}
	return deadline{Left: p.T("none")}
}

// queueData is the queue page.
type queueData struct {
	Counts   []dynamo.QueueStats
	Queues   []string
	F        filters
	Rows     []row
	Next     string
	First    string
	Paged    bool
	Statuses []ticket.Status
	Kinds    []ticket.Kind
	Channels []ticket.Channel
}

type filters struct {
	Queue, Status, Kind, Channel, Breached string
	Mine                                   bool
}

func (f filters) query() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"queue": f.Queue, "status": f.Status, "kind": f.Kind, "channel": f.Channel, "breached": f.Breached} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if f.Mine {
		v.Set("mine", "1")
	}
	return v
}

type row struct {
	T        *ticket.Ticket
	Deadline deadline
}

// queue shows the signed-in member's queues, most urgent first.
func (c *Console) queue(w http.ResponseWriter, r *http.Request, p *pageCtx) {
	q := r.URL.Query()
	now := c.now()
	queues := c.visible(p.Who)
	d := &queueData{Queues: queues, Statuses: ticket.Statuses, Kinds: ticket.Kinds, Channels: []ticket.Channel{ticket.SMS, ticket.Web, ticket.Email}}
	dq := dynamo.DeskQuery{Now: now, Limit: 25, Queues: queues, Cursor: q.Get("cursor")}
	f := &d.F
	if v := q.Get("queue"); slices.Contains(queues, v) {
		f.Queue, dq.Queues = v, []string{v}
	}
	switch v := q.Get("status"); {
	case v == "done":
		f.Status, dq.Done = v, true
	case slices.Contains(ticket.Statuses, ticket.Status(v)):
		f.Status = v
		dq.Statuses = []ticket.Status{ticket.Status(v)}
		dq.Done = !ticket.Status(v).Open()
	}
	if v := ticket.Kind(q.Get("kind")); v.Valid() {
		f.Kind, dq.Kind = string(v), v
	}
	if v := ticket.Channel(q.Get("channel")); v.Valid() {
		f.Channel, dq.Channel = string(v), v
	}
	switch q.Get("breached") {
	case "yes":
		b := true
		f.Breached, dq.Breached = "yes", &b
	case "no":
		b := false
		f.Breached, dq.Breached = "no", &b
	}
	if q.Get("mine") == "1" {
		f.Mine, dq.Agent = true, p.Who.Actor()
	}
	for _, qu := range queues {
		s, err := c.svc.Queue(r.Context(), qu, now)
		if err != nil {
			c.fail(w, r, p, "count queue", err)
			return
		}
		d.Counts = append(d.Counts, s)
	}
	if len(queues) > 0 {
		page, err := c.svc.Desk(r.Context(), dq)
		if errors.Is(err, dynamo.ErrCursor) {
			dq.Cursor = ""
			page, err = c.svc.Desk(r.Context(), dq)
		}
		if err != nil {
			c.fail(w, r, p, "list tickets", err)
			return
		}
		for i := range page.Tickets {
			t := &page.Tickets[i]
			d.Rows = append(d.Rows, row{T: t, Deadline: c.nearest(p, t, now)})
		}
		base := f.query()
		d.First = staffauth.HomePath + "?" + base.Encode()
		d.Paged = dq.Cursor != ""
		if page.Cursor != "" {
			base.Set("cursor", page.Cursor)
			d.Next = staffauth.HomePath + "?" + base.Encode()
		}
	}
	c.render(w, r, http.StatusOK, "queue", p, d)
}

// form is an action form as posted: the typed values are kept so that a
// refused or conflicting action loses nothing.
type form struct {
	Action     string
	Version    int
	Read       int64
	Key        string
	Agent      string
	Queue      string
	Reason     string
	Text       string
	On         string
	Into       string
	Resolution string
	AtFault    string
	Kind       string
	Priority   string
	Major      string
}

// fields are the form fields an action takes.
func (f form) request() ticket.Request {
	fault := ticket.Fault(f.AtFault)
	if f.AtFault == "none" {
		fault = ticket.FaultNobody
	}
	req := ticket.Request{
		Action: ticket.Action(f.Action), Agent: f.Agent, Queue: f.Queue, Reason: f.Reason, Text: f.Text,
		On: ticket.WaitOn(f.On), Into: ticket.Ref(strings.ToUpper(strings.TrimSpace(f.Into))),
		Resolution: f.Resolution, AtFault: fault, Kind: ticket.Kind(f.Kind),
	}
	if f.Priority != "" {
		_ = req.Priority.UnmarshalJSON([]byte(strconv.Quote(f.Priority)))
	}
	switch f.Major {
	case "yes", "no":
		m := f.Major == "yes"
		req.Major = &m
	}
	return req
}

// ticketData is the ticket page.
type ticketData struct {
	T         *ticket.Ticket
	Deadline  deadline
	AckBy     deadline
	ResolveBy deadline
	Allowed   []ticket.Action
	Messages  []message
	History   []event
	Callback  *callbackView
	// ReplyBy is the channel a reply goes through; Warning says why it
	// may not reach the customer.
	ReplyBy  ticket.Channel
	Warning  string
	Segments sms.Segments
	Queues   []string
	Kinds    []ticket.Kind
	// F is the form that was posted, for the action it names.
	F          form
	Key        string
	Done       string
	DoneAction ticket.Action
	Replay     bool
	Problem    string
	Details    []string
	Me         string
}

type message struct {
	M        ticket.Message
	At       string
	Long     bool
	FullBody string
}

type event struct {
	E  ticket.Event
	At string
}

type callbackView struct {
	Customer, Business, Zone string
}

// longMail is where a message's text is collapsed.
const longMail = 1200

func (c *Console) span(at time.Time, end time.Time, zone *time.Location) string {
	return at.In(zone).Format("2006-01-02 15:04") + "–" + end.In(zone).Format("15:04 MST")
}

// load reads a ticket staff may see: 404 and 403 are answered here.
func (c *Console) load(w http.ResponseWriter, r *http.Request, p *pageCtx) (*ticket.Ticket, bool) {
	ref, ok := ticket.ParseRef(r.PathValue("ref"))
	var t *ticket.Ticket
	var err error
	if ok {
		t, err = c.svc.TicketByRef(r.Context(), ref)
	}
	switch {
	case !ok || isNotFound(err):
		c.render(w, r, http.StatusNotFound, "problem", p, problemData{Message: p.T("notFound")})
		return nil, false
	case err != nil:
		c.fail(w, r, p, "read ticket", err)
		return nil, false
	case !desk.May(p.Who, t):
		c.render(w, r, http.StatusForbidden, "problem", p, problemData{Message: p.T("forbidden")})
		return nil, false
	}
	full, err := c.svc.View(r.Context(), t.ID)
	if err != nil {
		c.fail(w, r, p, "read ticket", err)
		return nil, false
	}
	return full, true
}

// allowed asks the domain which actions t allows now: an action it
// refuses only for missing fields is allowed.
func (c *Console) allowed(t *ticket.Ticket) []ticket.Action {
	var out []ticket.Action
	for _, a := range ticket.Actions {
		err := c.rules.Check(t, ticket.Request{Action: a})
		var inv *ticket.InvalidError
		if err == nil || errors.As(err, &inv) {
			out = append(out, a)
		}
	}
	return out
}

func (c *Console) ticketData(r *http.Request, p *pageCtx, t *ticket.Ticket) (*ticketData, error) {
	now := c.now()
	d := &ticketData{T: t, Deadline: c.nearest(p, t, now), Allowed: c.allowed(t), Queues: c.queues, Kinds: ticket.Kinds,
		Key: newKey(), ReplyBy: desk.ReplyChannel(t), Me: p.Who.Subject, Segments: sms.Count("")}
	if !t.AckBy.IsZero() {
		d.AckBy = deadline{At: c.clock(p, t.AckBy)}
		if !t.AckedAt.IsZero() {
			d.AckBy.Met = c.clock(p, t.AckedAt)
		} else {
			d.AckBy.Left, d.AckBy.Overdue = left(p.Lang, t.AckBy, now)
		}
	}
	if !t.ResolveBy.IsZero() {
		d.ResolveBy = deadline{At: c.clock(p, t.ResolveBy)}
		switch {
		case !t.ResolvedAt.IsZero() && !t.Status.Open():
			d.ResolveBy.Met = c.clock(p, t.ResolvedAt)
		case t.Pause != nil:
			d.ResolveBy.Paused, d.ResolveBy.Left = true, p.T("paused")
		default:
			d.ResolveBy.Left, d.ResolveBy.Overdue = left(p.Lang, t.ResolveBy, now)
		}
	}
	for _, m := range t.Messages {
		mv := message{M: m, At: c.clock(p, m.At)}
		if m.FullBody != "" && m.FullBody != m.Body {
			mv.FullBody = m.FullBody
		}
		mv.Long = len([]rune(m.Body)) > longMail
		d.Messages = append(d.Messages, mv)
	}
	for _, e := range t.History {
		d.History = append(d.History, event{E: e, At: c.clock(p, e.At)})
	}
	if cb := t.Callback; cb != nil {
		zone, err := time.LoadLocation(cb.Zone)
		if err != nil {
			zone = time.UTC
		}
		d.Callback = &callbackView{Customer: c.span(cb.Start, cb.End, zone), Business: c.span(cb.Start, cb.End, c.zone), Zone: cb.Zone}
	}
	if slices.Contains(d.Allowed, ticket.ActReply) {
		var bad bool
		var err error
		switch {
		case d.ReplyBy == ticket.Email && t.Contact.Email == "", d.ReplyBy == ticket.SMS && t.Contact.Phone == "":
			d.Warning = p.T("noContact")
		case d.ReplyBy == ticket.Email:
			if bad, err = c.svc.Undeliverable(r.Context(), t.Contact.Email); bad {
				d.Warning = p.T("bounced")
			}
		default:
			if bad, err = c.svc.OptedOut(r.Context(), t.Contact.Phone); bad {
				d.Warning = p.T("optedOut")
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// page reads the ticket the request names and what its page shows; a
// refusal or failure is answered here.
func (c *Console) page(w http.ResponseWriter, r *http.Request, p *pageCtx) (*ticketData, bool) {
	t, ok := c.load(w, r, p)
	if !ok {
		return nil, false
	}
	d, err := c.ticketData(r, p, t)
	if err != nil {
		c.fail(w, r, p, "read ticket", err)
		return nil, false
	}
	return d, true
}

// ticket shows one ticket with what can be done to it now.
func (c *Console) ticket(w http.ResponseWriter, r *http.Request, p *pageCtx) {
	d, ok := c.page(w, r, p)
	if !ok {
		return
	}
	if a := ticket.Action(r.URL.Query().Get("done")); slices.Contains(ticket.Actions, a) {
		d.Done, d.DoneAction = p.T("act."+string(a)), a
		d.Replay = r.URL.Query().Get("replayed") == "1"
	}
	c.render(w, r, http.StatusOK, "ticket", p, d)
}

// maxForm bounds an action form.
const maxForm = 64 << 10

// act carries out a posted action through the desk.
func (c *Console) act(w http.ResponseWriter, r *http.Request, p *pageCtx) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		c.render(w, r, http.StatusRequestEntityTooLarge, "problem", p, problemData{Message: p.T("failed")})
		return
	}
	pf := r.PostForm
	f := form{
		Action: pf.Get("action"), Key: pf.Get("key"), Agent: strings.TrimSpace(pf.Get("agent")), Queue: pf.Get("queue"),
		Reason: pf.Get("reason"), Text: pf.Get("text"), On: pf.Get("on"), Into: pf.Get("into"),
		Resolution: pf.Get("resolution"), AtFault: pf.Get("atFault"), Kind: pf.Get("kind"), Priority: pf.Get("priority"), Major: pf.Get("major"),
	}
	// The desk stores the agent as history names staff, whichever form
	// is typed in.
	if f.Action == string(ticket.ActAssign) && pf.Get("me") == "1" {
		f.Agent, f.Queue = p.Who.Actor(), ""
	}
	f.Version, _ = strconv.Atoi(pf.Get("version"))
	f.Read, _ = strconv.ParseInt(pf.Get("read"), 10, 64)
	if len(f.Key) > 64 {
		f.Key = ""
	}
	ref, _ := ticket.ParseRef(r.PathValue("ref"))
	res, err := c.svc.Do(r.Context(), p.Who, desk.Command{Ref: ref, Version: f.Version, Key: f.Key, Request: f.request()})
	if err == nil {
		u := "/console/tickets/" + string(res.Ticket.Ref) + "?done=" + url.QueryEscape(f.Action)
		if res.Replayed {
			u += "&replayed=1"
		}
		http.Redirect(w, r, u, http.StatusSeeOther)
		return
	}
	var ce *desk.ConflictError
	var inv *ticket.InvalidError
	var na *ticket.NotAllowedError
	code, msg := http.StatusUnprocessableEntity, ""
	var details []string
	switch {
	case errors.As(err, &ce):
		c.conflict(w, r, p, f, ce)
		return
	case isNotFound(err):
		c.render(w, r, http.StatusNotFound, "problem", p, problemData{Message: p.T("notFound")})
		return
	case errors.Is(err, desk.ErrForbidden):
		c.render(w, r, http.StatusForbidden, "problem", p, problemData{Message: p.T("forbidden")})
		return
	case errors.As(err, &inv):
		msg, details = p.T("problems"), inv.Problems
	case errors.As(err, &na):
		code, msg = http.StatusConflict, fmt.Sprintf(translate(p.Lang, "notAllowedNow"), p.T("act."+string(na.Action)), p.T("st."+string(na.Status)))
	case errors.Is(err, ticket.ErrMerged):
		code, msg = http.StatusConflict, p.T("merged")
	case errors.Is(err, desk.ErrUnreachable):
		msg = p.T("unreachable")
	case errors.Is(err, desk.ErrInProgress):
		code, msg = http.StatusConflict, p.T("inProgress")
	default:
		c.fail(w, r, p, "act on ticket", err)
		return
	}
	d, ok := c.page(w, r, p)
	if !ok {
		return
	}
	f.Version = d.T.Version
	d.F, d.Problem, d.Details = f, msg, details
	d.Segments = sms.Count(f.Text)
	c.render(w, r, code, "ticket", p, d)
}

// conflictData is the conflict page: what changed since the agent read
// the ticket, and their action with everything they typed, ready to send
// again on the current version.
type conflictData struct {
	T        *ticket.Ticket
	Read     int
	Changes  []event
	F        form
	Key      string
	Allowed  bool
	Status   string
	Segments sms.Segments
	Queues   []string
	Kinds    []ticket.Kind
	ReplyBy  ticket.Channel
	Warning  string
}

func (c *Console) conflict(w http.ResponseWriter, r *http.Request, p *pageCtx, f form, ce *desk.ConflictError) {
	t, ok := c.load(w, r, p)
	if !ok {
		return
	}
	d := &conflictData{T: t, Read: f.Version, F: f, Key: newKey(), Queues: c.queues, Kinds: ticket.Kinds,
		Segments: sms.Count(f.Text), ReplyBy: desk.ReplyChannel(t)}
	read := time.Unix(0, f.Read)
	for _, e := range t.History {
		if f.Read == 0 || e.At.After(read) {
			d.Changes = append(d.Changes, event{E: e, At: c.clock(p, e.At)})
		}
	}
	d.Allowed = slices.Contains(c.allowed(t), ticket.Action(f.Action))
	d.Status = p.T("st." + string(t.Status))
	d.F.Version = t.Version
	d.F.Read = t.UpdatedAt.UnixNano()
	slog.InfoContext(r.Context(), "console conflict", "ref", t.Ref, "version", ce.Version, "current", ce.Current)
	c.render(w, r, http.StatusConflict, "conflict", p, d)
}

// reader may read reports: supervisors and admins, as the staff API says.
func reader(who identity.Staff) bool { return who.Has(identity.Supervisor) || who.Has(identity.Admin) }
