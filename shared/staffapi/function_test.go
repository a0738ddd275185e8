package staffapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/staffapi"
	"github.com/frontdesk/frontdesk/shared/staffauth"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// testIssuer is an OIDC issuer for the console's sign-in: a discovery
// document, a real JWKS, an authorization endpoint the test visits as the
// browser would (authorize), and a token endpoint that gives each code
// once, only with the PKCE verifier of the challenge it was issued for,
// to the public client (no secret).
type testIssuer struct {
	srv *httptest.Server
	iss *staffauth.Issuer
	mu  sync.Mutex
	// codes are the codes not yet exchanged.
	codes map[string]issued
	// requests are the token endpoint's requests, and exchanged how many
	// gave an ID token.
	requests  []url.Values
	exchanged int
}

type issued struct {
	challenge, redirect string
	claims              map[string]any
}

const consoleClient = "frontdesk-console"

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	p := &testIssuer{codes: map[string]issued{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/oauth2/authorize", "token_endpoint": p.srv.URL + "/oauth2/token",
			"jwks_uri": p.srv.URL + "/.well-known/jwks.json", "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
			"code_challenge_methods_supported": []string{"S256"},
		})
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) { p.iss.ServeJWKS(w, r) })
	mux.HandleFunc("POST /oauth2/token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	iss, err := staffauth.NewIssuer(p.srv.URL, consoleClient)
	if err != nil {
		t.Fatal(err)
	}
	p.iss = iss
	return p
}

func (p *testIssuer) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = append(p.requests, r.PostForm)
	fail := func(code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": code})
	}
	f := r.PostForm
	if f.Get("client_id") != consoleClient || f.Get("grant_type") != "authorization_code" {
		fail("invalid_client")
		return
	}
	g, ok := p.codes[f.Get("code")]
	delete(p.codes, f.Get("code"))
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	if !ok || f.Get("code_verifier") == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge || f.Get("redirect_uri") != g.redirect {
		fail("invalid_grant")
		return
	}
	idt, err := p.iss.Sign(g.claims)
	if err != nil {
		fail("server_error")
		return
	}
	p.exchanged++
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": "opaque", "token_type": "Bearer", "expires_in": 3600, "id_token": idt})
}

// authorize plays a member of staff signing in at the authorization
// endpoint the console redirected to: it checks the request and returns
// the callback URL the issuer sends the browser back to, with a code.
func (p *testIssuer) authorize(t *testing.T, location string, s identity.Staff) *url.URL {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil || !strings.HasPrefix(location, p.srv.URL+"/oauth2/authorize?") {
		t.Fatalf("sign-in redirected to %q, want the issuer's authorization endpoint", location)
	}
	q := u.Query()
	for k, want := range map[string]string{"response_type": "code", "client_id": consoleClient, "code_challenge_method": "S256"} {
		if q.Get(k) != want {
			t.Fatalf("authorization request %s = %q, want %q", k, q.Get(k), want)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge", "redirect_uri"} {
		if q.Get(k) == "" {
			t.Fatalf("authorization request has no %s: %s", k, location)
		}
	}
	claims := p.iss.StaffClaims(s, time.Hour)
	claims["nonce"] = q.Get("nonce")
	p.mu.Lock()
	code := fmt.Sprintf("code-%d", len(p.codes)+len(p.requests)+1)
	p.codes[code] = issued{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), claims: claims}
	p.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri") + "?" + url.Values{"code": {code}, "state": {q.Get("state")}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func (p *testIssuer) counts() (requests, exchanged int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.requests), p.exchanged
}

// apiDomain is the HTTP API's own domain name, as API Gateway puts it in
// every event (testdata/apigw-console.json).
const apiDomain = "abc123.execute-api.ap-east-1.amazonaws.com"

// browser drives the staff function's Lambda handler with the events API
// Gateway sends for a browser's requests, keeping its cookies as a
// browser does.
type browser struct {
	fn      lambda.Handler
	domain  string
	cookies map[string]string
}

func newBrowser(fn lambda.Handler, domain string) *browser {
	return &browser{fn: fn, domain: domain, cookies: map[string]string{}}
}

