package notice

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/frontdesk/frontdesk/shared/env"
)

// LambdaHandler is the notifier function's handler: ticket-table stream
// batches in, partial batch failures out.
type LambdaHandler = func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// FromEnv is the notifier function's wiring: it reads the environment
// through getenv (os.Getenv in main), reporting every missing or
// malformed variable at once, and returns the handler publishing to the
// SNS topic TOPIC_ARN names.
func FromEnv(_ context.Context, getenv func(string) string) (LambdaHandler, error) {
	e := env.New(getenv)
	awsCfg := e.AWS()
	endpoint := e.Endpoint("SNS")
	topic := e.String("TOPIC_ARN")
	link := e.Optional("TICKET_LINK", "")
	b, err := NewBuilder(link)
	if err != nil {
		e.Fail("TICKET_LINK", "%v", err)
	}
	attempts := e.IntBetween("PUBLISH_ATTEMPTS", 3, 1, 10)
	if err := e.Err(); err != nil {
		return nil, err
	}
	p := NewPublisher(sns.NewFromConfig(awsCfg, func(o *sns.Options) { o.BaseEndpoint = endpoint }), topic)
	p.Attempts = attempts
	return NewHandler(b, p, slog.Default()).Handle, nil
}
