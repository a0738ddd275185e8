// Package webform is the web-form channel: the contact form page and the
// POST /contacts endpoint for browsers and JSON clients. It is a plain
// net/http handler; Lambda runs it behind API Gateway through
// aws-lambda-go-api-proxy, the local stack serves it directly.
package webform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/frontdesk/frontdesk/shared/deadline"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Receiver makes contacts into tickets (an *intake.Service).
type Receiver interface {
	Receive(ctx context.Context, in intake.Inbound) (intake.Receipt, error)
}

// Finder looks tickets up by reference, for GET /contacts/{ref}.
type Finder interface {
	ByRef(ctx context.Context, ref ticket.Ref) (ticket.ID, error)
	Ticket(ctx context.Context, id ticket.ID) (*ticket.Ticket, error)
}

// Config is the form's configuration.
type Config struct {
	// Finder, when set, serves GET /contacts/{ref}: where a contact stands.
	Finder Finder
	// Calendar is the business's hours, for callback requests.
	Calendar ticket.Calendar
	// Region is the default phone region, shown in the phone hint.
	Region string
	// AllowedOrigins may embed the form and post to it (CORS).
	AllowedOrigins []string
	// PerIP and Global cap new tickets per Window.
	PerIP, Global int
	Window        time.Duration
	// CallbackAhead is how far ahead callbacks may be booked.
	CallbackAhead time.Duration
	// ClientIP returns the caller's address (the API Gateway source IP in
	// Lambda, the remote address locally).
	ClientIP func(*http.Request) string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// EmergencyLine, when set, is the telephone number shown wherever the
	// form cannot take a message (rate limited, storage unavailable), so
	// that a gas leak is never just told to wait.
	EmergencyLine string
	// Deadline bounds the work for one request, every DynamoDB call
	// included (DefaultDeadline when zero): a stalled dependency answers
	// 503 with Retry-After well before API Gateway's 30 s timeout.
	Deadline time.Duration
	// Messenger, when set, acknowledges each new contact to the customer
	// (by SMS when they gave a phone number, else by email).
	Messenger Messenger // Surveys, when set, serves the return-visit survey's links
	// (GET and POST /survey/{token}).
	Surveys *Surveys
}

// DefaultDeadline is the form's bound on one request.
const DefaultDeadline = 10 * time.Second

// retryAfter is what a 503 asks the client to wait, in seconds.
const retryAfter = 30

// Handler serves the form.
type Handler struct {
	recv Receiver
	cfg  Config
	mux  *http.ServeMux
}