// routeKey is the template's route that takes path, and false when none
// does: a greedy {proxy+} needs at least one segment, so /console/ itself
// matches neither GET /console nor ANY /console/{proxy+}.
func routeKey(method, path string) (string, map[string]string, bool) {
	switch {
	case path == "/console":
		return "GET /console", nil, method == http.MethodGet || method == http.MethodHead
	case path == "/console/":
		return "", nil, false
	case strings.HasPrefix(path, "/console/"):
		return "ANY /console/{proxy+}", map[string]string{"proxy": strings.TrimPrefix(path, "/console/")}, true
	}
	return method + " " + path, nil, true
}

// noRoute is what API Gateway answers a request that matches no route;
// the function never sees it.
var noRoute = events.APIGatewayV2HTTPResponse{
	StatusCode: http.StatusNotFound,
	Headers:    map[string]string{"content-type": "application/json"},
	Body:       `{"message":"Not Found"}`,
}

// do sends one request (a form post when form is not nil) and returns the
// function's response.
func (b *browser) do(t *testing.T, method, target string, form url.Values) events.APIGatewayV2HTTPResponse {
	t.Helper()
	raw, err := os.ReadFile("testdata/apigw-console.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	var routed bool
	ev.RouteKey, ev.PathParameters, routed = routeKey(method, u.Path)
	if !routed {
		return noRoute
	}
	ev.RequestContext.RouteKey = ev.RouteKey
	ev.RawPath, ev.RequestContext.HTTP.Path, ev.RequestContext.HTTP.Method = u.Path, u.Path, method
	ev.RawQueryString, ev.QueryStringParameters = u.RawQuery, nil
	if q := u.Query(); len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	ev.Headers["host"], ev.RequestContext.DomainName = b.domain, b.domain
	ev.Cookies = nil
	for k, v := range b.cookies {
		ev.Cookies = append(ev.Cookies, k+"="+v)
	}
	if form != nil {
		ev.Body = form.Encode()
		ev.Headers["content-type"] = "application/x-www-form-urlencoded"
	}
	payload, _ := json.Marshal(ev)
	out, err := b.fn.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("%s %s: response %s: %v", method, target, out, err)
	}
	for _, line := range resp.Cookies {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("%s %s: Set-Cookie %q: %v", method, target, line, err)
		}
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return resp
}

