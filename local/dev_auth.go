package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/staffauth"
)

// localAuth is staff sign-in to the staff API as the local stack runs it:
// a local issuer stands in for the OIDC issuer (Cognito in AWS) and a
// verifier makes the checks the HTTP API's JWT authorizer makes. The
// console is the staff function's own, signing in with its local page
// (ConsoleLocalSignIn in local/overrides.yaml).
type localAuth struct {
	issuer   *staffauth.Issuer
	verifier *staffauth.Verifier
	tokens   map[string]string
}

// localAuthKey is where the local signing key is kept (git-ignored), so
// that printed tokens keep working across restarts of make dev.
const localAuthKey = "local/.auth/signing-key.pem"

// newLocalAuth loads (or creates) the local signing key under root and
// serves on mux, under base (http://127.0.0.1:3000):
//
//	GET /_local/tokens                       {"agent": …, "supervisor": …, "admin": …}
//	GET /_local/auth/.well-known/jwks.json   the issuer's public keys
//	GET /_local/staff/whoami                 who a bearer token says you are, through the local authorizer
//
// Staff routes go behind Staff, as they go behind the JWT authorizer in AWS.
func newLocalAuth(ctx context.Context, mux *http.ServeMux, root, base string) (*localAuth, error) {
	iss, err := staffauth.LoadIssuer(filepath.Join(root, localAuthKey), base+"/_local/auth", staffauth.LocalAudience)
	if err != nil {
		return nil, fmt.Errorf("local issuer: %w", err)
	}
	tokens, err := iss.Tokens()
	if err != nil {
		return nil, err
	}
	a := &localAuth{issuer: iss, verifier: iss.Verifier(), tokens: tokens}
	mux.HandleFunc("GET /_local/tokens", iss.ServeTokens)
	mux.HandleFunc("GET /_local/auth/.well-known/jwks.json", iss.ServeJWKS)
	mux.Handle("GET /_local/staff/whoami", a.Staff(http.HandlerFunc(whoami)))
	return a, nil
}

// Staff wraps a staff API handler as the HTTP API's JWT authorizer and the
// staff function's claim mapping do in AWS.
func (a *localAuth) Staff(h http.Handler) http.Handler { return a.verifier.Middleware(h) }

// Claims verifies a request's bearer token and returns its claims as API
// Gateway passes them to a function (RequestContext.Authorizer.JWT.Claims),
// for a local gateway in front of the functions.
func (a *localAuth) Claims(r *http.Request) (map[string]string, error) {
	raw, err := staffauth.Bearer(r)
	if err != nil {
		return nil, err
	}
	return a.verifier.Verify(raw)
}

func whoami(w http.ResponseWriter, r *http.Request) {
	s, _ := identity.From(r.Context())
	writeJSON(w, http.StatusOK, s)
}

// staffAuth is the dev stack's setup step for staff sign-in: it serves the
// routes above and lists the tokens with the local URLs.
func (st *stack) staffAuth(ctx context.Context) error {
	root, err := rootDir()
	if err != nil {
		return err
	}
	a, err := newLocalAuth(ctx, st.mux, root, "http://"+st.addr)
	if err != nil {
		return err
	}
	st.auth = a
	st.urls = append(st.urls,
		"Staff tokens (JSON)   "+st.url("/_local/tokens"),
	)
	for _, role := range []identity.Role{identity.Agent, identity.Supervisor, identity.Admin} {
		st.urls = append(st.urls, fmt.Sprintf("%-22s%s", "Token ("+string(role)+")", a.tokens[string(role)]))
	}
	return nil
}
