// Package console is the staff console in the browser: the queue page,
// the ticket page with the actions its status allows, the conflict page
// when someone else acted first, and the daily report with its charts and
// CSV. Pages are rendered on the server in English and Simplified Chinese
// and work with JavaScript off; a small hashed inline script only adds the
// live SMS segment count. Every rule is the desk's: the console reads
// through the same store and acts through the same desk service as the
// staff API.
package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/staffauth"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Service is what the console needs of the desk: the staff actions
// (desk.Service) and what staff read (dynamo.Store). Backend puts the two
// together.
type Service interface {
	Do(ctx context.Context, who identity.Staff, cmd desk.Command) (desk.Result, error)
	Desk(ctx context.Context, q dynamo.DeskQuery) (dynamo.DeskPage, error)
	TicketByRef(ctx context.Context, ref ticket.Ref) (*ticket.Ticket, error)
	View(ctx context.Context, id ticket.ID) (*ticket.Ticket, error)
	Queue(ctx context.Context, queue string, now time.Time) (dynamo.QueueStats, error)
	Report(ctx context.Context, day string) (dynamo.Daily, error)
	OptedOut(ctx context.Context, phone string) (bool, error)
	Undeliverable(ctx context.Context, addr string) (bool, error)
}

// Backend is the Service the staff function wires: the desk service acts,
// the store reads.
type Backend struct {
	Actions *desk.Service
	Store   *dynamo.Store
}

var _ Service = Backend{}

// Do carries out a staff action through the desk.
func (b Backend) Do(ctx context.Context, who identity.Staff, cmd desk.Command) (desk.Result, error) {
	return b.Actions.Do(ctx, who, cmd)
}

// Desk lists tickets.
func (b Backend) Desk(ctx context.Context, q dynamo.DeskQuery) (dynamo.DeskPage, error) {
	return b.Store.Desk(ctx, q)
}

// TicketByRef reads a ticket without its messages and history.
func (b Backend) TicketByRef(ctx context.Context, ref ticket.Ref) (*ticket.Ticket, error) {
	return b.Store.TicketByRef(ctx, ref)
}

// View reads a ticket with its messages and history.
func (b Backend) View(ctx context.Context, id ticket.ID) (*ticket.Ticket, error) {
	return b.Store.View(ctx, id)
}

// Queue counts a queue's open tickets.
func (b Backend) Queue(ctx context.Context, queue string, now time.Time) (dynamo.QueueStats, error) {
	return b.Store.Queue(ctx, queue, now)
}

// Report reads a day's report.
func (b Backend) Report(ctx context.Context, day string) (dynamo.Daily, error) {
	return b.Store.Report(ctx, day)
}

// OptedOut reports whether a number opted out of texts.
func (b Backend) OptedOut(ctx context.Context, phone string) (bool, error) {
	return b.Store.OptedOut(ctx, phone)
}

// Undeliverable reports whether an address bounced for good.
func (b Backend) Undeliverable(ctx context.Context, addr string) (bool, error) {
	return b.Store.Undeliverable(ctx, addr)
}

// icon is the console's tab icon.
const icon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f4f8a"/><path d="M4 4h8v2H6v2h5v2H6v2H4z" fill="#fff"/></svg>`

// Console serves the console's pages under /console/.
type Console struct {
	svc    Service
	auth   *staffauth.Console
	rules  *ticket.Rules
	zone   *time.Location
	queues []string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	mux *http.ServeMux
}