func header(r events.APIGatewayV2HTTPResponse, name string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, vs := range r.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// staffFunction builds the staff function's handler with its FromEnv, over
// a fresh table, Parameter Store serving the console's session keys, and
// the test issuer; more overrides the environment.
func staffFunction(t *testing.T, iss *testIssuer, tableName string, more map[string]string) lambda.Handler {
	t.Helper()
	ssm := httptest.NewServer(awslocal.Parameters(map[string]string{
		"/aws/reference/secretsmanager/frontdesk/test/console-session-keys": "new-console-session-key-0123456789abcdef,old-console-session-key-0123456789abcdef",
	}))
	t.Cleanup(ssm.Close)
	vars := map[string]string{
		"TABLE_NAME": tableName, "BUSINESS_TIME_ZONE": "Asia/Shanghai", "RULES_FILE": "", "WAIT_ON_CUSTOMER": "3bd",
		"MAIL_FROM": "Frontdesk <support@frontdesk.test>", "REPLY_TOKEN_KEYS": "reply-token-key-0123456789abcdef",
		"STAFF_ROLE_CLAIM": "cognito:groups", "STAFF_QUEUE_CLAIM": "custom:queues",
		"STAFF_ISSUER": iss.srv.URL, "CONSOLE_CLIENT_ID": consoleClient, "CONSOLE_REDIRECT_URL": "", "CONSOLE_LOGOUT_URL": "",
		"CONSOLE_SESSION_SECRET": "frontdesk/test/console-session-keys", "CONSOLE_LOCAL_SIGN_IN": "false",
		"AWS_REGION": "ap-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_ENDPOINT_URL_DYNAMODB": testenv.Endpoint(t, testenv.EnvDynamoDB), "AWS_ENDPOINT_URL_SSM": ssm.URL,
	}
	for k, v := range more {
		vars[k] = v
	}
	h, err := staffapi.FromEnv(context.Background(), func(k string) string { return vars[k] })
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	return lambda.NewHandler(httpadapter.NewV2(h).ProxyWithContext)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// checkHeaders checks a console response's security headers.
func checkHeaders(t *testing.T, what string, r events.APIGatewayV2HTTPResponse) {
	t.Helper()
	for name, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := header(r, name); !strings.Contains(got, want) {
			t.Errorf("%s: %s = %q, want %q in it", what, name, got, want)
		}
	}
	if csp := header(r, "Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("%s: Content-Security-Policy = %q, want default-src 'none' and no unsafe-inline", what, csp)
	}
}

// TestFunctionServesConsole drives the staff function as API Gateway
// does: /console without an authorizer, signing in with the issuer
// (authorization code with PKCE), the pages with their security headers,
// a form post with and without its CSRF token, signing out; /staff still
// behind the authorizer's claims.
func TestFunctionServesConsole(t *testing.T) {
	iss := newTestIssuer(t)
	store, _ := testenv.Table(t)
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	in := &intake.Service{Store: store, Rules: ticket.MustDefaultRules(shanghai), Region: "CN"}
	rc, err := in.Receive(context.Background(), intake.Inbound{
		Source: ticket.Source{Channel: ticket.Web, ID: "console-fn-1"}, Contact: ticket.Contact{Phone: "+8613800138200", Name: "韩梅梅"},
		Body: "<script>alert(1)</script> 电梯坏了",
	})
	if err != nil {
		t.Fatal(err)
	}
	tk := rc.Ticket
	ann := identity.Staff{Subject: "ann", Name: "Ann Agent", Roles: []identity.Role{identity.Agent}, Queues: []string{tk.Owner}}
	fn := staffFunction(t, iss, store.Table(), nil)
	b := newBrowser(fn, apiDomain)

	// The console's URL has its own route and sends the browser to the
	// queue page; /console/ reaches no route behind the HTTP API (b
	// answers it 404 as API Gateway does), so nothing may depend on it.
	for target, want := range map[string]string{"/console": "/console/queue", "/console?lang=zh": "/console/queue?lang=zh"} {
		r := b.do(t, "GET", target, nil)
		checkHeaders(t, "GET "+target, r)
		if r.StatusCode != http.StatusSeeOther || header(r, "Location") != want {
			t.Errorf("GET %s = %d → %q, want 303 to %s", target, r.StatusCode, header(r, "Location"), want)
		}
	}
	r := b.do(t, "GET", "/console/queue", nil)
	checkHeaders(t, "unsigned queue page", r)
	if r.StatusCode != http.StatusSeeOther || header(r, "Location") != staffauth.LoginPath+"?next=%2Fconsole%2Fqueue" {
		t.Errorf("unsigned queue page = %d → %q, want 303 to sign in and back", r.StatusCode, header(r, "Location"))
	}
	r = b.do(t, "GET", "/console/tickets/"+string(tk.Ref), nil)
	checkHeaders(t, "unsigned ticket page", r)
	if r.StatusCode != http.StatusSeeOther || header(r, "Location") != staffauth.LoginPath+"?next=%2Fconsole%2Ftickets%2F"+string(tk.Ref) {
		t.Fatalf("unsigned ticket page = %d → %q, want 303 to sign in and back", r.StatusCode, header(r, "Location"))
	}
	r = b.do(t, "GET", header(r, "Location"), nil)
	if r.StatusCode != http.StatusFound {
		t.Fatalf("sign-in = %d %s, want 302 to the issuer", r.StatusCode, r.Body)
	}
	back := iss.authorize(t, header(r, "Location"), ann)
	if back.Scheme != "https" || back.Host != apiDomain || back.Path != staffauth.CallbackPath {
		t.Errorf("redirect_uri = %s, want https://%s%s (the API's own host)", back, apiDomain, staffauth.CallbackPath)
	}
	r = b.do(t, "GET", back.RequestURI(), nil)
	if r.StatusCode != http.StatusSeeOther || header(r, "Location") != "/console/tickets/"+string(tk.Ref) {
		t.Fatalf("callback = %d → %q (%s), want 303 back to the ticket", r.StatusCode, header(r, "Location"), r.Body)
	}
	var session *http.Cookie
	for _, line := range r.Cookies {
		if c, _ := http.ParseSetCookie(line); c != nil && c.Name == "__Host-frontdesk-session" {
			session = c
		}
	}
	if session == nil || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Domain != "" {
		t.Fatalf("session cookie = %+v, want __Host-, Secure, HttpOnly, SameSite=Lax, Path=/", session)
	}
	if n, _ := iss.counts(); n != 1 || iss.requests[0].Get("code_verifier") == "" || iss.requests[0].Get("client_secret") != "" {
		t.Errorf("token requests = %v, want one with the PKCE verifier and no client secret", iss.requests)
	}

	// The ticket page, the customer's words as text.
	r = b.do(t, "GET", "/console/tickets/"+string(tk.Ref), nil)
	checkHeaders(t, "ticket page", r)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, string(tk.Ref)) || !strings.Contains(r.Body, "&lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(r.Body, "<script>alert(1)") {
		t.Fatalf("ticket page = %d, want 200 with the ticket and the customer's markup escaped:\n%s", r.StatusCode, r.Body)
	}
	m := csrfField.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("ticket page has no CSRF field")
	}
	ack := url.Values{"action": {"acknowledge"}, "version": {strconv.Itoa(tk.Version)}, "key": {"console-fn-ack-1"}}
	if r := b.do(t, "POST", "/console/tickets/"+string(tk.Ref), ack); r.StatusCode != http.StatusForbidden {
		t.Errorf("acknowledge without the CSRF token = %d, want 403", r.StatusCode)
	}
	ack.Set("csrf", m[1]+"x")
	if r := b.do(t, "POST", "/console/tickets/"+string(tk.Ref), ack); r.StatusCode != http.StatusForbidden {
		t.Errorf("acknowledge with a wrong CSRF token = %d, want 403", r.StatusCode)
	}
	if got, err := store.TicketByRef(context.Background(), tk.Ref); err != nil || got.Status != tk.Status {
		t.Fatalf("after refused posts the ticket is %v (%v), want it untouched (%s)", got.Status, err, tk.Status)
	}
	ack.Set("csrf", m[1])
	if r := b.do(t, "POST", "/console/tickets/"+string(tk.Ref), ack); r.StatusCode != http.StatusSeeOther {
		t.Errorf("acknowledge = %d %s, want 303", r.StatusCode, r.Body)
	}
	if got, err := store.TicketByRef(context.Background(), tk.Ref); err != nil || got.Status != ticket.Acknowledged {
		t.Errorf("after acknowledge the ticket is %v (%v), want acknowledged", got.Status, err)
	}
	r = b.do(t, "GET", "/console/queue", nil)
	checkHeaders(t, "queue page", r)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, string(tk.Ref)) {
		t.Errorf("queue page = %d, want 200 listing %s", r.StatusCode, tk.Ref)
	}

	// The same function's staff API still needs the authorizer's claims.
	if r := b.do(t, "GET", "/staff/tickets", nil); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /staff/tickets with a console session and no authorizer = %d, want 401", r.StatusCode)
	}
	// No local sign-in in AWS.
	if r := b.do(t, "POST", staffauth.LoginPath, url.Values{"as": {"local-admin"}}); r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("local sign-in post = %d, want 405", r.StatusCode)
	}

	// Signing out: a form post with the token.
	if r := b.do(t, "POST", staffauth.LogoutPath, url.Values{}); r.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out without the CSRF token = %d, want 403", r.StatusCode)
	}
	if r := b.do(t, "POST", staffauth.LogoutPath, url.Values{"csrf": {m[1]}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out = %d, want 303", r.StatusCode)
	}
	if r := b.do(t, "GET", "/console/queue", nil); r.StatusCode != http.StatusSeeOther {
		t.Errorf("queue page after sign-out = %d, want 303 to sign in", r.StatusCode)
	}
	if r := b.do(t, "POST", "/console/tickets/"+string(tk.Ref), ack); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("post after sign-out = %d, want 401", r.StatusCode)
	}
}

