package staffapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/frontdesk/frontdesk/shared/deadline"
	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/staffauth"
)

// FromEnv builds the staff API the environment describes, reading every
// variable through the env reader and reporting every problem at once:
// TABLE_NAME, BUSINESS_TIME_ZONE, RULES_FILE, WAIT_ON_CUSTOMER (how long a
// wait on a silent customer lasts before the reminder, and again before
// it resolves: "3bd" by default), and what replies need (MAIL_FROM,
// REPLY_TOKEN_SECRET or REPLY_TOKEN_KEYS, SES_CONFIGURATION_SET,
// SMS_ORIGINATION_NUMBER, SMS_SENDER_ID). The handler expects the
// authentication in front of it to put the member of staff in the
// request context; without one every route answers 401. Roles and queues
// come from the claims STAFF_ROLE_CLAIM and STAFF_QUEUE_CLAIM name.
func FromEnv(ctx context.Context, getenv func(string) string) (http.Handler, error) {
	e := env.New(getenv)
	zone := e.Zone("BUSINESS_TIME_ZONE")
	rules := e.Rules("RULES_FILE", zone)
	wait := e.Span("WAIT_ON_CUSTOMER")
	ch := desk.ReadChannels(e)
	claims := staffauth.ClaimsFromEnv(e)
	awsCfg := e.AWS()
	if err := e.Err(); err != nil {
		return nil, err
	}
	rules.Wait = wait
	store, channels, err := ch.Build(ctx, awsCfg, zone)
	if err != nil {
		return nil, fmt.Errorf("staff api: %w", err)
	}
	d := &desk.Service{Store: store, Rules: rules, Messenger: channels}
	// Behind the HTTP API's JWT authorizer: the verified claims become
	// the member of staff every handler reads.
	// Every request's AWS calls are bounded well inside the function's
	// 15 s timeout, so a stalled dependency answers instead of hanging.
	return deadline.Handler(claims.Gateway(New(store, d, dynamo.Queues(rules), zone)), 10*time.Second), nil
}
