package blastsender

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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
//	BLAST_BUCKET            the bucket uploaded audiences are planned from (under BLAST_PREFIX, "blast/")
//	DEFAULT_PHONE_REGION    reads audience numbers written without a country code
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
	bucket, prefix := r.String("BLAST_BUCKET"), r.Optional("BLAST_PREFIX", "blast/")
	region := r.Region("DEFAULT_PHONE_REGION")
	cfg := r.AWS()
	dbEndpoint, snsEndpoint, sqsEndpoint, s3Endpoint := r.Endpoint("DYNAMODB"), r.Endpoint("SNS"), r.Endpoint("SQS"), r.Endpoint("S3")
	if err := r.Err(); err != nil {
		return nil, err
	}
	store := dynamo.New(dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = dbEndpoint }), table)
	snsSender := &sms.SNSSender{Client: sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = snsEndpoint }), OriginationNumber: origin, SenderID: senderID}
	sender, optOuts := channel(snsSender, store)
	queue := &Queue{Client: sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = sqsEndpoint }), URL: queueURL}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = s3Endpoint })
	// Plan jobs read uploaded audiences: the planning a staff request has
	// no time for.
	plans := &blast.Service{Store: store, Queue: queue, OptOuts: store, Count: Segments, Region: region,
		Audiences: &Bucket{Client: s3c, Presign: s3.NewPresignClient(s3c), Name: bucket, Prefix: prefix}}
	return &blast.Worker{
		Store: store, Pacer: store, Sender: sender, OptOuts: optOuts, Answers: store, Plans: plans, PaceKey: paceKey,
		Queue: queue, Margin: 3 * time.Second,
	}, nil
}
