package main

import (
	"context"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/shared/console"
	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/ses"
	"github.com/frontdesk/frontdesk/shared/sms"
)

// console serves the staff console at /console/ behind the local sign-in,
// over the same desk service the staff API acts through: texts go to the
// local outbox, mail to the SES emulator.
func (st *stack) console(ctx context.Context) error {
	in, err := st.intakeService()
	if err != nil {
		return err
	}
	texts := sms.New(st.store, in, sms.MustDefaultKeywords(), outboxSender{st.outbox}, localRegion)
	d := &desk.Service{Store: st.store, Rules: in.Rules, Messenger: &desk.Channels{
		Texter: texts.Texter,
		Mail: &desk.Mailer{
			SES: ses.New(awslocal.SES(st.emus.ses.URL)), From: localMailFrom, Bounces: st.store, Tickets: st.store,
			Signer: email.Signer{Keys: [][]byte{[]byte("local development reply-token key")}},
		},
	}}
	st.mux.Handle("/console/", console.New(console.Backend{Actions: d, Store: st.store}, st.auth.console, in.Rules))
	st.urls = append(st.urls, "Staff console         "+st.url("/console/"))
	return nil
}
