package staffauth

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/frontdesk/frontdesk/shared/identity"
)

// Console paths.
const (
	LoginPath    = "/console/login"
	CallbackPath = "/console/callback"
	LogoutPath   = "/console/logout"
	// HomePath is the queue page, where signing in lands by default.
	HomePath = "/console/queue"
	// consolePrefix holds every console path.
	consolePrefix = "/console/"
)

// ConsoleConfig configures the console's sign-in. Set Issuer (with
// ClientID and RedirectURL) for the OIDC issuer the staff API trusts, or
// Dev for the local sign-in page; not both.
type ConsoleConfig struct {
	// Sessions seals the cookies.
	Sessions *Sessions
	// Claims names the role and queue claims of the ID token.
	Claims Claims

	// Issuer is the OIDC issuer URL (for Cognito
	// https://cognito-idp.<region>.amazonaws.com/<user pool ID>); its
	// discovery document is read once by NewConsole.
	Issuer string
	// ClientID and ClientSecret are the app client's (the secret is empty
	// for a public client: PKCE protects the code either way).
	ClientID, ClientSecret string
	// RedirectURL is the console's callback URL as registered with the
	// app client: https://…/console/callback. Empty, it is derived from
	// each sign-in's request: https://<host>/console/callback (behind API
	// Gateway the host is the API's domain name, which the caller cannot
	// choose).
	RedirectURL string
	// Scopes are requested besides openid (default: email, profile).
	Scopes []string
	// LogoutURL, when set, is where signing out sends the browser next so
	// that the issuer ends its own session too (Cognito:
	// https://<domain>/logout?client_id=…&logout_uri=…).
	LogoutURL string
	// HTTPClient talks to the issuer (http.DefaultClient when nil).
	HTTPClient *http.Client

	// Dev are the identities the local sign-in page offers (LocalStaff).
	// The page answers only requests to a loopback host (127.0.0.1,
	// localhost), so it cannot serve anyone behind a public domain.
	Dev []identity.Staff
}

// Console serves the console's sign-in, callback and sign-out, and its
// Require middleware keeps console pages behind a session.
type Console struct {
	cfg ConsoleConfig
	mu  sync.Mutex
	// client is the issuer's, once its discovery document was read.
	client *oidcClient
}

// oidcClient is what signing in with the issuer needs, from its
// discovery document.
type oidcClient struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// NewConsole returns the console's sign-in. With an Issuer it reads the
// issuer's discovery document at the first sign-in (and again after a
// failed read), not here.
func NewConsole(ctx context.Context, cfg ConsoleConfig) (*Console, error) {
	if cfg.Sessions == nil {
		return nil, errors.New("console sign-in: no session keys")
	}
	c := &Console{cfg: cfg}
	switch {
	case cfg.Issuer != "" && len(cfg.Dev) > 0:
		return nil, errors.New("console sign-in: both an issuer and local identities")
	case cfg.Issuer == "" && len(cfg.Dev) == 0:
		return nil, errors.New("console sign-in: no issuer")
	case len(cfg.Dev) > 0:
		return c, nil
	}
	if cfg.ClientID == "" {
		return nil, errors.New("console sign-in: an issuer needs a client ID")
	}
	return c, nil
}

// local reports whether staff sign in with the local page.
func (c *Console) local() bool { return len(c.cfg.Dev) > 0 }

// issuer returns the issuer's client, reading its discovery document the
// first time.
func (c *Console) issuer(ctx context.Context) (*oidcClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client != nil {
		return c.client, nil
	}
	provider, err := oidc.NewProvider(c.clientContext(ctx), c.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover issuer: %w", err)
	}
	scopes := c.cfg.Scopes
	if scopes == nil {
		scopes = []string{"email", "profile"}
	}
	endpoint := provider.Endpoint()
	if c.cfg.ClientSecret == "" {
		// A public client names itself in the form; sending an empty
		// secret in a basic auth header first would fail and retry.
		endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	c.client = &oidcClient{
		oauth: oauth2.Config{
			ClientID:     c.cfg.ClientID,
			ClientSecret: c.cfg.ClientSecret,
			Endpoint:     endpoint,
			Scopes:       append([]string{oidc.ScopeOpenID}, scopes...),
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: c.cfg.ClientID, Now: c.cfg.Sessions.Now}),
	}
	return c.client, nil
}

// redirectURL is the callback the issuer sends the browser back to.
func (c *Console) redirectURL(r *http.Request) string {
	if c.cfg.RedirectURL != "" {
		return c.cfg.RedirectURL
	}
	return "https://" + r.Host + CallbackPath
}

func (c *Console) clientContext(ctx context.Context) context.Context {
	if c.cfg.HTTPClient == nil {
		return ctx
	}
	return oidc.ClientContext(ctx, c.cfg.HTTPClient)
}