// TestFunctionConsoleSignInRefusals: a callback with another state, a
// code replayed into another sign-in, and a code issued for another
// sign-in's PKCE challenge sign nobody in.
func TestFunctionConsoleSignInRefusals(t *testing.T) {
	iss := newTestIssuer(t)
	store, _ := testenv.Table(t)
	fn := staffFunction(t, iss, store.Table(), nil)
	who := staffauth.LocalStaff[1]
	start := func(b *browser) string {
		t.Helper()
		r := b.do(t, "GET", staffauth.LoginPath, nil)
		if r.StatusCode != http.StatusFound {
			t.Fatalf("sign-in = %d, want 302", r.StatusCode)
		}
		return header(r, "Location")
	}
	signedIn := func(b *browser) bool {
		t.Helper()
		return b.do(t, "GET", "/console/queue", nil).StatusCode == http.StatusOK
	}
	callback := func(b *browser, u *url.URL, wantCode int) {
		t.Helper()
		r := b.do(t, "GET", u.RequestURI(), nil)
		if r.StatusCode != wantCode {
			t.Errorf("callback %s = %d (%s), want %d", u.RequestURI(), r.StatusCode, r.Body, wantCode)
		}
		for _, line := range r.Cookies {
			if c, _ := http.ParseSetCookie(line); c != nil && c.Name == "__Host-frontdesk-session" && c.MaxAge >= 0 && wantCode != http.StatusSeeOther {
				t.Errorf("refused callback set a session cookie")
			}
		}
	}

	t.Run("other state", func(t *testing.T) {
		b := newBrowser(fn, apiDomain)
		back := iss.authorize(t, start(b), who)
		q := back.Query()
		q.Set("state", "forged")
		back.RawQuery = q.Encode()
		before, _ := iss.counts()
		callback(b, back, http.StatusBadRequest)
		if after, _ := iss.counts(); after != before {
			t.Errorf("a callback with another state reached the token endpoint")
		}
		if signedIn(b) {
			t.Error("signed in with another state")
		}
	})
	// injected takes a code issued for one sign-in into a fresh sign-in
	// of another browser, with that sign-in's own state: it must be
	// refused without an ID token.
	injected := func(t *testing.T, back *url.URL) {
		t.Helper()
		other := newBrowser(fn, apiDomain)
		loc, _ := url.Parse(start(other))
		q := back.Query()
		q.Set("state", loc.Query().Get("state"))
		back.RawQuery = q.Encode()
		_, before := iss.counts()
		callback(other, back, http.StatusUnauthorized)
		if _, after := iss.counts(); after != before {
			t.Errorf("the code was exchanged for an ID token in another sign-in")
		}
		if signedIn(other) {
			t.Error("signed in with another sign-in's code")
		}
	}
	t.Run("replayed code", func(t *testing.T) {
		first := newBrowser(fn, apiDomain)
		back := iss.authorize(t, start(first), who)
		callback(first, back, http.StatusSeeOther)
		if !signedIn(first) {
			t.Fatal("the first sign-in did not sign in")
		}
		injected(t, back)
	})
	t.Run("code for another verifier", func(t *testing.T) {
		// An attacker's own code, never exchanged, in the victim's
		// sign-in: the victim's verifier does not match the challenge the
		// code was issued for.
		attacker := newBrowser(fn, apiDomain)
		injected(t, iss.authorize(t, start(attacker), staffauth.LocalStaff[2]))
	})
	t.Run("no sign-in cookie", func(t *testing.T) {
		// Without the sign-in cookie there is no verifier to send.
		b := newBrowser(fn, apiDomain)
		back := iss.authorize(t, start(b), who)
		delete(b.cookies, "__Host-frontdesk-signin")
		before, _ := iss.counts()
		callback(b, back, http.StatusBadRequest)
		if after, _ := iss.counts(); after != before {
			t.Errorf("a callback without the sign-in cookie reached the token endpoint")
		}
	})
	// Every exchange the console made carried a verifier.
	for _, f := range iss.requests {
		if f.Get("code_verifier") == "" {
			t.Errorf("token request without a PKCE verifier: %v", f)
		}
	}
}

