package sms

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/intake"
)

// QueueLambda is the SMS function's handler: SQS batches of the inbound
// topic's messages in, partial batch failures out.
type QueueLambda = func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// WebhookLambda is the Twilio function's handler: API Gateway HTTP API
// (payload 2.0) events in, TwiML responses out.
type WebhookLambda = func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// wiring is what both SMS functions read from the environment alike.
type wiring struct {
	cfg           Config
	aws           aws.Config
	dynamoDB, sns *string
	directory     bool
}

func readWiring(e *env.Reader, twilio bool) wiring {
	return wiring{aws: e.AWS(), cfg: ReadConfig(e, twilio),
		dynamoDB: e.Endpoint("DYNAMODB"), sns: e.Endpoint("SNS"), directory: e.Switch("CUSTOMER_DIRECTORY", true)}
}

// service builds the SMS service over DynamoDB and SNS.
func (w wiring) service() *Service {
	db := dynamodb.NewFromConfig(w.aws, func(o *dynamodb.Options) { o.BaseEndpoint = w.dynamoDB })
	store := dynamo.New(db, w.cfg.Table)
	in := &intake.Service{Store: store, Rules: w.cfg.Rules, Region: w.cfg.Region}
	if w.directory {
		in.Directory = dynamo.NewDirectory(db, w.cfg.Table)
	}
	sender := &SNSSender{Client: sns.NewFromConfig(w.aws, func(o *sns.Options) { o.BaseEndpoint = w.sns }),
		OriginationNumber: w.cfg.OriginationNumber, SenderID: w.cfg.SenderID}
	return w.cfg.Service(store, in, sender)
}

// ServiceFromEnv reads the SMS function's environment through getenv,
// reporting every missing or malformed variable at once, and returns the
// service FromEnv's handler runs (the local stack replays quarantined
// texts through it).
func ServiceFromEnv(_ context.Context, getenv func(string) string) (*Service, error) {
	e := env.New(getenv)
	w := readWiring(e, false)
	if err := e.Err(); err != nil {
		return nil, err
	}
	return w.service(), nil
}

// FromEnv is the SMS function's wiring: it reads the environment through
// getenv (os.Getenv in main), reporting every missing or malformed
// variable at once, and returns the queue handler over DynamoDB and SNS.
func FromEnv(ctx context.Context, getenv func(string) string) (QueueLambda, error) {
	svc, err := ServiceFromEnv(ctx, getenv)
	if err != nil {
		return nil, err
	}
	return (&QueueHandler{Service: svc}).Handle, nil
}

// TwilioFromEnv is the Twilio function's wiring: it reads the environment
// through getenv, reporting every missing or malformed variable at once,
// reads the auth tokens from the SSM SecureString parameter
// TWILIO_TOKENS_PARAMETER names (once per cold start), and returns the
// webhook behind API Gateway.
func TwilioFromEnv(ctx context.Context, getenv func(string) string) (WebhookLambda, error) {
	e := env.New(getenv)
	w := readWiring(e, true)
	ssmEndpoint := e.Endpoint("SSM")
	if err := e.Err(); err != nil {
		return nil, err
	}
	p, err := ssm.NewFromConfig(w.aws, func(o *ssm.Options) { o.BaseEndpoint = ssmEndpoint }).GetParameter(ctx, &ssm.GetParameterInput{
		Name: aws.String(w.cfg.TwilioTokensParameter), WithDecryption: aws.Bool(true),
	})
	var tokens []string
	if err == nil {
		tokens, err = Tokens(aws.ToString(p.Parameter.Value))
	}
	if err != nil {
		return nil, fmt.Errorf("twilio auth tokens from %s: %w", w.cfg.TwilioTokensParameter, err)
	}
	hook := &Webhook{Service: w.service(), PublicURL: w.cfg.TwilioURL, Tokens: tokens}
	return httpadapter.NewV2(hook).ProxyWithContext, nil
}