// Register serves the sign-in routes on mux: GET and POST /console/login,
// GET /console/callback, GET and POST /console/logout.
func (c *Console) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+LoginPath, c.login)
	mux.HandleFunc("POST "+LoginPath, c.devLogin)
	mux.HandleFunc("GET "+CallbackPath, c.callback)
	mux.HandleFunc("GET "+LogoutPath, c.logoutPage)
	mux.HandleFunc("POST "+LogoutPath, c.logout)
}

// Require returns middleware that lets a request through only with a
// valid session, with the member of staff in its context (identity.From)
// and the session's CSRF token (CSRF). Without one, a GET is sent to sign
// in and comes back afterwards; anything else is refused with 401. A POST,
// PUT, PATCH or DELETE without the session's CSRF token is refused with
// 403.
func (c *Console) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ses, err := c.cfg.Sessions.current(r)
		if err != nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, LoginPath+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			Refuse(w, r, err)
			return
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if !CheckCSRF(r, ses.CSRF) {
				Refuse(w, r, ErrCSRF)
				return
			}
		}
		ctx := identity.With(r.Context(), ses.Staff)
		ctx = context.WithValue(ctx, csrfKey{}, ses.CSRF)
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// login starts signing in: to the issuer with state, nonce and a PKCE
// challenge, or locally to the page offering the local identities.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if c.local() {
		if !Loopback(r.Host) {
			c.fail(w, r, http.StatusForbidden, "The local sign-in works only on this machine.", errNotLoopback)
			return
		}
		f := flow{Next: next, CSRF: random()}
		if err := c.cfg.Sessions.startFlow(w, f); err != nil {
			c.fail(w, r, http.StatusInternalServerError, "Signing in failed. Try again.", err)
			return
		}
		c.page(w, r, http.StatusOK, pageData{Title: "Sign in (local)", Dev: c.cfg.Dev, CSRF: f.CSRF})
		return
	}
	cl, err := c.issuer(r.Context())
	if err != nil {
		c.fail(w, r, http.StatusServiceUnavailable, "The sign-in service cannot be reached. Try again in a minute.", err)
		return
	}
	f := flow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(), Next: next, Redirect: c.redirectURL(r)}
	if err := c.cfg.Sessions.startFlow(w, f); err != nil {
		c.fail(w, r, http.StatusInternalServerError, "Signing in failed. Try again.", err)
		return
	}
	oc := cl.oauth
	oc.RedirectURL = f.Redirect
	http.Redirect(w, r, oc.AuthCodeURL(f.State, oauth2.S256ChallengeOption(f.Verifier), oidc.Nonce(f.Nonce)), http.StatusFound)
}

// devLogin signs in as one of the local identities.
func (c *Console) devLogin(w http.ResponseWriter, r *http.Request) {
	if !c.local() {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !Loopback(r.Host) {
		c.fail(w, r, http.StatusForbidden, "The local sign-in works only on this machine.", errNotLoopback)
		return
	}
	f, ok := c.cfg.Sessions.currentFlow(r)
	if !ok || !CheckCSRF(r, f.CSRF) {
		c.fail(w, r, http.StatusForbidden, ErrCSRF.Error(), ErrCSRF)
		return
	}
	as := r.PostFormValue("as")
	for _, s := range c.cfg.Dev {
		if s.Subject == as {
			c.cfg.Sessions.endFlow(w)
			c.signedIn(w, r, s, f.Next)
			return
		}
	}
	c.fail(w, r, http.StatusBadRequest, "No such local identity.", errors.New("unknown local identity"))
}

// callback finishes signing in with the issuer: the state must match the
// sign-in cookie's, the code is exchanged with the PKCE verifier, and the
// ID token must verify (signature, issuer, audience, expiry, nonce) and
// name a Frontdesk role.
func (c *Console) callback(w http.ResponseWriter, r *http.Request) {
	if c.local() {
		http.NotFound(w, r)
		return
	}
	f, ok := c.cfg.Sessions.currentFlow(r)
	c.cfg.Sessions.endFlow(w)
	q := r.URL.Query()
	if !ok || !same(q.Get("state"), f.State) {
		c.fail(w, r, http.StatusBadRequest, "This sign-in has expired or was not started here. Sign in again.", errors.New("sign-in state does not match"))
		return
	}
	if e := q.Get("error"); e != "" {
		c.fail(w, r, http.StatusUnauthorized, "The sign-in was not completed ("+e+"). Sign in again.", errors.New("issuer returned an error"))
		return
	}
	if f.Verifier == "" || f.Redirect == "" {
		c.fail(w, r, http.StatusBadRequest, "This sign-in has expired or was not started here. Sign in again.", errors.New("sign-in flow has no verifier"))
		return
	}
	cl, err := c.issuer(r.Context())
	if err != nil {
		c.fail(w, r, http.StatusServiceUnavailable, "The sign-in service cannot be reached. Try again in a minute.", err)
		return
	}
	ctx := c.clientContext(r.Context())
	oc := cl.oauth
	oc.RedirectURL = f.Redirect
	tok, err := oc.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		c.fail(w, r, http.StatusUnauthorized, "The sign-in could not be completed. Sign in again.", fmt.Errorf("exchange code: %w", err))
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		c.fail(w, r, http.StatusUnauthorized, "The issuer sent no ID token.", errors.New("no id_token"))
		return
	}
	idt, err := cl.verifier.Verify(ctx, raw)
	if err != nil {
		c.fail(w, r, http.StatusUnauthorized, "The issuer's ID token was not accepted.", fmt.Errorf("verify id token: %w", err))
		return
	}
	if !same(idt.Nonce, f.Nonce) {
		c.fail(w, r, http.StatusUnauthorized, "The issuer's ID token was not accepted.", errors.New("id token nonce does not match"))
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		c.fail(w, r, http.StatusUnauthorized, "The issuer's ID token was not accepted.", fmt.Errorf("read id token claims: %w", err))
		return
	}
	s, err := c.cfg.Claims.Staff(Flatten(claims))
	if err != nil {
		c.fail(w, r, Status(err), publicMessage(err), err)
		return
	}
	c.signedIn(w, r, s, f.Next)
}

