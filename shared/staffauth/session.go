package staffauth

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/frontdesk/frontdesk/shared/identity"
)

// MinSecret is the shortest session secret accepted, in bytes.
const MinSecret = 32

// DefaultSessionTTL is how long a console session lasts: a working day.
const DefaultSessionTTL = 10 * time.Hour

// signInTTL is how long a sign-in may take between the login redirect and
// the callback.
const signInTTL = 10 * time.Minute

// Sessions seals the console's cookies: the session (who is signed in,
// their CSRF token, until when) and the short-lived sign-in flow (state,
// nonce and PKCE verifier). Cookies are encrypted and authenticated
// (JWE, direct AES-256-GCM), so nothing is kept on the server and a cookie
// can be neither read nor forged without the key.
type Sessions struct {
	// TTL is how long a session lasts (DefaultSessionTTL when zero).
	TTL time.Duration
	// AllowHTTP drops the Secure attribute and the __Host- name prefix so
	// that the local stack works over plain http://127.0.0.1. Never set it
	// in AWS.
	AllowHTTP bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	keys [][]byte
}

// NewSessions returns sessions sealed with keys derived from secrets, the
// newest first: cookies are sealed with the first and opened with any, so
// a secret can be rotated without signing everyone out. Each secret needs
// at least MinSecret bytes.
func NewSessions(secrets [][]byte) (*Sessions, error) {
	if len(secrets) == 0 {
		return nil, fmt.Errorf("session secrets: none given")
	}
	s := &Sessions{}
	for _, sec := range secrets {
		if len(sec) < MinSecret {
			return nil, fmt.Errorf("session secrets: every secret needs at least %d bytes", MinSecret)
		}
		k, err := hkdf.Key(sha256.New, sec, nil, "frontdesk console cookie", 32)
		if err != nil {
			return nil, fmt.Errorf("session secrets: %w", err)
		}
		s.keys = append(s.keys, k)
	}
	return s, nil
}

func (s *Sessions) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sessions) ttl() time.Duration {
	if s.TTL > 0 {
		return s.TTL
	}
	return DefaultSessionTTL
}

// session is what the session cookie carries.
type session struct {
	Staff  identity.Staff `json:"staff"`
	CSRF   string         `json:"csrf"`
	Expiry int64          `json:"exp"`
}

// flow is what the sign-in cookie carries between the login redirect and
// the callback (or, locally, between the sign-in page and its form post).
type flow struct {
	State    string `json:"state,omitempty"`
	Nonce    string `json:"nonce,omitempty"`
	Verifier string `json:"verifier,omitempty"`
	Next     string `json:"next,omitempty"`
	// Redirect is the callback URL the issuer was given, which the code
	// exchange must repeat.
	Redirect string `json:"redirect,omitempty"`
	CSRF     string `json:"csrf,omitempty"`
	Expiry   int64  `json:"exp"`
}

func (s *Sessions) seal(v any) (string, error) {
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: s.keys[0]}, nil)
	if err != nil {
		return "", fmt.Errorf("seal cookie: %w", err)
	}
	out, err := jwt.Encrypted(enc).Claims(v).Serialize()
	if err != nil {
		return "", fmt.Errorf("seal cookie: %w", err)
	}
	return out, nil
}

func (s *Sessions) open(raw string, v any) error {
	tok, err := jwt.ParseEncrypted(raw, []jose.KeyAlgorithm{jose.DIRECT}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return errSessionCrypt
	}
	for _, k := range s.keys {
		if tok.Claims(k, v) == nil {
			return nil
		}
	}
	return errSessionCrypt
}

func (s *Sessions) name(base string) string {
	if s.AllowHTTP {
		return "frontdesk-" + base
	}
	// __Host-: only ever set over HTTPS, for this host, on every path.
	return "__Host-frontdesk-" + base
}

func (s *Sessions) cookie(base, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     s.name(base),
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   !s.AllowHTTP,
		// Lax, not Strict: the callback and links from mail arrive as
		// top-level navigations from other sites. Form posts carry a CSRF
		// token besides.
		SameSite: http.SameSiteLaxMode,
	}
}

// start seals a session for st and sets its cookie.
func (s *Sessions) start(w http.ResponseWriter, st identity.Staff) error {
	exp := s.now().Add(s.ttl())
	v, err := s.seal(session{Staff: st, CSRF: random(), Expiry: exp.Unix()})
	if err != nil {
		return err
	}
	http.SetCookie(w, s.cookie("session", v, int(s.ttl()/time.Second)))
	return nil
}

// current returns the request's session, or ErrNoSession.
func (s *Sessions) current(r *http.Request) (session, error) {
	c, err := r.Cookie(s.name("session"))
	if err != nil {
		return session{}, ErrNoSession
	}
	var ses session
	if s.open(c.Value, &ses) != nil || ses.Expiry <= s.now().Unix() || ses.Staff.Subject == "" || ses.CSRF == "" {
		return session{}, ErrNoSession
	}
	return ses, nil
}

func (s *Sessions) end(w http.ResponseWriter) {
	http.SetCookie(w, s.cookie("session", "", -1))
}

func (s *Sessions) startFlow(w http.ResponseWriter, f flow) error {
	f.Expiry = s.now().Add(signInTTL).Unix()
	v, err := s.seal(f)
	if err != nil {
		return err
	}
	http.SetCookie(w, s.cookie("signin", v, int(signInTTL/time.Second)))
	return nil
}

func (s *Sessions) currentFlow(r *http.Request) (flow, bool) {
	c, err := r.Cookie(s.name("signin"))
	if err != nil {
		return flow{}, false
	}
	var f flow
	if s.open(c.Value, &f) != nil || f.Expiry <= s.now().Unix() {
		return flow{}, false
	}
	return f, true
}

func (s *Sessions) endFlow(w http.ResponseWriter) {
	http.SetCookie(w, s.cookie("signin", "", -1))
}

// random returns 256 random bits, URL-safe.
func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return base64.RawURLEncoding.EncodeToString(b)
}

func same(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

type csrfKey struct{}

// CSRF returns the CSRF token of the session the console middleware
// found, for a form's hidden "csrf" field (or an X-CSRF-Token header).
// Every POST, PUT, PATCH and DELETE under the middleware must carry it.
func CSRF(ctx context.Context) string {
	v, _ := ctx.Value(csrfKey{}).(string)
	return v
}

// CheckCSRF reports whether r carries want as its CSRF token, in the
// "csrf" form field or the X-CSRF-Token header.
func CheckCSRF(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return same(got, want)
}
