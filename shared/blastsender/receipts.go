package blastsender

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/env"
)

// ReceiptsFromEnv builds the delivery receipt handler from its
// environment, reporting every problem at once:
//
//	TABLE_NAME  the ticket table
//
// plus the AWS variables Lambda sets and AWS_ENDPOINT_URL_DYNAMODB for
// local runs. Its events are SNS's SMS delivery status log groups, through
// a CloudWatch Logs subscription.
func ReceiptsFromEnv(_ context.Context, getenv func(string) string) (*blast.Receipts, error) {
	r := env.New(getenv)
	table := r.String("TABLE_NAME")
	cfg := r.AWS()
	dbEndpoint := r.Endpoint("DYNAMODB")
	if err := r.Err(); err != nil {
		return nil, err
	}
	store := dynamo.New(dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = dbEndpoint }), table)
	return &blast.Receipts{Store: store}, nil
}
