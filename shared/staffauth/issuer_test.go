package staffauth

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// TestIssuerServes checks what the local stack serves: the JWKS (which a
// verifier built from the served document alone accepts tokens with) and
// the three tokens by role.
func TestIssuerServes(t *testing.T) {
	iss := newTestIssuer(t)

	w := httptest.NewRecorder()
	iss.ServeJWKS(w, httptest.NewRequest("GET", "/_local/jwks.json", nil))
	var jwks jose.JSONWebKeySet
	if err := json.Unmarshal(w.Body.Bytes(), &jwks); err != nil {
		t.Fatalf("JWKS %s: %v", w.Body, err)
	}
	if len(jwks.Keys) != 1 || !jwks.Keys[0].IsPublic() || jwks.Keys[0].KeyID == "" || jwks.Keys[0].Algorithm != "RS256" {
		t.Fatalf("JWKS = %s, want one public RS256 key with a kid", w.Body)
	}

	w = httptest.NewRecorder()
	iss.ServeTokens(w, httptest.NewRequest("GET", "/_local/tokens", nil))
	var toks map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &toks); err != nil {
		t.Fatalf("tokens %s: %v", w.Body, err)
	}
	if len(toks) != 3 {
		t.Fatalf("tokens = %v, want agent, supervisor and admin", toks)
	}
	v := &Verifier{Issuer: iss.URL, Audiences: []string{"console-client"}, Keys: jwks, Now: at(t0.Add(LocalTTL))}
	for i, role := range []string{"agent", "supervisor", "admin"} {
		claims, err := v.Verify(toks[role])
		if err != nil {
			t.Fatalf("%s token: %v", role, err)
		}
		s, err := v.Claims.Staff(claims)
		if err != nil {
			t.Fatalf("%s token: %v", role, err)
		}
		if !reflect.DeepEqual(s, LocalStaff[i]) {
			t.Errorf("%s token = %+v, want %+v", role, s, LocalStaff[i])
		}
	}
	v.Now = at(t0.Add(LocalTTL + time.Second))
	if _, err := v.Verify(toks["agent"]); !errors.Is(err, ErrExpired) {
		t.Errorf("agent token after LocalTTL: %v, want %v", err, ErrExpired)
	}
}

// TestLoadIssuerKeepsItsKey: tokens minted before a restart still verify
// after it.
func TestLoadIssuerKeepsItsKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth", "signing-key.pem")
	first, err := LoadIssuer(path, "http://127.0.0.1:3000/_local", LocalAudience)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	tok, err := first.Mint(LocalStaff[0], LocalTTL)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadIssuer(path, "http://127.0.0.1:3000/_local/", LocalAudience)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Verifier().Verify(tok); err != nil {
		t.Errorf("token from before the restart: %v", err)
	}
	fresh, err := NewIssuer(first.URL, LocalAudience)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Verifier().Verify(tok); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("token checked against another key: %v, want %v", err, ErrUnknownKey)
	}

	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadIssuer(path, first.URL, LocalAudience); err == nil {
		t.Error("LoadIssuer read a file that is not a key")
	}
}
