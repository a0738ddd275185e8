package main

import (
	"context"
	"fmt"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/shared/console"
	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ses"
	"github.com/frontdesk/frontdesk/shared/sms"
)

// console serves the staff console at /console/ behind the local sign-in,
// over the desk service the staff function acts through, configured from
// the staff function's environment in template.yaml: texts go through the
// local SNS front (so they show in /_local/outbox), mail to the SES
// emulator, signed with the local reply-token keys. In AWS the console is
// not deployed yet: it runs here in the dev stack's own process.
func (st *stack) console(ctx context.Context) error {
	vars, ok := st.dep.envs["StaffFunction"]
	if !ok {
		return nil
	}
	e := env.New(func(k string) string { return vars[k] })
	zone := e.Zone("BUSINESS_TIME_ZONE")
	rules := e.Rules("RULES_FILE", zone)
	rules.Wait = e.Span("WAIT_ON_CUSTOMER")
	from := e.Mailbox("MAIL_FROM")
	if err := e.Err(); err != nil {
		return fmt.Errorf("staff console: %w", err)
	}
	keys, err := env.ParseKeys(st.dep.overrides.SSMParameters["/aws/reference/secretsmanager/"+vars["REPLY_TOKEN_SECRET"]], email.MinKeyLength)
	if err != nil {
		return fmt.Errorf("staff console: reply-token keys: %w", err)
	}
	out := &outbound.Service{
		From: from, Zone: zone, Signer: email.Signer{Keys: keys},
		Texts: &sms.SNSSender{Client: awslocal.SNS(st.dep.endpoints["SNS"])},
		Mail:  &outbound.SESMailer{Raw: ses.New(awslocal.SES(st.emus.ses.URL))},
	}
	store := dynamo.New(st.db, st.table)
	store.Zone = zone
	out.Store = store
	d := &desk.Service{Store: store, Rules: rules, Messenger: &desk.Channels{Out: out, Tickets: store}}
	st.mux.Handle("/console/", console.New(console.Backend{Actions: d, Store: store}, st.auth.console, rules))
	st.urls = append(st.urls, "Staff console         "+st.url("/console/"))
	return nil
}
