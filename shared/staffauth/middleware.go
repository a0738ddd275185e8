package staffauth

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/frontdesk/frontdesk/shared/identity"
)

// Gateway returns middleware for handlers behind the HTTP API's JWT
// authorizer, run by aws-lambda-go-api-proxy's httpadapter.NewV2: it maps
// the claims the authorizer verified (RequestContext.Authorizer.JWT.Claims)
// to an identity and puts it in the request context. A request without
// verified claims (a route left outside the authorizer) is answered 401;
// claims without a Frontdesk role 403.
func (c Claims) Gateway(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
		if !ok || rc.Authorizer == nil || rc.Authorizer.JWT == nil || len(rc.Authorizer.JWT.Claims) == 0 {
			Refuse(w, r, ErrNotVerified)
			return
		}
		s, err := c.Staff(rc.Authorizer.JWT.Claims)
		if err != nil {
			Refuse(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(identity.With(r.Context(), s)))
	})
}

// Middleware returns middleware that verifies the request's bearer token
// as the HTTP API's JWT authorizer does, then maps its claims like
// [Claims.Gateway]. The local stack and tests put it where AWS has the
// authorizer.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := Bearer(r)
		if err == nil {
			var claims map[string]string
			if claims, err = v.Verify(raw); err == nil {
				var s identity.Staff
				if s, err = v.Claims.Staff(claims); err == nil {
					next.ServeHTTP(w, r.WithContext(identity.With(r.Context(), s)))
					return
				}
			}
		}
		Refuse(w, r, err)
	})
}

// Bearer returns the token of an "Authorization: Bearer …" header, or
// ErrNoToken.
func Bearer(r *http.Request) (string, error) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", ErrNoToken
	}
	return strings.TrimSpace(token), nil
}

// Status is the HTTP status a refusal error answers with: 403 for a
// signed-in member of staff without a Frontdesk role or acting outside
// what their role and queues allow (ErrOtherQueue, ErrForbidden) and for a
// form without its CSRF token, 401 otherwise.
func Status(err error) int {
	if errors.Is(err, ErrNoRole) || errors.Is(err, ErrCSRF) || errors.Is(err, ErrOtherQueue) || errors.Is(err, ErrForbidden) {
		return http.StatusForbidden
	}
	return http.StatusUnauthorized
}

// Refuse answers a request that err turned away: 401 or 403 (see
// [Status]) with a JSON body {"error": "…"} and, as RFC 6750 asks of
// bearer-token APIs, a WWW-Authenticate header saying why. Staff handlers
// refuse with ErrOtherQueue or ErrForbidden when [MayAct] or [MayBlast]
// says no. Errors this package does not know are answered with a generic
// message.
func Refuse(w http.ResponseWriter, r *http.Request, err error) {
	code := Status(err)
	msg := publicMessage(err)
	challenge := `Bearer realm="frontdesk"`
	switch {
	case errors.Is(err, ErrNoToken), errors.Is(err, ErrNotVerified), errors.Is(err, ErrNoSession):
	case code == http.StatusForbidden:
		challenge += `, error="insufficient_scope", error_description="` + msg + `"`
	default:
		challenge += `, error="invalid_token", error_description="` + msg + `"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if err := json.NewEncoder(w).Encode(map[string]string{"error": msg}); err != nil {
		slog.WarnContext(r.Context(), "write refusal", "err", err)
	}
	slog.InfoContext(r.Context(), "staff request refused", "status", code, "reason", msg)
}

// known are the errors whose text is safe and useful to show.
var known = []error{
	ErrNoToken, ErrMalformed, ErrAlgorithm, ErrUnknownKey, ErrSignature, ErrIssuer, ErrAudience,
	ErrExpired, ErrNoExpiry, ErrNotYetValid, ErrIssuedLater, ErrNoSubject, ErrNoRole, ErrNotVerified,
	ErrNoSession, ErrCSRF, ErrOtherQueue, ErrForbidden,
}

func publicMessage(err error) string {
	for _, k := range known {
		if errors.Is(err, k) {
			return k.Error()
		}
	}
	return "sign-in required: the credentials were not accepted"
}
