package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/frontdesk/frontdesk/shared/identity"
)

// TestLocalAuth drives the local staff sign-in as a script would: fetch
// the tokens, call through the local authorizer with each, and keep the
// key across a restart.
func TestLocalAuth(t *testing.T) {
	root := t.TempDir()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	a, err := newLocalAuth(context.Background(), mux, root, srv.URL)
	if err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get(srv.URL + "/_local/tokens")
	if err != nil {
		t.Fatal(err)
	}
	var toks map[string]string
	err = json.NewDecoder(resp.Body).Decode(&toks)
	resp.Body.Close()
	if err != nil || len(toks) != 3 {
		t.Fatalf("GET /_local/tokens = %v, %v; want agent, supervisor and admin", toks, err)
	}
	for _, role := range []identity.Role{identity.Agent, identity.Supervisor, identity.Admin} {
		req, _ := http.NewRequest("GET", srv.URL+"/_local/staff/whoami", nil)
		req.Header.Set("Authorization", "Bearer "+toks[string(role)])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var s identity.Staff
		json.NewDecoder(resp.Body).Decode(&s)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !s.Has(role) {
			t.Errorf("whoami with the %s token = %d %+v", role, resp.StatusCode, s)
		}
		claims, err := a.Claims(req)
		if err != nil || claims["sub"] != s.Subject {
			t.Errorf("Claims(%s token) = %v, %v", role, claims, err)
		}
	}
	resp, err = http.Get(srv.URL + "/_local/staff/whoami")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("whoami without a token = %d, want 401 with a challenge", resp.StatusCode)
	}

	// After a restart the printed tokens still work.
	again, err := newLocalAuth(context.Background(), http.NewServeMux(), root, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.verifier.Verify(toks["agent"]); err != nil {
		t.Errorf("agent token after a restart: %v", err)
	}
}