func (c *Console) signedIn(w http.ResponseWriter, r *http.Request, s identity.Staff, next string) {
	if err := c.cfg.Sessions.start(w, s); err != nil {
		c.fail(w, r, http.StatusInternalServerError, "Signing in failed. Try again.", err)
		return
	}
	slog.InfoContext(r.Context(), "console sign-in", "actor", s.Actor())
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logoutPage asks to confirm signing out: signing out is a form post, so
// that another site cannot sign anyone out.
func (c *Console) logoutPage(w http.ResponseWriter, r *http.Request) {
	ses, err := c.cfg.Sessions.current(r)
	if err != nil {
		c.page(w, r, http.StatusOK, pageData{Title: "Signed out", SignedOut: true})
		return
	}
	c.page(w, r, http.StatusOK, pageData{Title: "Sign out", Confirm: true, CSRF: ses.CSRF, Name: ses.Staff.Name})
}

// logout ends the session, then sends the browser to the issuer's logout
// when one is configured.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	ses, err := c.cfg.Sessions.current(r)
	if err == nil && !CheckCSRF(r, ses.CSRF) {
		c.fail(w, r, http.StatusForbidden, ErrCSRF.Error(), ErrCSRF)
		return
	}
	c.cfg.Sessions.end(w)
	if err == nil {
		slog.InfoContext(r.Context(), "console sign-out", "actor", ses.Staff.Actor())
	}
	if c.cfg.LogoutURL != "" {
		http.Redirect(w, r, c.cfg.LogoutURL, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, LogoutPath, http.StatusSeeOther)
}

// errNotLoopback refuses the local sign-in on a host other than this
// machine's.
var errNotLoopback = errors.New("local sign-in asked for on a host that is not a loopback address")

// Loopback reports whether a request's Host (name or address, with or
// without a port) is this machine: localhost or a loopback address.
func Loopback(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}

// safeNext keeps a return path inside the console; anything else (another
// site, a scheme-relative //host) becomes the console's home.
func safeNext(next string) string {
	if !strings.HasPrefix(next, consolePrefix) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return HomePath
	}
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" {
		return HomePath
	}
	return next
}

func (c *Console) fail(w http.ResponseWriter, r *http.Request, code int, msg string, err error) {
	slog.WarnContext(r.Context(), "console sign-in failed", "status", code, "err", err)
	c.page(w, r, code, pageData{Title: "Sign-in failed", Error: msg})
}

type pageData struct {
	Title     string
	Error     string
	Dev       []identity.Staff
	CSRF      string
	Confirm   bool
	SignedOut bool
	Name      string
}

var pages = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Frontdesk</title></head>
<body><main>
<h1>{{.Title}}</h1>
{{if .Error}}<p role="alert">{{.Error}}</p><p><a href="/console/login">Sign in</a></p>{{end}}
{{if .Dev}}<p>Local development: choose who to be.</p>
{{range .Dev}}<form method="post" action="/console/login">
<input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="as" value="{{.Subject}}">
<button type="submit">{{.Name}} ({{range $i, $r := .Roles}}{{if $i}}, {{end}}{{$r}}{{end}}{{with .Queues}}: {{range $i, $q := .}}{{if $i}}, {{end}}{{$q}}{{end}}{{end}})</button>
</form>
{{end}}{{end}}
{{if .Confirm}}<form method="post" action="/console/logout"><input type="hidden" name="csrf" value="{{.CSRF}}">
<p>Signed in{{with .Name}} as {{.}}{{end}}.</p><button type="submit">Sign out</button></form>{{end}}
{{if .SignedOut}}<p>You are signed out.</p><p><a href="/console/login">Sign in</a></p>{{end}}
</main></body></html>
`))

func (c *Console) page(w http.ResponseWriter, r *http.Request, code int, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	w.WriteHeader(code)
	if err := pages.Execute(w, d); err != nil {
		slog.WarnContext(r.Context(), "write console page", "err", err)
	}
}
