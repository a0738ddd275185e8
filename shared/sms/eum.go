package sms

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Inbound is the two-way SMS payload AWS End User Messaging publishes to
// the inbound topic.
type Inbound struct {
	OriginationNumber          string `json:"originationNumber"`
	DestinationNumber          string `json:"destinationNumber"`
	MessageKeyword             string `json:"messageKeyword"`
	MessageBody                string `json:"messageBody"`
	InboundMessageID           string `json:"inboundMessageId"`
	PreviousPublishedMessageID string `json:"previousPublishedMessageId"`
}

// ParseRecord reads one SQS message body: the SNS notification that carries
// an End User Messaging payload, or the bare payload when the subscription
// uses raw message delivery. The notification's timestamp becomes At.
// Anything it cannot use comes back as an *InputError.
func ParseRecord(body []byte) (Message, error) {
	if len(body) > MaxPayload {
		return Message{}, inputErr(ReasonTooLarge, "%d bytes, at most %d are taken", len(body), MaxPayload)
	}
	var probe struct {
		Type    string  `json:"Type"`
		Message *string `json:"Message"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return Message{}, inputErr(ReasonMalformed, "sqs body is not JSON: %v", jsonProblem(err))
	}
	payload := body
	var at time.Time
	if probe.Type != "" || probe.Message != nil {
		var env events.SNSEntity
		if err := json.Unmarshal(body, &env); err != nil {
			return Message{}, inputErr(ReasonMalformed, "sns envelope: %v", jsonProblem(err))
		}
		if env.Type != "Notification" {
			return Message{}, inputErr(ReasonMalformed, "sns message of type %q, want Notification", env.Type)
		}
		payload, at = []byte(env.Message), env.Timestamp.UTC()
	}
	m, err := ParseInbound(payload)
	if err != nil {
		return m, err
	}
	m.At = at
	return m, nil
}

// ParseInbound reads an End User Messaging payload.
func ParseInbound(payload []byte) (Message, error) {
	if len(payload) > MaxPayload {
		return Message{}, inputErr(ReasonTooLarge, "%d bytes, at most %d are taken", len(payload), MaxPayload)
	}
	var in Inbound
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&in); err != nil {
		return Message{}, inputErr(ReasonMalformed, "sms payload: %v", jsonProblem(err))
	}
	if dec.More() {
		return Message{}, inputErr(ReasonMalformed, "sms payload: data after the JSON object")
	}
	m := Message{
		Provider: EndUserMessaging,
		ID:       strings.TrimSpace(in.InboundMessageID),
		From:     strings.TrimSpace(in.OriginationNumber),
		To:       strings.TrimSpace(in.DestinationNumber),
		Body:     in.MessageBody,
		ReplyTo:  strings.TrimSpace(in.PreviousPublishedMessageID),
		Keyword:  strings.TrimSpace(in.MessageKeyword),
	}
	return m, m.check()
}

// jsonProblem keeps a JSON error's kind and offset but not the bytes that
// caused it (they may be the customer's message).
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "syntax error at byte " + strconv.FormatInt(syn.Offset, 10)
	case errors.As(err, &typ):
		return "field " + typ.Field + " has the wrong type"
	case err.Error() == "EOF" || err.Error() == "unexpected EOF":
		return "truncated"
	}
	return "not a JSON object"
}