// New returns the form's handler.
func New(recv Receiver, cfg Config) *Handler {
	if cfg.CallbackAhead == 0 {
		cfg.CallbackAhead = ticket.MaxCallbackAhead
	}
	if cfg.Window == 0 {
		cfg.Window = 10 * time.Minute
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = RemoteIP
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Deadline <= 0 {
		cfg.Deadline = DefaultDeadline
	}
	h := &Handler{recv: recv, cfg: cfg, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /{$}", h.form)
	h.mux.HandleFunc("POST /contacts", h.submit)
	h.mux.HandleFunc("OPTIONS /contacts", h.preflight)
	if cfg.Finder != nil {
		h.mux.HandleFunc("GET /contacts/{ref}", h.status)
	}
	if cfg.Surveys != nil {
		h.mux.HandleFunc("GET /survey/{token}", h.surveyPage)
		h.mux.HandleFunc("POST /survey/{token}", h.surveyRecord)
	}
	return h
}

// RemoteIP returns the host part of r.RemoteAddr.
func RemoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ServeHTTP routes a request, bounded by the configured Deadline (and
// kept inside the Lambda invocation's own).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.cors(w, r)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	ctx, cancel := deadline.Within(r.Context(), h.cfg.Deadline)
	defer cancel()
	h.mux.ServeHTTP(w, r.WithContext(ctx))
}

func (h *Handler) cors(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" || !slices.Contains(h.cfg.AllowedOrigins, origin) {
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Add("Vary", "Origin")
	w.Header().Set("Access-Control-Expose-Headers", "Location, Retry-After")
}

func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	if w.Header().Get("Access-Control-Allow-Origin") == "" {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Idempotency-Key, Accept-Language")
	w.Header().Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// TicketView is the ticket as POST /contacts returns it.
type TicketView struct {
	Ref       ticket.Ref       `json:"ref"`
	Status    ticket.Status    `json:"status"`
	Channel   ticket.Channel   `json:"channel"`
	Kind      ticket.Kind      `json:"kind"`
	Priority  string           `json:"priority"`
	Owner     string           `json:"owner"`
	CreatedAt time.Time        `json:"createdAt"`
	AckBy     time.Time        `json:"ackBy"`
	ResolveBy *time.Time       `json:"resolveBy"`
	Contact   ticket.Contact   `json:"contact"`
	Callback  *ticket.Callback `json:"callback"`
}

func view(t *ticket.Ticket) TicketView {
	v := TicketView{
		Ref: t.Ref, Status: t.Status, Channel: t.Channel, Kind: t.Kind, Priority: t.Priority.String(),
		Owner: t.Owner, CreatedAt: t.CreatedAt.UTC(), AckBy: t.AckBy.UTC(), Contact: t.Contact, Callback: t.Callback,
	}
	if !t.ResolveBy.IsZero() {
		r := t.ResolveBy.UTC()
		v.ResolveBy = &r
	}
	return v
}

// StatusView is where a contact stands, as GET /contacts/{ref} shows it to
// whoever holds the reference: no contact details, no messages.
type StatusView struct {
	Ref       ticket.Ref    `json:"ref"`
	Status    ticket.Status `json:"status"`
	Kind      ticket.Kind   `json:"kind"`
	CreatedAt time.Time     `json:"createdAt"`
	AckBy     time.Time     `json:"ackBy"`
	ResolveBy *time.Time    `json:"resolveBy"`
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ref, ok := ticket.ParseRef(r.PathValue("ref"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not a reference"})
		return
	}
	id, err := h.cfg.Finder.ByRef(ctx, ref)
	var t *ticket.Ticket
	if err == nil {
		t, err = h.cfg.Finder.Ticket(ctx, id)
	}
	switch {
	case errors.Is(err, ticket.ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no contact with reference " + string(ref)})
		return
	case err != nil:
		slog.ErrorContext(ctx, "contact status lookup failed", "ref", ref, "deadline", deadline.Exceeded(err), "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the status could not be read just now; try again shortly"})
		return
	}
	v := view(t)
	writeJSON(w, http.StatusOK, StatusView{Ref: v.Ref, Status: v.Status, Kind: v.Kind, CreatedAt: v.CreatedAt, AckBy: v.AckBy, ResolveBy: v.ResolveBy})
}

func (h *Handler) submit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sub, err := ParseSubmission(r)
	// The form's own language field, else ?lang=, else Accept-Language.
	choice := sub.lang
	if choice == "" {
		choice = r.URL.Query().Get("lang")
	}
	lang := pickLang(choice, header(r, "Accept-Language"))
	var berr *bodyError
	var rerr *repeatedError
	var verr ticket.ValidationError
	switch {
	case errors.As(err, &rerr):
		slog.InfoContext(ctx, "form body rejected", "status", http.StatusBadRequest, "reason", "repeated field", "field", rerr.field)
		h.fail(w, r, sub, lang, http.StatusBadRequest, ticket.ValidationError{{Field: rerr.field, Code: codeRepeated}})
		return
	case errors.As(err, &berr):
		slog.InfoContext(ctx, "form body rejected", "status", berr.status, "reason", berr.detail)
		h.fail(w, r, sub, lang, berr.status, ticket.ValidationError{{Field: "body", Code: codeBody, Args: map[string]string{"detail": berr.detail}}})
		return
	case errors.As(err, &verr):
		h.fail(w, r, sub, lang, http.StatusUnprocessableEntity, verr)
		return
	}

	if sub.honeypot != "" {
		// Looks like success to the bot; nothing is stored.
		slog.WarnContext(ctx, "form spam caught by honeypot", "client", hashed(h.cfg.ClientIP(r)))
		fake := &ticket.Ticket{Ref: ticket.NewRef(), Status: ticket.New, Channel: ticket.Web, Kind: ticket.Other, Priority: ticket.P3, CreatedAt: h.cfg.Now().UTC()}
		h.done(w, r, sub, lang, fake, http.StatusCreated)
		return
	}

	now := h.cfg.Now()
	in, verr := h.inbound(sub, now)
	if len(verr) > 0 {
		h.fail(w, r, sub, lang, http.StatusUnprocessableEntity, verr)
		return
	}
	client := h.cfg.ClientIP(r)
	key := strings.TrimSpace(header(r, "Idempotency-Key"))
	if key == "" {
		key = sub.token
	}
	switch {
	case key == "":
		// No key: the same content from the same client within the same
		// window is one contact (a double-click, a retried request).
		key = "content-" + fingerprint(in, client, now.Truncate(h.cfg.Window).Format(time.RFC3339))
	case !validKey(key):
		h.fail(w, r, sub, lang, http.StatusBadRequest, ticket.ValidationError{{Field: "Idempotency-Key", Code: codeBody,
			Args: map[string]string{"detail": "the Idempotency-Key must be 8 to 128 visible ASCII characters"}}})
		return
	default:
		// A key names one submission, not a ticket: the same key with
		// other content (another customer's client reusing a key, an
		// edited and resent form) is another contact, and never sees the
		// ticket the first one made.
		key += "#" + fingerprint(in)
	}
	in.Source = ticket.Source{Channel: ticket.Web, ID: key}
	in.Language = ticket.NewMatcher(ticket.English, ticket.SimplifiedChinese).Match(ticket.ParseLanguage(lang))
	in.At = now
	in.Limits = []ticket.RateLimit{
		{Key: "ip#" + hashed(client), Max: h.cfg.PerIP, Window: h.cfg.Window},
		{Key: globalLimit, Max: h.cfg.Global, Window: h.cfg.Window},
	}

	rcpt, err := h.recv.Receive(ctx, in)
	var limit *ticket.LimitError
	switch {
	case errors.As(err, &verr):
		h.fail(w, r, sub, lang, http.StatusUnprocessableEntity, verr)
		return
	case errors.As(err, &limit):
		secs := int(math.Ceil(limit.RetryAfter.Seconds()))
		which := strings.SplitN(limit.Key, "#", 2)[0]
		slog.WarnContext(ctx, "form rate limited", "limit", which, "retryAfter", secs)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		mins := strconv.Itoa(max(1, (secs+59)/60))
		// The global limit is everyone's: "from here" would blame this
		// customer for the crowd.
		code := codeRate
		if which == globalLimit {
			code = codeRateGlobal
		}
		h.fail(w, r, sub, lang, http.StatusTooManyRequests, h.withEmergency(ticket.ValidationError{{Field: "rate", Code: code, Args: map[string]string{"minutes": mins}}}))
		return
	case err != nil:
		// Storage failed or did not answer in time. The contact may or may
		// not have been saved; sent again with the same token or key it is
		// the same contact either way.
		slog.ErrorContext(ctx, "form intake failed", "deadline", deadline.Exceeded(err), "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		h.fail(w, r, sub, lang, http.StatusServiceUnavailable, h.withEmergency(ticket.ValidationError{{Field: "save", Code: codeUnavailable}}))
		return
	}
	status := http.StatusCreated
	if rcpt.Duplicate {
		status = http.StatusOK
	}
	slog.InfoContext(ctx, "web contact received", "ref", rcpt.Ticket.Ref, "kind", rcpt.Ticket.Kind,
		"priority", rcpt.Ticket.Priority.String(), "duplicate", rcpt.Duplicate)
	if !rcpt.Duplicate {
		h.acknowledge(ctx, rcpt.Ticket)
	}
	h.done(w, r, sub, lang, rcpt.Ticket, status)
}

// globalLimit is the key of the limit every client shares.
const globalLimit = "global"

// withEmergency adds the emergency line, when one is configured, to the
// problems that keep the form from taking a message.
func (h *Handler) withEmergency(verr ticket.ValidationError) ticket.ValidationError {
	if h.cfg.EmergencyLine != "" {
		verr = append(verr, ticket.FieldError{Field: "emergency", Code: codeEmergency, Args: map[string]string{"line": h.cfg.EmergencyLine}})
	}
	return verr
}

// inbound checks a submission and makes it an intake.Inbound, reporting
// every bad field at once.
func (h *Handler) inbound(sub Submission, now time.Time) (intake.Inbound, ticket.ValidationError) {
	contact, verr := ticket.NormalizeContact(ticket.Contact{Name: sub.Name, Phone: sub.Phone, Email: sub.Email}, h.cfg.Region)
	kind := ticket.Kind(strings.TrimSpace(sub.Kind))
	if kind != "" && !kind.Valid() {
		verr.Add("kind", ticket.CodeKindInvalid, nil)
	}
	msg, code := ticket.NormalizeMessage(sub.Message)
	switch code {
	case ticket.CodeRequired:
		verr.Add("message", code, nil)
	case ticket.CodeTooLong:
		verr.Add("message", code, map[string]string{"max": strconv.Itoa(ticket.MaxMessage)})
	}
	if !sub.Consent {
		verr.Add("consent", ticket.CodeConsent, nil)
	}
	var cb *ticket.Callback
	if sub.Callback != nil && !sub.Callback.IsZero() {
		var cerr ticket.ValidationError
		cb, cerr = h.cfg.Calendar.Callback(*sub.Callback, now, h.cfg.CallbackAhead)
		verr = append(verr, cerr...)
		if kind == "" && cb != nil {
			kind = ticket.CallbackRq
		}
	}
	return intake.Inbound{Contact: contact, Kind: kind, Body: msg, Callback: cb}, verr
}

// header returns every value of the named request header joined as one:
// the API Gateway adapter splits header values at commas.
func header(r *http.Request, name string) string {
	return strings.Join(r.Header.Values(name), ",")
}

// fingerprint digests a checked submission, after the given scope: the
// same scope and the same contact details, kind, message and callback
// give the same fingerprint.
func fingerprint(in intake.Inbound, scope ...string) string {
	h := sha256.New()
	parts := slices.Concat(scope, []string{in.Contact.Name, in.Contact.Phone, in.Contact.Email, string(in.Kind), in.Body})
	if cb := in.Callback; cb != nil {
		parts = append(parts, cb.Start.UTC().Format(time.RFC3339), cb.End.UTC().Format(time.RFC3339), cb.Zone)
	}
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func hashed(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// wantsHTML reports a browser form post (answered with pages, not JSON).
func wantsHTML(r *http.Request, sub Submission) bool {
	if sub.browser {
		return true
	}
	ct := r.Header.Get("Content-Type")
	return strings.HasPrefix(ct, "application/x-www-form-urlencoded")
}

func (h *Handler) done(w http.ResponseWriter, r *http.Request, sub Submission, lang string, t *ticket.Ticket, status int) {
	w.Header().Set("Location", "/contacts/"+string(t.Ref))
	if wantsHTML(r, sub) {
		h.page(w, status, thanksPage(lang, t, h.cfg.Calendar.Zone))
		return
	}
	writeJSON(w, status, view(t))
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, sub Submission, lang string, status int, verr ticket.ValidationError) {
	if wantsHTML(r, sub) {
		if status == http.StatusTooManyRequests || status == http.StatusRequestEntityTooLarge || status == http.StatusUnsupportedMediaType {
			h.page(w, status, h.messagePage(lang, say(lang, "limitedTitle", nil), verr))
			return
		}
		// Everything else, a storage failure included, shows the form
		// again with what the customer typed and the same token.
		h.page(w, status, h.formPage(lang, sub, verr, sub.token))
		return
	}
	writeJSON(w, status, map[string]map[string]string{"errors": h.messages(lang, verr)})
}

// messages turns field errors into text in lang, one per field.
func (h *Handler) messages(lang string, verr ticket.ValidationError) map[string]string {
	out := make(map[string]string, len(verr))
	for _, f := range verr {
		args := map[string]string{"days": days(h.cfg.Calendar, lang)}
		for k, v := range f.Args {
			args[k] = v
		}
		out[f.Field] = say(lang, f.Code, args)
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Error("write response", "err", err)
	}
}
