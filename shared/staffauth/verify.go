package staffauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Verifier checks a bearer token the way the HTTP API's JWT authorizer
// does: an RS256 signature by a key of the issuer's JWKS named by the
// token's kid, the issuer, the audience ("aud", or "client_id" when the
// token has no "aud", as in Cognito access tokens), the expiry, not-before
// and issued-at. It runs where no authorizer does: locally and in tests.
type Verifier struct {
	// Issuer is the expected "iss", exactly.
	Issuer string
	// Audiences are accepted values of "aud" (or "client_id").
	Audiences []string
	// Keys are the issuer's public keys.
	Keys jose.JSONWebKeySet
	// Claims names the role and queue claims.
	Claims Claims
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// registered are the claims every check reads.
type registered struct {
	jwt.Claims
	ClientID string `json:"client_id"`
}

// Verify checks raw and returns its claims, flattened as API Gateway
// flattens them (see [Flatten]). The error says which check failed.
func (v *Verifier) Verify(raw string) (map[string]string, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		if _, perr := jwt.ParseSigned(raw, allSignatureAlgorithms); perr == nil {
			return nil, ErrAlgorithm
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(tok.Headers) != 1 {
		return nil, ErrMalformed
	}
	keys := v.Keys.Key(tok.Headers[0].KeyID)
	if tok.Headers[0].KeyID == "" || len(keys) == 0 {
		return nil, ErrUnknownKey
	}
	var (
		std registered
		all map[string]any
		ok  bool
	)
	for _, k := range keys {
		var payload json.RawMessage
		if err := tok.Claims(k.Public(), &payload); err != nil {
			continue
		}
		if err := json.Unmarshal(payload, &std); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		dec := json.NewDecoder(bytes.NewReader(payload))
		dec.UseNumber()
		if err := dec.Decode(&all); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		ok = true
		break
	}
	if !ok {
		return nil, ErrSignature
	}
	if err := v.check(std); err != nil {
		return nil, err
	}
	return Flatten(all), nil
}

func (v *Verifier) check(c registered) error {
	if c.Issuer != v.Issuer {
		return ErrIssuer
	}
	// API Gateway reads client_id only when the token has no aud.
	if len(c.Audience) > 0 {
		if !slices.ContainsFunc(v.Audiences, c.Audience.Contains) {
			return ErrAudience
		}
	} else if c.ClientID == "" || !slices.Contains(v.Audiences, c.ClientID) {
		return ErrAudience
	}
	if c.Expiry == nil {
		return ErrNoExpiry
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	err := c.ValidateWithLeeway(jwt.Expected{Time: now()}, 0)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrExpired):
		return ErrExpired
	case errors.Is(err, jwt.ErrNotValidYet):
		return ErrNotYetValid
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return ErrIssuedLater
	default:
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
}

// allSignatureAlgorithms lets Verify tell a token signed with another
// algorithm from one that is not a JWT at all.
var allSignatureAlgorithms = []jose.SignatureAlgorithm{
	jose.EdDSA, jose.HS256, jose.HS384, jose.HS512, jose.RS384, jose.RS512,
	jose.ES256, jose.ES384, jose.ES512, jose.PS256, jose.PS384, jose.PS512,
}
