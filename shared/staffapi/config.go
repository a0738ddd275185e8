package staffapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/frontdesk/frontdesk/shared/console"
	"github.com/frontdesk/frontdesk/shared/deadline"
	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/staffauth"
)

// FromEnv builds the staff function's handler the environment describes,
// reading every variable through the env reader and reporting every
// problem at once: the staff API under /staff/ and the console under
// /console/, over one desk.
//
// The staff API reads TABLE_NAME, BUSINESS_TIME_ZONE, RULES_FILE,
// WAIT_ON_CUSTOMER (how long a wait on a silent customer lasts before the
// reminder, and again before it resolves: "3bd" by default), and what
// replies need (MAIL_FROM, REPLY_TOKEN_SECRET or REPLY_TOKEN_KEYS,
// SES_CONFIGURATION_SET, SMS_ORIGINATION_NUMBER, SMS_SENDER_ID). It
// expects the HTTP API's JWT authorizer in front of it to have verified
// the bearer token; without verified claims every /staff route answers
// 401. Roles and queues come from the claims STAFF_ROLE_CLAIM and
// STAFF_QUEUE_CLAIM name.
//
// The console has no authorizer in front: it signs staff in itself with
// the OIDC issuer the staff API trusts (STAFF_ISSUER, app client
// CONSOLE_CLIENT_ID, authorization-code flow with PKCE) into an encrypted
// cookie sealed with the keys of the secret CONSOLE_SESSION_SECRET names,
// or, where CONSOLE_LOCAL_SIGN_IN is on (locally only), with a page
// offering the local identities (staffauth.ReadConsole).
func FromEnv(ctx context.Context, getenv func(string) string) (http.Handler, error) {
	e := env.New(getenv)
	zone := e.Zone("BUSINESS_TIME_ZONE")
	rules := e.Rules("RULES_FILE", zone)
	wait := e.Span("WAIT_ON_CUSTOMER")
	ch := desk.ReadChannels(e)
	claims := staffauth.ClaimsFromEnv(e)
	signIn := staffauth.ReadConsole(e, claims)
	awsCfg := e.AWS()
	if err := e.Err(); err != nil {
		return nil, err
	}
	rules.Wait = wait
	store, channels, err := ch.Build(ctx, awsCfg, zone)
	if err != nil {
		return nil, fmt.Errorf("staff api: %w", err)
	}
	auth, err := signIn.Build(ctx, awsCfg)
	if err != nil {
		return nil, fmt.Errorf("staff console: %w", err)
	}
	d := &desk.Service{Store: store, Rules: rules, Messenger: channels}
	mux := http.NewServeMux()
	// Behind the HTTP API's JWT authorizer: the verified claims become
	// the member of staff every handler reads.
	mux.Handle("/staff/", claims.Gateway(New(store, d, dynamo.Queues(rules), zone)))
	// No authorizer in front: the console's own session.
	con := console.New(console.Backend{Actions: d, Store: store}, auth, rules)
	mux.Handle("/console/", con)
	mux.Handle("GET /console", con)
	// Every request's AWS calls are bounded well inside the function's
	// 15 s timeout, so a stalled dependency answers instead of hanging.
	return deadline.Handler(mux, 10*time.Second), nil
}
