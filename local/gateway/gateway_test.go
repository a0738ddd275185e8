package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/staffauth"
)

// TestRouteThroughAPIProxy: a request goes through the event and the
// proxy the functions use, and back, intact.
func TestRouteThroughAPIProxy(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, _ := core.GetAPIGatewayV2ContextFromContext(r.Context())
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Location", "/contacts/"+r.URL.Query().Get("ref"))
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "%s %s ip=%s route=%s lang=%s body=%s", r.Method, r.URL.Path, ev.HTTP.SourceIP, ev.RouteKey, r.Header.Get("Accept-Language"), body)
	})
	fn := lambda.NewHandler(httpadapter.NewV2(app).ProxyWithContext)
	var got []byte
	mux := http.NewServeMux()
	mux.Handle(Pattern("POST", "/contacts/{ref}"), Route("POST", "/contacts/{ref}", func(ctx context.Context, p []byte) ([]byte, error) {
		got = p
		return fn.Invoke(ctx, p)
	}))
	mux.Handle(Pattern("GET", "/"), Route("GET", "/", fn.Invoke))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/contacts/FD-1?ref=FD-1", strings.NewReader("名字=李"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "zh-CN")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := "POST /contacts/FD-1 ip=127.0.0.1 route=POST /contacts/{ref} lang=zh-CN body=名字=李"
	if resp.StatusCode != http.StatusCreated || string(b) != want || resp.Header.Get("Location") != "/contacts/FD-1" {
		t.Errorf("POST = %d %q (Location %q), want 201 %q", resp.StatusCode, b, resp.Header.Get("Location"), want)
	}
	if !strings.Contains(string(got), `"pathParameters":{"ref":"FD-1"}`) || !strings.Contains(string(got), `"version":"2.0"`) {
		t.Errorf("event = %s, want payload 2.0 with the path parameter", got)
	}
	// "/" is the root only, as on API Gateway.
	for path, code := range map[string]int{"/": http.StatusCreated, "/other": http.StatusNotFound} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, code)
		}
	}
	// A failing function is API Gateway's 500.
	mux.Handle(Pattern("GET", "/fail"), Route("GET", "/fail", func(context.Context, []byte) ([]byte, error) { return nil, fmt.Errorf("boom") }))
	resp, err = http.Get(srv.URL + "/fail")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("GET /fail = %d, want 500", resp.StatusCode)
	}
}

// TestAuthorizedRoute: behind the local JWT authorizer a request without a
// valid token never reaches the function (401, as API Gateway answers), and
// one with a token reaches it with the verified claims where the staff
// function reads them, so the same identity comes out as in AWS.
func TestAuthorizedRoute(t *testing.T) {
	iss, err := staffauth.NewIssuer("http://127.0.0.1/_local/auth", staffauth.LocalAudience)
	if err != nil {
		t.Fatal(err)
	}
	verifier := iss.Verifier()
	calls := 0
	app := staffauth.Claims{}.Gateway(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		s, _ := identity.From(r.Context())
		fmt.Fprintf(w, "%s %v %v", s.Subject, s.Roles, s.Queues)
	}))
	fn := lambda.NewHandler(httpadapter.NewV2(app).ProxyWithContext)
	mux := http.NewServeMux()
	mux.Handle(Pattern("GET", "/staff/tickets"), AuthorizedRoute("GET", "/staff/tickets", fn.Invoke,
		func(r *http.Request) (map[string]string, error) {
			raw, err := staffauth.Bearer(r)
			if err != nil {
				return nil, err
			}
			return verifier.Verify(raw)
		}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	agent := staffauth.LocalStaff[0]
	tok, err := iss.Mint(agent, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, auth string
		code       int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"not a token", "Bearer nonsense", http.StatusUnauthorized},
		{"tampered", "Bearer " + tok[:len(tok)-2] + "xx", http.StatusUnauthorized},
		{"valid", "Bearer " + tok, http.StatusOK},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/staff/tickets", nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code {
			t.Errorf("%s: GET /staff/tickets = %d %s, want %d", tt.name, resp.StatusCode, b, tt.code)
		}
		if tt.code == http.StatusOK && !strings.HasPrefix(string(b), agent.Subject+" ") {
			t.Errorf("%s: the function saw %q, want the agent %s", tt.name, b, agent.Subject)
		}
	}
	if calls != 1 {
		t.Errorf("the function ran %d times, want once (refused requests never reach it)", calls)
	}
}

// TestGreedyRoute: ANY /console/{proxy+} takes every method and the rest of
// the path, with the path parameter named proxy as API Gateway names it;
// cookies go in the event's cookies and come back as Set-Cookie. The rest
// may not be empty: /console/ matches no route, as in API Gateway.
func TestGreedyRoute(t *testing.T) {
	var events []string
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ck, _ := r.Cookie("session")
		http.SetCookie(w, &http.Cookie{Name: "seen", Value: r.Method, Path: "/", HttpOnly: true})
		fmt.Fprintf(w, "%s %s cookie=%v", r.Method, r.URL.Path, ck != nil && ck.Value == "s1")
	})
	fn := lambda.NewHandler(httpadapter.NewV2(app).ProxyWithContext)
	mux := http.NewServeMux()
	mux.Handle(Pattern("ANY", "/console/{proxy+}"), Route("ANY", "/console/{proxy+}", func(ctx context.Context, p []byte) ([]byte, error) {
		events = append(events, string(p))
		return fn.Invoke(ctx, p)
	}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, tt := range []struct{ method, path, proxy string }{
		{"GET", "/console/queue", "queue"},
		{"GET", "/console/tickets/FD-1", "tickets/FD-1"},
		{"POST", "/console/tickets/FD-1", "tickets/FD-1"},
	} {
		events = nil
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		req.AddCookie(&http.Cookie{Name: "session", Value: "s1"})
		req.AddCookie(&http.Cookie{Name: "other", Value: "x"})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := tt.method + " " + tt.path + " cookie=true"
		if resp.StatusCode != 200 || string(b) != want || resp.Header.Get("Set-Cookie") != "seen="+tt.method+"; Path=/; HttpOnly" {
			t.Errorf("%s %s = %d %q (Set-Cookie %q), want 200 %q", tt.method, tt.path, resp.StatusCode, b, resp.Header.Get("Set-Cookie"), want)
		}
		if len(events) != 1 || !strings.Contains(events[0], `"pathParameters":{"proxy":"`+tt.proxy+`"}`) ||
			!strings.Contains(events[0], `"routeKey":"ANY /console/{proxy+}"`) || !strings.Contains(events[0], `"cookies":["session=s1","other=x"]`) {
			t.Errorf("%s %s: event %v, want route ANY /console/{proxy+}, proxy %q and both cookies", tt.method, tt.path, events, tt.proxy)
		}
	}
	for _, p := range []string{"/consoles", "/console/"} {
		events = nil
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || len(events) != 0 {
			t.Errorf("GET %s = %d with %d events, want 404 without reaching the function", p, resp.StatusCode, len(events))
		}
	}
	resp, err := http.Get(srv.URL + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `{"message":"Not Found"}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("GET /console/ = %q (%s), want API Gateway's {\"message\":\"Not Found\"}", b, resp.Header.Get("Content-Type"))
	}
}
