package staffauth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/frontdesk/frontdesk/shared/identity"
)

// t0 is the tests' clock: tokens are minted and checked at it.
var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

func newTestIssuer(tb testing.TB) *Issuer {
	tb.Helper()
	iss, err := NewIssuer("https://issuer.test/pool", "console-client")
	if err != nil {
		tb.Fatal(err)
	}
	iss.Now = at(t0)
	return iss
}

func sign(tb testing.TB, iss *Issuer, claims map[string]any) string {
	tb.Helper()
	tok, err := iss.Sign(claims)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// signWith signs claims with key under the header kid, alg.
func signWith(tb testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	tb.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		tb.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func agentClaims(iss *Issuer) map[string]any { return iss.StaffClaims(LocalStaff[0], time.Hour) }

// with returns c changed by kv (a nil value deletes the claim).
func with(c map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// staffHandler stands for a staff API handler: it answers with the
// identity, or 403 when the ticket's queue (?queue=, ?level=) is not the
// caller's.
var staffHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	s, ok := identity.From(r.Context())
	if !ok {
		http.Error(w, "no identity", http.StatusInternalServerError)
		return
	}
	if q := r.URL.Query().Get("queue"); q != "" {
		level, _ := strconv.Atoi(r.URL.Query().Get("level"))
		if !MayAct(s, q, level) {
			Refuse(w, r, ErrOtherQueue)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s)
})

func TestVerifierMiddleware(t *testing.T) {
	iss := newTestIssuer(t)
	other := newTestIssuer(t)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ok := agentClaims(iss)
	tampered := func() string {
		parts := strings.Split(sign(t, iss, ok), ".")
		body, _ := json.Marshal(with(ok, "cognito:groups", []string{"admin"}))
		parts[1] = base64.RawURLEncoding.EncodeToString(body)
		return strings.Join(parts, ".")
	}()
	supervisor := sign(t, iss, iss.StaffClaims(LocalStaff[1], time.Hour))
	admin := sign(t, iss, iss.StaffClaims(LocalStaff[2], time.Hour))

	tests := []struct {
		name   string
		header string
		query  string
		code   int
		err    error
		sub    string
	}{
		{"agent", "Bearer " + sign(t, iss, ok), "", 200, nil, "local-agent"},
		{"agent in own queue", "Bearer " + sign(t, iss, ok), "?queue=field-service", 200, nil, "local-agent"},
		{"agent in other queue", "Bearer " + sign(t, iss, ok), "?queue=complaints", 403, ErrOtherQueue, ""},
		{"agent on escalated ticket of other queue", "Bearer " + sign(t, iss, ok), "?queue=billing&level=1", 403, ErrOtherQueue, ""},
		{"supervisor on escalated ticket of other queue", "Bearer " + supervisor, "?queue=billing&level=1", 200, nil, "local-supervisor"},
		{"supervisor in other queue", "Bearer " + supervisor, "?queue=billing", 403, ErrOtherQueue, ""},
		{"admin anywhere", "Bearer " + admin, "?queue=billing", 200, nil, "local-admin"},
		{"lower-case scheme", "bearer " + sign(t, iss, ok), "", 200, nil, "local-agent"},
		{"access token with client_id", "Bearer " + sign(t, iss, with(ok, "aud", nil, "client_id", "console-client", "token_use", "access")), "", 200, nil, "local-agent"},
		{"audience list", "Bearer " + sign(t, iss, with(ok, "aud", []string{"x", "console-client"})), "", 200, nil, "local-agent"},
		{"no header", "", "", 401, ErrNoToken, ""},
		{"basic auth", "Basic dXNlcjpwYXNz", "", 401, ErrNoToken, ""},
		{"empty bearer", "Bearer ", "", 401, ErrNoToken, ""},
		{"not a JWT", "Bearer not-a-token", "", 401, ErrMalformed, ""},
		{"wrong issuer", "Bearer " + sign(t, iss, with(ok, "iss", "https://evil.test/pool")), "", 401, ErrIssuer, ""},
		{"issuer with trailing slash", "Bearer " + sign(t, iss, with(ok, "iss", iss.URL+"/")), "", 401, ErrIssuer, ""},
		{"wrong audience", "Bearer " + sign(t, iss, with(ok, "aud", "other-client")), "", 401, ErrAudience, ""},
		{"wrong client_id", "Bearer " + sign(t, iss, with(ok, "aud", nil, "client_id", "other-client")), "", 401, ErrAudience, ""},
		{"aud wins over client_id", "Bearer " + sign(t, iss, with(ok, "aud", "other-client", "client_id", "console-client")), "", 401, ErrAudience, ""},
		{"no audience", "Bearer " + sign(t, iss, with(ok, "aud", nil)), "", 401, ErrAudience, ""},
		{"signed by another issuer's key", "Bearer " + sign(t, other, ok), "", 401, ErrUnknownKey, ""},
		{"bad signature under the issuer's kid", "Bearer " + signWith(t, jose.RS256, otherKey, iss.kid, ok), "", 401, ErrSignature, ""},
		{"tampered claims", "Bearer " + tampered, "", 401, ErrSignature, ""},
		{"no kid", "Bearer " + signWith(t, jose.RS256, iss.key, "", ok), "", 401, ErrUnknownKey, ""},
		{"HS256", "Bearer " + signWith(t, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), iss.kid, ok), "", 401, ErrAlgorithm, ""},
		{"expired", "Bearer " + sign(t, iss, with(ok, "exp", t0.Add(-time.Second).Unix())), "", 401, ErrExpired, ""},
		{"expires now", "Bearer " + sign(t, iss, with(ok, "exp", t0.Unix())), "", 200, nil, "local-agent"},
		{"no expiry", "Bearer " + sign(t, iss, with(ok, "exp", nil)), "", 401, ErrNoExpiry, ""},
		{"not yet valid", "Bearer " + sign(t, iss, with(ok, "nbf", t0.Add(time.Minute).Unix())), "", 401, ErrNotYetValid, ""},
		{"issued in the future", "Bearer " + sign(t, iss, with(ok, "iat", t0.Add(time.Minute).Unix())), "", 401, ErrIssuedLater, ""},
		{"no subject", "Bearer " + sign(t, iss, with(ok, "sub", nil)), "", 401, ErrNoSubject, ""},
		{"no role claim", "Bearer " + sign(t, iss, with(ok, "cognito:groups", nil)), "", 403, ErrNoRole, ""},
		{"only unknown roles", "Bearer " + sign(t, iss, with(ok, "cognito:groups", []string{"readers", "Admins"})), "", 403, ErrNoRole, ""},
	}
	h := iss.Verifier().Middleware(staffHandler)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/staff/tickets"+tt.query, nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.code {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tt.code, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want JSON", ct)
			}
			if tt.err == nil {
				var s identity.Staff
				if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil || s.Subject != tt.sub {
					t.Errorf("identity = %+v (%v), want subject %q", s, err, tt.sub)
				}
				return
			}
			var body map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q is not JSON: %v", w.Body, err)
			}
			if body["error"] != tt.err.Error() {
				t.Errorf("error = %q, want %q", body["error"], tt.err.Error())
			}
			chal := w.Header().Get("WWW-Authenticate")
			if !strings.HasPrefix(chal, `Bearer realm="frontdesk"`) {
				t.Errorf("WWW-Authenticate = %q", chal)
			}
			wantErr := map[int]string{401: `error="invalid_token"`, 403: `error="insufficient_scope"`}[tt.code]
			if errors.Is(tt.err, ErrNoToken) {
				wantErr = ""
			}
			if wantErr != "" && !strings.Contains(chal, wantErr) || wantErr == "" && strings.Contains(chal, "error=") {
				t.Errorf("WWW-Authenticate = %q, want %q", chal, wantErr)
			}
		})
	}
}

func TestVerifyReturnsFlattenedClaims(t *testing.T) {
	iss := newTestIssuer(t)
	tok, err := iss.Mint(LocalStaff[1], time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := iss.Verifier().Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"sub":            "local-supervisor",
		"cognito:groups": "[supervisor]",
		"custom:queues":  "customer-service,field-service,complaints",
		"exp":            strconv.FormatInt(t0.Add(time.Hour).Unix(), 10),
		"aud":            "console-client",
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claims[%q] = %q, want %q", k, claims[k], v)
		}
	}
}

func TestVerifierClock(t *testing.T) {
	iss := newTestIssuer(t)
	tok, err := iss.Mint(LocalStaff[0], time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	v := iss.Verifier()
	for _, tt := range []struct {
		now  time.Time
		want error
	}{
		{t0, nil},
		{t0.Add(time.Hour), nil},
		{t0.Add(time.Hour + time.Second), ErrExpired},
		{t0.Add(-time.Second), ErrNotYetValid},
	} {
		v.Now = at(tt.now)
		if _, err := v.Verify(tok); !errors.Is(err, tt.want) {
			t.Errorf("Verify at %v = %v, want %v", tt.now.Sub(t0), err, tt.want)
		}
	}
}