// TestFunctionLocalSignIn: with CONSOLE_LOCAL_SIGN_IN on (local runs) the
// sign-in page offers the local identities on this machine's address, and
// no one behind the API's public domain.
func TestFunctionLocalSignIn(t *testing.T) {
	store, _ := testenv.Table(t)
	fn := staffFunction(t, newTestIssuer(t), store.Table(), map[string]string{"CONSOLE_LOCAL_SIGN_IN": "true"})

	public := newBrowser(fn, apiDomain)
	if r := public.do(t, "GET", staffauth.LoginPath, nil); r.StatusCode != http.StatusForbidden || strings.Contains(r.Body, "local-admin") {
		t.Errorf("local sign-in page on %s = %d, want 403 without the identities", apiDomain, r.StatusCode)
	}
	b := newBrowser(fn, "127.0.0.1:3000")
	r := b.do(t, "GET", staffauth.LoginPath, nil)
	m := csrfField.FindStringSubmatch(r.Body)
	if r.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("local sign-in page = %d, want 200 with a form", r.StatusCode)
	}
	for _, s := range staffauth.LocalStaff {
		if !strings.Contains(r.Body, `value="`+s.Subject+`"`) {
			t.Errorf("local sign-in page does not offer %s", s.Subject)
		}
	}
	r = b.do(t, "POST", staffauth.LoginPath, url.Values{"as": {"local-agent"}, "csrf": {m[1]}})
	if r.StatusCode != http.StatusSeeOther || b.cookies["frontdesk-session"] == "" {
		t.Fatalf("local sign-in = %d (cookies %v), want 303 with a session", r.StatusCode, b.cookies)
	}
	if r := b.do(t, "GET", "/console/queue", nil); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "Local Agent") {
		t.Errorf("queue page after local sign-in = %d, want 200 naming Local Agent", r.StatusCode)
	}
}

