package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/sqspoll"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// outboxSender stands in for SNS Publish to a phone number, which fauxqs
// does not support ("TopicArn is required"): texts go to the local outbox
// with a made-up provider ID. Production sends through sms.SNSSender.
type outboxSender struct{ outbox *outbox }

func (o outboxSender) Send(_ context.Context, to, body string) (string, error) {
	id := "local-sms-" + string(ticket.NewID(time.Now()))
	o.outbox.add(outboxEntry{Channel: ticket.SMS, To: to, Body: body, ProviderID: id, At: time.Now().UTC()})
	return id, nil
}

// sms wires the SMS channel as Lambda runs it: the inbound topic feeds a
// queue that a poller hands to the real queue handler in batches, and the
// Twilio webhook is served at POST /sms/twilio with a dev auth token.
func (st *stack) sms(ctx context.Context) error {
	snsc, sqsc := awslocal.SNS(st.emus.fauxqs.URL), awslocal.SQS(st.emus.fauxqs.URL)
	topic, queueURL, queueARN, err := sqspoll.Wire(ctx, snsc, sqsc, "frontdesk-local-sms-inbound", "frontdesk-local-sms-inbound")
	if err != nil {
		return err
	}
	in, err := st.intakeService()
	if err != nil {
		return err
	}
	svc := sms.New(st.store, in, sms.MustDefaultKeywords(), outboxSender{st.outbox}, localRegion)

	poller := &sqspoll.Poller{SQS: sqsc, QueueURL: queueURL, QueueARN: queueARN, Region: awslocal.Region,
		Handler: (&sms.QueueHandler{Service: svc}).Handle}
	st.wg.Add(1)
	go func() {
		defer st.wg.Done()
		poller.Run(ctx, func(err error) { slog.Warn("sms queue poll failed", "err", err) })
	}()

	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	token := hex.EncodeToString(b[:])
	st.mux.HandleFunc("POST /sms/twilio", func(w http.ResponseWriter, r *http.Request) {
		// The signature covers the URL as Twilio called it, query string
		// included, as behind API Gateway: here, this server's own
		// address and the request's path and query.
		hook := sms.Webhook{Service: svc, PublicURL: st.url(r.URL.RequestURI()), Tokens: []string{token}}
		hook.ServeHTTP(w, r)
	})
	st.mux.HandleFunc("POST /_local/sms", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, sms.MaxPayload))
		if err != nil {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "payload over 256 KiB"})
			return
		}
		// Published as given, like End User Messaging does: bad payloads
		// are the handler's to quarantine.
		out, err := snsc.Publish(r.Context(), &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(string(body))})
		if err != nil {
			writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]string{"snsMessageId": aws.ToString(out.MessageId), "topicArn": topic})
	})
	st.mux.HandleFunc("POST /_local/sms/replay", func(w http.ResponseWriter, r *http.Request) {
		list, err := st.store.Quarantined(r.Context(), ticket.SMS, false)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		results := map[string]string{}
		for _, q := range list {
			out, err := svc.Replay(r.Context(), q)
			if err != nil {
				results[q.ID] = "still quarantined: " + err.Error()
				continue
			}
			if err := st.store.MarkReplayed(r.Context(), ticket.SMS, q.ID, time.Now()); err != nil {
				results[q.ID] = "replayed, not marked: " + err.Error()
				continue
			}
			results[q.ID] = "replayed"
			if out.Ticket != nil {
				results[q.ID] += " to " + string(out.Ticket.Ref)
			}
		}
		writeJSON(w, http.StatusOK, results)
	})
	st.urls = append(st.urls,
		"SMS, Twilio webhook   POST "+st.url("/sms/twilio")+fmt.Sprintf("  (dev auth token %s)", token),
		"SMS, End User Msg     POST "+st.url("/_local/sms")+"  (JSON payload → inbound topic → queue → handler)",
		"SMS, replay quarantine POST "+st.url("/_local/sms/replay"),
	)
	return nil
}
