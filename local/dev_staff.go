package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/scheduler"
	"github.com/frontdesk/frontdesk/shared/ses"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/staffapi"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// localReplyKey signs reply tokens as the local email intake checks them.
const localReplyKey = "local development reply-token key"

// sweepEvery is how often the local sweep runs, as the template schedules
// it in AWS.
const sweepEvery = 5 * time.Minute

// staff serves the staff API under /staff (behind st.staffAuth, the local
// authorizer) and runs the time-limit sweep on its schedule in local time.
// POST /_local/tick?at=<RFC3339> runs the sweep now as if at that instant,
// so a tester can jump a day ahead.
func (st *stack) staff(ctx context.Context) error {
	rules, err := localRules()
	if err != nil {
		return err
	}
	store := dynamo.New(st.db, st.table)
	store.Zone = rules.Calendar.Zone
	channels := &desk.Channels{
		Texter: &sms.Texter{Sender: outboxSender{st.outbox}, OptOuts: store, Gate: store, Tickets: store},
		Mail: &desk.Mailer{
			SES: outboxMailer{ses.New(awslocal.SES(st.emus.ses.URL)), st.outbox}, From: localMailFrom,
			Signer:  email.Signer{Keys: [][]byte{[]byte(localReplyKey)}},
			Bounces: store, Tickets: store,
		},
	}
	d := &desk.Service{Store: store, Rules: rules, Messenger: channels}
	api := staffapi.New(store, d, dynamo.Queues(rules), rules.Calendar.Zone)
	var h http.Handler = api
	if st.staffAuth != nil {
		h = st.staffAuth(h)
	}
	st.mux.Handle("/staff/", h)

	sweep := &scheduler.Sweep{Store: store, Rules: rules, Reminder: channels}
	st.wg.Add(1)
	go func() {
		defer st.wg.Done()
		t := time.NewTicker(sweepEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				if _, err := sweep.Run(ctx, now); err != nil {
					slog.Warn("local sweep failed", "err", err)
				}
			}
		}
	}()
	st.mux.HandleFunc("POST /_local/tick", func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		if v := r.URL.Query().Get("at"); v != "" {
			if at, err = time.Parse(time.RFC3339, v); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "at must be an RFC 3339 instant like 2026-11-24T09:00:00+08:00"})
				return
			}
		}
		s, err := sweep.Run(r.Context(), at)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, s)
	})
	st.urls = append(st.urls,
		"Staff API             "+st.url("/staff/tickets")+"  (…/tickets/{ref}, …/tickets/{ref}/actions, /staff/queues, /staff/reports/daily)",
		"Time-limit sweep      POST "+st.url("/_local/tick?at=<RFC3339>")+"  (runs every 5 minutes; this runs it now as if at that instant)",
	)
	return nil
}

// outboxMailer sends through the SES emulator and shows the mail in the
// local outbox.
type outboxMailer struct {
	*ses.Mailer
	outbox *outbox
}

func (m outboxMailer) SendRaw(ctx context.Context, from string, to []string, raw []byte) (string, error) {
	id, err := m.Mailer.SendRaw(ctx, from, to, raw)
	if err == nil {
		for _, addr := range to {
			m.outbox.add(outboxEntry{Channel: ticket.Email, To: addr, Body: string(raw), ProviderID: id, At: time.Now().UTC()})
		}
	}
	return id, err
}