// TestFromEnvConsoleProblems: without the local sign-in, the console
// needs the issuer and its app client; every problem is named at once.
func TestFromEnvConsoleProblems(t *testing.T) {
	for _, tt := range []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"nothing", map[string]string{}, []string{"TABLE_NAME", "CONSOLE_SESSION_SECRET", "STAFF_ISSUER", "CONSOLE_CLIENT_ID"}},
		{"no client", map[string]string{"STAFF_ISSUER": "https://issuer.test", "CONSOLE_SESSION_SECRET": "s"}, []string{"CONSOLE_CLIENT_ID"}},
		{"bad urls", map[string]string{"STAFF_ISSUER": "issuer.test", "CONSOLE_CLIENT_ID": "c", "CONSOLE_SESSION_SECRET": "s",
			"CONSOLE_REDIRECT_URL": "https://desk.test/callback", "CONSOLE_LOGOUT_URL": "/logout"}, []string{"STAFF_ISSUER", "CONSOLE_REDIRECT_URL", "CONSOLE_LOGOUT_URL"}},
		{"switch", map[string]string{"CONSOLE_LOCAL_SIGN_IN": "yes"}, []string{"CONSOLE_LOCAL_SIGN_IN"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := staffapi.FromEnv(context.Background(), func(k string) string { return tt.vars[k] })
			if err == nil {
				t.Fatalf("FromEnv(%v) = nil error, want %v named", tt.vars, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("FromEnv(%v) = %v, want %s named", tt.vars, err, w)
				}
			}
		})
	}
	// Locally neither is needed.
	_, err := staffapi.FromEnv(context.Background(), func(k string) string {
		return map[string]string{"CONSOLE_LOCAL_SIGN_IN": "true"}[k]
	})
	if err == nil || strings.Contains(err.Error(), "STAFF_ISSUER") || strings.Contains(err.Error(), "CONSOLE_CLIENT_ID") {
		t.Errorf("FromEnv with the local sign-in = %v, want no issuer or client asked for", err)
	}
}
