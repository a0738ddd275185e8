package blastsender

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/sms"
)

// FromEnv builds the blast sender from its environment, reporting every
// missing or malformed variable at once:
//
//	TABLE_NAME              the ticket table
//	BLAST_QUEUE_URL         the send queue (held-back chunks go back on it)
//	BLAST_PACE_KEY          names the pace shared by senders of one number ("sms")
//	SMS_ORIGINATION_NUMBER  optional, E.164
//	SMS_SENDER_ID           optional
//
// plus the AWS variables Lambda sets and AWS_ENDPOINT_URL_<SERVICE>
// overrides for local runs.
func FromEnv(_ context.Context, getenv func(string) string) (*blast.Worker, error) {
	r := env.New(getenv)
	table := r.String("TABLE_NAME")
	queueURL := r.String("BLAST_QUEUE_URL")
	paceKey := r.Optional("BLAST_PACE_KEY", "sms")
	origin := strings.TrimSpace(getenv("SMS_ORIGINATION_NUMBER"))
	senderID := strings.TrimSpace(getenv("SMS_SENDER_ID"))
	cfg := r.AWS()
	dbEndpoint, snsEndpoint, sqsEndpoint := r.Endpoint("DYNAMODB"), r.Endpoint("SNS"), r.Endpoint("SQS")
	if err := r.Err(); err != nil {
		return nil, err
	}
	store := dynamo.New(dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = dbEndpoint }), table)
	snsSender := &sms.SNSSender{Client: sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = snsEndpoint }), OriginationNumber: origin, SenderID: senderID}
	sender, optOuts := channel(snsSender, store)
	return &blast.Worker{
		Store: store, Pacer: store, Sender: sender, OptOuts: optOuts, Answers: store, PaceKey: paceKey,
		Queue:  &Queue{Client: sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = sqsEndpoint }), URL: queueURL},
		Margin: 3 * time.Second,
	}, nil
}
