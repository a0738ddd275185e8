package staffauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/identity"
)

// grant is what the test provider remembers about a code it handed out.
type grant struct {
	challenge string
	claims    map[string]any
}

// provider is an OIDC provider for tests: discovery document, JWKS and
// token endpoint, with PKCE (S256) and a confidential client. The test
// plays the browser at the authorization endpoint by calling authorize.
type provider struct {
	srv    *httptest.Server
	iss    *Issuer
	mu     sync.Mutex
	codes  map[string]grant
	tokens int
}

const (
	testClientID     = "console-client"
	testClientSecret = "console-secret"
)

func newProvider(tb testing.TB) *provider {
	tb.Helper()
	p := &provider{codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                p.srv.URL,
			"authorization_endpoint":                p.srv.URL + "/oauth2/authorize",
			"token_endpoint":                        p.srv.URL + "/oauth2/token",
			"jwks_uri":                              p.srv.URL + "/.well-known/jwks.json",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"code_challenge_methods_supported":      []string{"S256"},
		})
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) { p.iss.ServeJWKS(w, r) })
	mux.HandleFunc("POST /oauth2/token", p.token)
	p.srv = httptest.NewTLSServer(mux)
	tb.Cleanup(p.srv.Close)
	iss, err := NewIssuer(p.srv.URL, testClientID)
	if err != nil {
		tb.Fatal(err)
	}
	iss.Now = at(t0)
	p.iss = iss
	return p
}

func (p *provider) token(w http.ResponseWriter, r *http.Request) {
	fail := func(code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": code})
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if id != testClientID || secret != testClientSecret {
		fail("invalid_client")
		return
	}
	if r.PostFormValue("grant_type") != "authorization_code" {
		fail("unsupported_grant_type")
		return
	}
	p.mu.Lock()
	g, ok := p.codes[r.PostFormValue("code")]
	delete(p.codes, r.PostFormValue("code"))
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		fail("invalid_grant")
		return
	}
	idt, err := p.iss.Sign(g.claims)
	if err != nil {
		fail("server_error")
		return
	}
	p.mu.Lock()
	p.tokens++
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": "opaque", "token_type": "Bearer", "expires_in": 3600, "id_token": idt})
}

func (p *provider) issued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokens
}