// New returns the console over svc, signing staff in with auth; rules
// give the business's time zone and its queues. Mount it at /console/
// (it serves the sign-in routes too) and at GET /console. The queue page,
// the console's home, is /console/queue; GET /console and GET /console/
// send the browser there.
func New(svc Service, auth *staffauth.Console, rules *ticket.Rules) *Console {
	c := &Console{svc: svc, auth: auth, rules: rules, zone: rules.Calendar.Zone}
	if c.zone == nil {
		c.zone = time.UTC
	}
	for _, k := range rules.Kinds {
		if k.Queue != "" && !slices.Contains(c.queues, k.Queue) {
			c.queues = append(c.queues, k.Queue)
		}
	}
	if rules.VIPQueue != "" && !slices.Contains(c.queues, rules.VIPQueue) {
		c.queues = append(c.queues, rules.VIPQueue)
	}
	m := http.NewServeMux()
	auth.Register(m)
	page := func(h pageHandler) http.Handler { return auth.Require(c.staff(h)) }
	m.HandleFunc("GET /console", home)
	m.HandleFunc("GET /console/{$}", home)
	m.Handle("GET "+staffauth.HomePath, page(c.queue))
	m.Handle("GET /console/tickets/{ref}", page(c.ticket))
	m.Handle("POST /console/tickets/{ref}", page(c.act))
	m.Handle("GET /console/report", page(c.report))
	m.Handle("GET /console/report.csv", page(c.reportCSV))
	m.HandleFunc("GET /console/icon.svg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		_, _ = w.Write([]byte(icon))
	})
	m.Handle("/console/", page(func(w http.ResponseWriter, r *http.Request, p *pageCtx) {
		c.render(w, r, http.StatusNotFound, "problem", p, problemData{Message: p.T("notFound")})
	}))
	c.mux = m
	return c
}

// home sends /console and /console/ to the queue page, query kept (?lang=
// say). The queue does not live at /console/ itself: behind API Gateway's
// HTTP API the greedy route ANY /console/{proxy+} needs a segment after
// /console/, so that URL may reach no route at all, while GET /console has
// its own. 303, not 301: a browser keeps a 301 for good, and the home page
// may move again.
func home(w http.ResponseWriter, r *http.Request) {
	to := staffauth.HomePath
	if r.URL.RawQuery != "" {
		to += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// ServeHTTP serves a console request with the console's security headers.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	c.mux.ServeHTTP(w, r)
}

func (c *Console) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

// pageCtx is what every page knows: who is signed in, in which language,
// the form token.
type pageCtx struct {
	Who  identity.Staff
	Lang string
	CSRF string
	// Switch is this page in the other language, filters kept.
	Switch string
}

// T translates key into the page's language.
func (p *pageCtx) T(key string) string { return translate(p.Lang, key) }

type pageHandler func(w http.ResponseWriter, r *http.Request, p *pageCtx)

// staff builds the page context; a session without a staff role sees a
// refusal.
func (c *Console) staff(h pageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, _ := identity.From(r.Context())
		p := &pageCtx{Who: who, Lang: language(w, r), CSRF: staffauth.CSRF(r.Context())}
		q := r.URL.Query()
		q.Set("lang", langZH)
		if p.Lang == langZH {
			q.Set("lang", langEN)
		}
		p.Switch = r.URL.Path + "?" + q.Encode()
		if !who.Has(identity.Agent) && !who.Has(identity.Supervisor) && !who.Has(identity.Admin) {
			c.render(w, r, http.StatusForbidden, "problem", p, problemData{Message: p.T("noRole")})
			return
		}
		h(w, r, p)
	})
}

// fail logs err once and shows a page saying the request failed.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, p *pageCtx, what string, err error) {
	slog.ErrorContext(r.Context(), "console request failed", "what", what, "err", err)
	c.render(w, r, http.StatusInternalServerError, "problem", p, problemData{Message: p.T("failed")})
}

// visible are the queues who works in.
func (c *Console) visible(who identity.Staff) []string {
	var out []string
	for _, q := range c.queues {
		if who.InQueue(q) {
			out = append(out, q)
		}
	}
	return out
}

// newKey returns a fresh idempotency key for a form: the same form posted
// twice is one action.
func newKey() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// isNotFound reports a missing ticket.
func isNotFound(err error) bool { return errors.Is(err, ticket.ErrNotFound) }
