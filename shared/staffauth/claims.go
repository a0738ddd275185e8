// Package staffauth authenticates and authorizes Frontdesk staff.
//
// In AWS the HTTP API's JWT authorizer verifies a staff member's token
// (signature against the issuer's JWKS, issuer, audience, expiry) before a
// /staff route runs; [Claims.Gateway] then reads the verified claims from
// the API Gateway request context. Locally and in tests a [Verifier] makes
// the very same checks on the Authorization header with the keys of a local
// [Issuer]. Both end in one mapping from claims to an [identity.Staff]
// (subject, display name, roles, queues), so a handler sees the same
// identity wherever it runs. [MayAct] and [MayBlast] say what a member of
// staff may do; [Console] signs staff into the browser console with the
// same issuer (authorization-code flow with PKCE) and keeps them signed in
// with an encrypted cookie.
package staffauth

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/identity"
)

// Default claim names: Cognito puts a user's groups in cognito:groups and
// custom attributes under custom:.
const (
	DefaultRoleClaim  = "cognito:groups"
	DefaultQueueClaim = "custom:queues"
)

// Claims names the token claims an identity is read from.
type Claims struct {
	// Role holds the roles (agent, supervisor, admin); DefaultRoleClaim
	// when empty.
	Role string
	// Queue holds the queues, comma- or space-separated; DefaultQueueClaim
	// when empty.
	Queue string
}

func (c Claims) role() string {
	if c.Role == "" {
		return DefaultRoleClaim
	}
	return c.Role
}

func (c Claims) queue() string {
	if c.Queue == "" {
		return DefaultQueueClaim
	}
	return c.Queue
}

// nameClaims are tried in order for the display name.
var nameClaims = []string{"name", "cognito:username", "preferred_username", "email"}

// Staff maps verified claims, flattened as API Gateway passes them (every
// value a string, arrays as "[a b]"), to an identity. A token without a
// subject is ErrNoSubject; one without any Frontdesk role is ErrNoRole.
// Roles Frontdesk does not know (other groups of the user pool) are
// ignored.
func (c Claims) Staff(claims map[string]string) (identity.Staff, error) {
	s := identity.Staff{Subject: strings.TrimSpace(claims["sub"])}
	if s.Subject == "" {
		return identity.Staff{}, ErrNoSubject
	}
	for _, n := range nameClaims {
		if v := strings.TrimSpace(claims[n]); v != "" {
			s.Name = v
			break
		}
	}
	for _, r := range List(claims[c.role()]) {
		switch role := identity.Role(strings.ToLower(r)); role {
		case identity.Agent, identity.Supervisor, identity.Admin:
			if !slices.Contains(s.Roles, role) {
				s.Roles = append(s.Roles, role)
			}
		}
	}
	if len(s.Roles) == 0 {
		return identity.Staff{}, ErrNoRole
	}
	for _, q := range List(claims[c.queue()]) {
		if !slices.Contains(s.Queues, q) {
			s.Queues = append(s.Queues, q)
		}
	}
	return s, nil
}

// List splits a claim value into its items. It reads every shape a list
// claim arrives in: a JSON array (["agent","admin"]), API Gateway's
// flattening of an array ([agent admin]), and a plain string separated by
// commas or spaces (customer-service,field-service). Empty items are
// dropped.
func List(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	if strings.HasPrefix(v, "[") {
		var items []string
		if json.Unmarshal([]byte(v), &items) == nil {
			return nonEmpty(items)
		}
		if strings.HasSuffix(v, "]") {
			v = v[1 : len(v)-1]
		}
	}
	return nonEmpty(strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }))
}

func nonEmpty(items []string) []string {
	var out []string
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// Flatten turns decoded token claims into the strings API Gateway's JWT
// authorizer hands a function: strings as they are, numbers and booleans
// in their JSON form, arrays as their items between brackets separated by
// spaces ("[agent supervisor]"), objects as JSON. The local verifier
// flattens the same way, so both paths share one mapping.
func Flatten(claims map[string]any) map[string]string {
	out := make(map[string]string, len(claims))
	for k, v := range claims {
		out[k] = flat(v)
	}
	return out
}

func flat(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		items := make([]string, len(v))
		for i, it := range v {
			items[i] = flat(it)
		}
		return "[" + strings.Join(items, " ") + "]"
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(b)
	}
}

// Errors a token or a session is refused with. Their text is what the
// 401 and 403 responses say, so it names the problem and nothing secret.
var (
	ErrNoToken      = errors.New("sign-in required: send a bearer token in the Authorization header")
	ErrMalformed    = errors.New("token is not a signed JWT")
	ErrAlgorithm    = errors.New("token is signed with an algorithm other than RS256")
	ErrUnknownKey   = errors.New("token is signed with a key the issuer does not publish")
	ErrSignature    = errors.New("token signature does not verify")
	ErrIssuer       = errors.New("token is from another issuer")
	ErrAudience     = errors.New("token is for another audience")
	ErrExpired      = errors.New("token has expired")
	ErrNoExpiry     = errors.New("token has no expiry")
	ErrNotYetValid  = errors.New("token is not valid yet")
	ErrIssuedLater  = errors.New("token is issued in the future")
	ErrNoSubject    = errors.New("token has no subject")
	ErrNoRole       = errors.New("no Frontdesk role: the token names none of agent, supervisor or admin")
	ErrOtherQueue   = errors.New("not allowed: the ticket belongs to a queue you do not work in")
	ErrForbidden    = errors.New("not allowed: your role does not permit this")
	ErrNotVerified  = errors.New("sign-in required: the request carries no verified token")
	ErrNoSession    = errors.New("sign-in required")
	ErrCSRF         = errors.New("form has expired or did not come from Frontdesk: reload the page and try again")
	errSessionCrypt = errors.New("session cookie does not decrypt")
)

// ClaimsFromEnv reads the claim names a staff function maps identities
// from: STAFF_ROLE_CLAIM and STAFF_QUEUE_CLAIM (template parameters
// StaffRoleClaim and StaffQueueClaim), the defaults when unset.
func ClaimsFromEnv(r *env.Reader) Claims {
	return Claims{
		Role:  r.Optional("STAFF_ROLE_CLAIM", DefaultRoleClaim),
		Queue: r.Optional("STAFF_QUEUE_CLAIM", DefaultQueueClaim),
	}
}
