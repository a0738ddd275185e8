package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Logical IDs in template.yaml the local SMS routes use.
const (
	smsTopicID      = "SmsInboundTopic"
	smsFunctionID   = "SmsFunction"
	twilioParameter = "TwilioTokensParameter"
)

// sms serves the local-only SMS routes: POST /_local/sms publishes a
// payload to the inbound topic as End User Messaging does (the template's
// queue and the SMS function take it from there), and
// POST /_local/sms/replay replays quarantined texts through the service
// the SMS function's own wiring builds.
func (st *stack) sms(ctx context.Context) error {
	topic, ok := st.dep.res.Known[smsTopicID]
	if !ok {
		return fmt.Errorf("template.yaml has no %s", smsTopicID)
	}
	snsc := st.dep.sns
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
		vars := st.dep.envs[smsFunctionID]
		svc, err := sms.ServiceFromEnv(r.Context(), func(k string) string { return vars[k] })
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
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
	param, _ := st.dep.res.Param(twilioParameter)
	st.urls = append(st.urls,
		"SMS, Twilio webhook   POST "+st.url("/sms/twilio")+"  (signed for https://"+st.addr+"/sms/twilio, as API Gateway passes it on; auth token in local/overrides.yaml"+map[bool]string{true: ")", false: ", parameter " + param + ")"}[param == ""],
		"SMS, End User Msg     POST "+st.url("/_local/sms")+"  (JSON payload → inbound topic → queue → SMS function)",
		"SMS, replay quarantine POST "+st.url("/_local/sms/replay"),
	)
	return nil
}
