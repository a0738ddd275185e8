package staffauth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/frontdesk/frontdesk/shared/identity"
)

// LocalAudience is the audience (app client ID) of local tokens.
const LocalAudience = "frontdesk-local"

// LocalTTL is how long a local token lasts: a working week of make dev.
const LocalTTL = 7 * 24 * time.Hour

// LocalStaff are the identities the local issuer mints tokens for, one per
// role, and the local console offers: an agent of two queues, a supervisor
// of those queues plus complaints, an admin.
var LocalStaff = []identity.Staff{
	{Subject: "local-agent", Name: "Local Agent", Roles: []identity.Role{identity.Agent}, Queues: []string{"customer-service", "field-service"}},
	{Subject: "local-supervisor", Name: "Local Supervisor", Roles: []identity.Role{identity.Supervisor}, Queues: []string{"customer-service", "field-service", "complaints"}},
	{Subject: "local-admin", Name: "Local Admin", Roles: []identity.Role{identity.Admin}},
}

// Issuer is a local token issuer: an RSA signing key, its JWKS, and tokens
// shaped like a Cognito user pool's ID tokens (roles in the role claim as
// an array, queues in the queue claim as one comma-separated string). It
// stands in for the OIDC issuer in development and tests; production
// never uses it.
type Issuer struct {
	// URL is the "iss" of the tokens.
	URL string
	// Audience is their "aud".
	Audience string
	// Claims names the role and queue claims.
	Claims Claims
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	key    *rsa.PrivateKey
	kid    string
	signer jose.Signer
}

// NewIssuer returns an issuer with a fresh 2048-bit key.
func NewIssuer(url, audience string) (*Issuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	return newIssuer(url, audience, key)
}

// LoadIssuer returns an issuer whose key is kept in the PEM file at path,
// so tokens printed once keep working across restarts. A missing file is
// created (mode 0600) with a fresh key; keep it in a git-ignored folder.
func LoadIssuer(path, url, audience string) (*Issuer, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		iss, err := NewIssuer(url, audience)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(iss.key)
		if err != nil {
			return nil, fmt.Errorf("encode signing key: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("save signing key: %w", err)
		}
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return nil, fmt.Errorf("save signing key: %w", err)
		}
		return iss, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("read signing key %s: not PEM", filepath.Base(path))
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("read signing key %s: %w", filepath.Base(path), err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("read signing key %s: not an RSA key", filepath.Base(path))
	}
	return newIssuer(url, audience, key)
}

func newIssuer(url, audience string, key *rsa.PrivateKey) (*Issuer, error) {
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	sum := sha256.Sum256(der)
	kid := base64.RawURLEncoding.EncodeToString(sum[:12])
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	return &Issuer{URL: strings.TrimRight(url, "/"), Audience: audience, key: key, kid: kid, signer: signer}, nil
}

// JWKS returns the issuer's public keys, as /.well-known/jwks.json serves
// them.
func (i *Issuer) JWKS() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &i.key.PublicKey, KeyID: i.kid, Algorithm: string(jose.RS256), Use: "sig"}}}
}

// Verifier returns a verifier that accepts this issuer's tokens.
func (i *Issuer) Verifier() *Verifier {
	return &Verifier{Issuer: i.URL, Audiences: []string{i.Audience}, Keys: i.JWKS(), Claims: i.Claims, Now: i.Now}
}

func (i *Issuer) now() time.Time {
	if i.Now != nil {
		return i.Now()
	}
	return time.Now()
}

// Sign signs claims as they are. Mint is the usual way; tests use Sign to
// make tokens that must be refused.
func (i *Issuer) Sign(claims map[string]any) (string, error) {
	tok, err := jwt.Signed(i.signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return tok, nil
}

// StaffClaims returns the claims of a token for s valid for ttl: iss, aud, sub,
// iat, nbf, exp, token_use, name, the role claim as an array and the queue
// claim as a comma-separated string. Mint signs them; a test may change
// them first.
func (i *Issuer) StaffClaims(s identity.Staff, ttl time.Duration) map[string]any {
	now := i.now().Truncate(time.Second)
	roles := make([]string, len(s.Roles))
	for n, r := range s.Roles {
		roles[n] = string(r)
	}
	c := map[string]any{
		"iss":                i.URL,
		"aud":                i.Audience,
		"sub":                s.Subject,
		"iat":                now.Unix(),
		"nbf":                now.Unix(),
		"exp":                now.Add(ttl).Unix(),
		"token_use":          "id",
		"cognito:username":   s.Subject,
		i.Claims.role():      roles,
		"auth_time":          now.Unix(),
		i.Claims.queue():     strings.Join(s.Queues, ","),
		"name":               s.Name,
		"preferred_username": s.Subject,
	}
	if len(s.Queues) == 0 {
		delete(c, i.Claims.queue())
	}
	if s.Name == "" {
		delete(c, "name")
	}
	return c
}

// Mint returns a signed token for s valid for ttl.
func (i *Issuer) Mint(s identity.Staff, ttl time.Duration) (string, error) {
	return i.Sign(i.StaffClaims(s, ttl))
}

// Tokens returns a token valid for LocalTTL for each of LocalStaff, by
// role: {"agent": …, "supervisor": …, "admin": …}.
func (i *Issuer) Tokens() (map[string]string, error) {
	out := make(map[string]string, len(LocalStaff))
	for _, s := range LocalStaff {
		tok, err := i.Mint(s, LocalTTL)
		if err != nil {
			return nil, err
		}
		out[string(s.Roles[0])] = tok
	}
	return out, nil
}

// ServeJWKS serves the public keys as a JSON Web Key Set.
func (i *Issuer) ServeJWKS(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, http.StatusOK, i.JWKS())
}

// ServeTokens serves fresh tokens for the local identities:
// {"agent": "…", "supervisor": "…", "admin": "…"}.
func (i *Issuer) ServeTokens(w http.ResponseWriter, r *http.Request) {
	toks, err := i.Tokens()
	if err != nil {
		slog.ErrorContext(r.Context(), "mint local tokens", "err", err)
		writeJSON(w, r, http.StatusInternalServerError, map[string]string{"error": "could not mint tokens"})
		return
	}
	writeJSON(w, r, http.StatusOK, toks)
}

func writeJSON(w http.ResponseWriter, r *http.Request, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.WarnContext(r.Context(), "write response", "err", err)
	}
}