// authorize plays the user signing in at the authorization endpoint: it
// checks the request the console redirected to and returns the callback
// URL the provider would send the browser to, with a code for claims
// (change, when set, alters them first).
func (p *provider) authorize(tb testing.TB, location string, s identity.Staff, change func(q url.Values, claims map[string]any)) string {
	tb.Helper()
	u, err := url.Parse(location)
	if err != nil || !strings.HasPrefix(location, p.srv.URL+"/oauth2/authorize?") {
		tb.Fatalf("login redirected to %q, want the provider's authorization endpoint", location)
	}
	q := u.Query()
	for k, want := range map[string]string{"response_type": "code", "client_id": testClientID, "code_challenge_method": "S256"} {
		if q.Get(k) != want {
			tb.Fatalf("authorization request %s = %q, want %q", k, q.Get(k), want)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge", "redirect_uri"} {
		if q.Get(k) == "" {
			tb.Fatalf("authorization request has no %s: %s", k, location)
		}
	}
	if !strings.Contains(" "+q.Get("scope")+" ", " openid ") {
		tb.Fatalf("scope = %q, want openid", q.Get("scope"))
	}
	claims := p.iss.StaffClaims(s, time.Hour)
	claims["nonce"] = q.Get("nonce")
	code := fmt.Sprintf("code-%d", len(q.Get("state"))+len(p.codes))
	back := url.Values{"code": {code}, "state": {q.Get("state")}}
	if change != nil {
		change(back, claims)
	}
	p.mu.Lock()
	p.codes[code] = grant{challenge: q.Get("code_challenge"), claims: claims}
	p.mu.Unlock()
	return q.Get("redirect_uri") + "?" + back.Encode()
}

// browser is a client that keeps cookies and does not follow redirects.
func browser(tb testing.TB, srv *httptest.Server) *http.Client {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	// A copy: srv.Client() is one client shared by every caller.
	c := *srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func do(tb testing.TB, c *http.Client, method, u string, form url.Values) (*http.Response, string) {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// page stands for a console page: it shows who is signed in and the CSRF
// token its forms carry.
var page = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	s, _ := identity.From(r.Context())
	json.NewEncoder(w).Encode(map[string]any{"staff": s, "csrf": CSRF(r.Context())})
})

func consoleServer(tb testing.TB, cfg ConsoleConfig, tls bool) (*Console, *httptest.Server) {
	tb.Helper()
	mux := http.NewServeMux()
	var srv *httptest.Server
	if tls {
		srv = httptest.NewUnstartedServer(mux)
		srv.StartTLS()
	} else {
		srv = httptest.NewServer(mux)
	}
	tb.Cleanup(srv.Close)
	if cfg.Issuer != "" {
		cfg.RedirectURL = srv.URL + CallbackPath
	}
	con, err := NewConsole(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	con.Register(mux)
	mux.Handle("/console/", con.Require(page))
	return con, srv
}

func testSessions(tb testing.TB, allowHTTP bool) *Sessions {
	tb.Helper()
	s, err := NewSessions([][]byte{[]byte("a-session-secret-of-at-least-32-bytes")})
	if err != nil {
		tb.Fatal(err)
	}
	s.Now = at(t0)
	s.AllowHTTP = allowHTTP
	return s
}

type pageBody struct {
	Staff identity.Staff `json:"staff"`
	CSRF  string         `json:"csrf"`
}

func TestConsoleOIDC(t *testing.T) {
	p := newProvider(t)
	_, app := consoleServer(t, ConsoleConfig{
		Sessions: testSessions(t, false), Issuer: p.srv.URL, ClientID: testClientID, ClientSecret: testClientSecret,
		HTTPClient: p.srv.Client(),
	}, true)
	c := browser(t, app)

	// A console page sends a stranger to sign in, and back afterwards.
	resp, _ := do(t, c, "GET", app.URL+"/console/tickets?queue=complaints", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != LoginPath+"?next=%2Fconsole%2Ftickets%3Fqueue%3Dcomplaints" {
		t.Fatalf("unsigned GET = %d → %q, want 303 to sign in", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = do(t, c, "GET", app.URL+resp.Header.Get("Location"), nil)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login = %d, want 302 to the provider", resp.StatusCode)
	}
	back := p.authorize(t, resp.Header.Get("Location"), LocalStaff[1], nil)
	if !strings.HasPrefix(back, app.URL+CallbackPath+"?") {
		t.Fatalf("redirect_uri = %q, want the console callback", back)
	}
	resp, body := do(t, c, "GET", back, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/tickets?queue=complaints" {
		t.Fatalf("callback = %d → %q (%s), want 303 back to the page", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	var ses *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "__Host-frontdesk-session" {
			ses = ck
		}
	}
	if ses == nil || !ses.HttpOnly || !ses.Secure || ses.SameSite != http.SameSiteLaxMode || ses.Path != "/" || ses.Domain != "" {
		t.Fatalf("session cookie = %+v, want __Host-, HttpOnly, Secure, SameSite=Lax, Path=/", ses)
	}
	if strings.Contains(ses.Value, "local-supervisor") {
		t.Error("session cookie shows the subject in clear")
	}

	// The sign-in cookie went with the callback: the same callback again
	// (a replayed or leaked URL) signs nobody in.
	if resp, _ := do(t, c, "GET", back, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("callback replayed = %d, want 400", resp.StatusCode)
	}

	resp, body = do(t, c, "GET", app.URL+"/console/tickets", nil)
	var got pageBody
	if err := json.Unmarshal([]byte(body), &got); resp.StatusCode != 200 || err != nil {
		t.Fatalf("signed-in GET = %d %s", resp.StatusCode, body)
	}
	if got.Staff.Subject != "local-supervisor" || !got.Staff.Has(identity.Supervisor) || !got.Staff.InQueue("complaints") || got.CSRF == "" {
		t.Errorf("page saw %+v", got)
	}

	// Forms carry the CSRF token.
	if resp, _ := do(t, c, "POST", app.URL+"/console/tickets", url.Values{"note": {"x"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST without CSRF token = %d, want 403", resp.StatusCode)
	}
	if resp, _ := do(t, c, "POST", app.URL+"/console/tickets", url.Values{"csrf": {got.CSRF + "x"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST with a wrong CSRF token = %d, want 403", resp.StatusCode)
	}
	if resp, _ := do(t, c, "POST", app.URL+"/console/tickets", url.Values{"csrf": {got.CSRF}}); resp.StatusCode != http.StatusOK {
		t.Errorf("POST with the CSRF token = %d, want 200", resp.StatusCode)
	}

	// Signing out is a form post with the token; afterwards pages ask to sign in.
	if resp, _ := do(t, c, "POST", app.URL+LogoutPath, url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out without CSRF token = %d, want 403", resp.StatusCode)
	}
	if resp, body := do(t, c, "GET", app.URL+LogoutPath, nil); resp.StatusCode != 200 || !strings.Contains(body, got.CSRF) {
		t.Errorf("sign-out page = %d, want a form with the CSRF token", resp.StatusCode)
	}
	resp, _ = do(t, c, "POST", app.URL+LogoutPath, url.Values{"csrf": {got.CSRF}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out = %d, want 303", resp.StatusCode)
	}
	if resp, _ := do(t, c, "GET", app.URL+"/console/tickets", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET after sign-out = %d, want 303 to sign in", resp.StatusCode)
	}
	if resp, _ := do(t, c, "POST", app.URL+"/console/tickets", url.Values{"csrf": {got.CSRF}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST after sign-out = %d, want 401", resp.StatusCode)
	}
}

func TestConsoleOIDCRefusals(t *testing.T) {
	p := newProvider(t)
	_, app := consoleServer(t, ConsoleConfig{
		Sessions: testSessions(t, false), Issuer: p.srv.URL, ClientID: testClientID, ClientSecret: testClientSecret,
		HTTPClient: p.srv.Client(),
	}, true)
	tests := []struct {
		name   string
		staff  identity.Staff
		change func(q url.Values, claims map[string]any)
		fresh  bool // the callback arrives in a browser that did not start the sign-in
		code   int
		// exchanged: the code reached the token endpoint and an ID token
		// came back (and was then refused).
		exchanged bool
	}{
		{"other state", LocalStaff[0], func(q url.Values, _ map[string]any) { q.Set("state", "forged") }, false, 400, false},
		{"not started here", LocalStaff[0], nil, true, 400, false},
		{"user declined", LocalStaff[0], func(q url.Values, _ map[string]any) { q.Del("code"); q.Set("error", "access_denied") }, false, 401, false},
		{"unknown code", LocalStaff[0], func(q url.Values, _ map[string]any) { q.Set("code", "stolen") }, false, 401, false},
		{"other nonce", LocalStaff[0], func(_ url.Values, c map[string]any) { c["nonce"] = "replayed" }, false, 401, true},
		{"other audience", LocalStaff[0], func(_ url.Values, c map[string]any) { c["aud"] = "other-client" }, false, 401, true},
		{"other issuer", LocalStaff[0], func(_ url.Values, c map[string]any) { c["iss"] = "https://evil.test" }, false, 401, true},
		{"expired", LocalStaff[0], func(_ url.Values, c map[string]any) { c["exp"] = t0.Add(-time.Minute).Unix() }, false, 401, true},
		{"no role", identity.Staff{Subject: "u", Name: "U"}, nil, false, 403, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := browser(t, app)
			resp, _ := do(t, c, "GET", app.URL+LoginPath, nil)
			back := p.authorize(t, resp.Header.Get("Location"), tt.staff, tt.change)
			if tt.fresh {
				c = browser(t, app)
			}
			before := p.issued()
			resp, body := do(t, c, "GET", back, nil)
			if got := p.issued() > before; got != tt.exchanged {
				t.Errorf("ID token issued = %v, want %v", got, tt.exchanged)
			}
			if resp.StatusCode != tt.code {
				t.Fatalf("callback = %d (%s), want %d", resp.StatusCode, body, tt.code)
			}
			for _, ck := range resp.Cookies() {
				if ck.Name == "__Host-frontdesk-session" && ck.MaxAge >= 0 {
					t.Errorf("refused callback set a session cookie")
				}
			}
			if resp, _ := do(t, c, "GET", app.URL+HomePath, nil); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("console after a refused sign-in = %d, want 303 to sign in", resp.StatusCode)
			}
		})
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func TestConsoleDev(t *testing.T) {
	_, app := consoleServer(t, ConsoleConfig{Sessions: testSessions(t, true), Dev: LocalStaff}, false)
	c := browser(t, app)
	resp, body := do(t, c, "GET", app.URL+LoginPath+"?next=/console/blasts", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("local sign-in page = %d", resp.StatusCode)
	}
	for _, s := range LocalStaff {
		if !strings.Contains(body, `value="`+s.Subject+`"`) {
			t.Errorf("sign-in page does not offer %s", s.Subject)
		}
	}
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("sign-in page has no CSRF token: %s", body)
	}
	if resp, _ := do(t, c, "POST", app.URL+LoginPath, url.Values{"as": {"local-admin"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without CSRF token = %d, want 403", resp.StatusCode)
	}
	if resp, _ := do(t, browser(t, app), "POST", app.URL+LoginPath, url.Values{"as": {"local-admin"}, "csrf": {m[1]}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in from another browser = %d, want 403", resp.StatusCode)
	}
	if resp, _ := do(t, c, "POST", app.URL+LoginPath, url.Values{"as": {"root"}, "csrf": {m[1]}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("sign-in as nobody = %d, want 400", resp.StatusCode)
	}
	resp, _ = do(t, c, "POST", app.URL+LoginPath, url.Values{"as": {"local-admin"}, "csrf": {m[1]}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/blasts" {
		t.Fatalf("sign-in = %d → %q, want 303 to /console/blasts", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "frontdesk-session" && (ck.Secure || !ck.HttpOnly) {
			t.Errorf("local session cookie = %+v, want HttpOnly without Secure", ck)
		}
	}
	resp, body = do(t, c, "GET", app.URL+HomePath, nil)
	var got pageBody
	if err := json.Unmarshal([]byte(body), &got); err != nil || got.Staff.Subject != "local-admin" || !got.Staff.Has(identity.Admin) {
		t.Fatalf("signed-in page = %d %s", resp.StatusCode, body)
	}
	resp, _ = do(t, c, "POST", app.URL+LogoutPath, url.Values{"csrf": {got.CSRF}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out = %d, want 303", resp.StatusCode)
	}
	if resp, _ := do(t, c, "GET", app.URL+HomePath, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out = %d, want 303 to sign in", resp.StatusCode)
	}
}

func TestNewConsoleConfig(t *testing.T) {
	ses := testSessions(t, false)
	for _, tt := range []struct {
		name string
		cfg  ConsoleConfig
	}{
		{"no sessions", ConsoleConfig{Dev: LocalStaff}},
		{"neither issuer nor local identities", ConsoleConfig{Sessions: ses}},
		{"both", ConsoleConfig{Sessions: ses, Dev: LocalStaff, Issuer: "https://issuer.test", ClientID: "c", RedirectURL: "https://x/console/callback"}},
		{"issuer without client", ConsoleConfig{Sessions: ses, Issuer: "https://issuer.test"}},
	} {
		if _, err := NewConsole(context.Background(), tt.cfg); err == nil {
			t.Errorf("%s: NewConsole accepted it", tt.name)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "/console/queue",
		"/console/tickets?q=1":        "/console/tickets?q=1",
		"/console/queue?mine=1":       "/console/queue?mine=1",
		"/console/":                   "/console/",
		"/console":                    HomePath,
		"https://evil.test/console/":  HomePath,
		"//evil.test/console/":        HomePath,
		"/console/\\evil":             HomePath,
		"/staff/tickets":              HomePath,
		"/console/x\r\nSet-Cookie: a": HomePath,
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSessions(t *testing.T) {
	old, err := NewSessions([][]byte{[]byte("the-old-secret-of-at-least-32-bytes!")})
	if err != nil {
		t.Fatal(err)
	}
	old.Now = at(t0)
	rotated, err := NewSessions([][]byte{[]byte("the-new-secret-of-at-least-32-bytes!"), []byte("the-old-secret-of-at-least-32-bytes!")})
	if err != nil {
		t.Fatal(err)
	}
	rotated.Now = at(t0)
	other, err := NewSessions([][]byte{[]byte("the-new-secret-of-at-least-32-bytes!")})
	if err != nil {
		t.Fatal(err)
	}
	other.Now = at(t0)

	w := httptest.NewRecorder()
	if err := old.start(w, LocalStaff[0]); err != nil {
		t.Fatal(err)
	}
	ck := w.Result().Cookies()[0]
	req := func(value string) *http.Request {
		r := httptest.NewRequest("GET", HomePath, nil)
		r.AddCookie(&http.Cookie{Name: ck.Name, Value: value})
		return r
	}
	if s, err := rotated.current(req(ck.Value)); err != nil || s.Staff.Subject != "local-agent" {
		t.Errorf("after rotation: %+v, %v; want the session kept", s, err)
	}
	if _, err := other.current(req(ck.Value)); err == nil {
		t.Error("a session sealed with a retired secret was accepted")
	}
	b := []byte(ck.Value)
	b[len(b)-5] ^= 1
	if _, err := old.current(req(string(b))); err == nil {
		t.Error("a tampered session was accepted")
	}
	old.Now = at(t0.Add(DefaultSessionTTL))
	if _, err := old.current(req(ck.Value)); err == nil {
		t.Error("an expired session was accepted")
	}
	if _, err := NewSessions([][]byte{[]byte("short")}); err == nil {
		t.Error("NewSessions accepted a short secret")
	}
	if _, err := NewSessions(nil); err == nil {
		t.Error("NewSessions accepted no secret")
	}
}

func TestLoopback(t *testing.T) {
	for _, tt := range []struct {
		host string
		want bool
	}{
		{"127.0.0.1:3000", true},
		{"127.0.0.1", true},
		{"localhost:3000", true},
		{"LOCALHOST", true},
		{"[::1]:3000", true},
		{"::1", true},
		{"127.8.9.10", true},
		{"[::ffff:127.0.0.1]:80", true},
		{"abc123.execute-api.ap-east-1.amazonaws.com", false},
		{"localhost.example.com", false},
		{"127.0.0.1.nip.io", false},
		{"10.0.0.1:3000", false},
		{"[fe80::1%lo]:80", false},
		{"", false},
	} {
		if got := Loopback(tt.host); got != tt.want {
			t.Errorf("Loopback(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

// TestConsoleDevLoopbackOnly: the local sign-in page answers only on this
// machine, so turning it on behind a public domain signs nobody in.
func TestConsoleDevLoopbackOnly(t *testing.T) {
	con, err := NewConsole(context.Background(), ConsoleConfig{Sessions: testSessions(t, true), Dev: LocalStaff})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	con.Register(mux)
	for _, method := range []string{"GET", "POST"} {
		r := httptest.NewRequest(method, LoginPath, strings.NewReader("as=local-admin"))
		r.Host = "abc123.execute-api.ap-east-1.amazonaws.com"
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), "local-admin") || len(w.Result().Cookies()) > 0 {
			t.Errorf("%s local sign-in on a public host = %d (cookies %v), want 403 without the identities", method, w.Code, w.Result().Cookies())
		}
	}
}

// TestConsoleRedirectFromHost: without a configured redirect URL the
// callback is the request's own host, over https, and the code exchange
// repeats it.
func TestConsoleRedirectFromHost(t *testing.T) {
	p := newProvider(t)
	con, err := NewConsole(context.Background(), ConsoleConfig{
		Sessions: testSessions(t, false), Issuer: p.srv.URL, ClientID: testClientID, ClientSecret: testClientSecret,
		HTTPClient: p.srv.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	con.Register(mux)
	r := httptest.NewRequest("GET", LoginPath, nil)
	r.Host = "desk.example.com"
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	if w.Code != http.StatusFound {
		t.Fatalf("login = %d %s, want 302", w.Code, w.Body)
	}
	back := p.authorize(t, w.Header().Get("Location"), LocalStaff[0], nil)
	if !strings.HasPrefix(back, "https://desk.example.com"+CallbackPath+"?") {
		t.Fatalf("redirect_uri = %q, want https://desk.example.com%s", back, CallbackPath)
	}
	u, _ := url.Parse(back)
	r = httptest.NewRequest("GET", u.RequestURI(), nil)
	r.Host = "desk.example.com"
	for _, ck := range w.Result().Cookies() {
		r.AddCookie(ck)
	}
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	if w.Code != http.StatusSeeOther || p.issued() != 1 {
		t.Fatalf("callback = %d %s (%d tokens issued), want 303 after one exchange", w.Code, w.Body, p.issued())
	}
}

// TestConsoleIssuerDown: an issuer that cannot be reached fails the
// sign-in, not the console's start, and is tried again next time.
func TestConsoleIssuerDown(t *testing.T) {
	p := newProvider(t)
	up := p.srv.URL
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	cfg := ConsoleConfig{Sessions: testSessions(t, false), Issuer: down.URL, ClientID: testClientID, HTTPClient: p.srv.Client()}
	con, err := NewConsole(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewConsole with an unreachable issuer: %v, want the console built", err)
	}
	mux := http.NewServeMux()
	con.Register(mux)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", LoginPath, nil))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("login with the issuer down = %d, want 503", w.Code)
	}
	con.cfg.Issuer = up
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", LoginPath, nil))
	if w.Code != http.StatusFound || !strings.HasPrefix(w.Header().Get("Location"), up+"/oauth2/authorize?") {
		t.Errorf("login with the issuer back = %d → %q, want 302 to it", w.Code, w.Header().Get("Location"))
	}
}
