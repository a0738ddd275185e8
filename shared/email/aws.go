package email

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/frontdesk/frontdesk/shared/bucket"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/ses"
)

// OnAWS returns the handler c describes over DynamoDB, S3 and SES v2
// clients made from a, with c's endpoint overrides: the email function
// and the replay command both run this one.
func (c Config) OnAWS(a aws.Config) *Handler {
	mailer := ses.New(sesv2.NewFromConfig(a, func(o *sesv2.Options) { o.BaseEndpoint = c.SES }))
	mailer.ConfigurationSet = c.ConfigurationSet
	db := dynamodb.NewFromConfig(a, func(o *dynamodb.Options) { o.BaseEndpoint = c.DynamoDB })
	objects := s3.NewFromConfig(a, func(o *s3.Options) { o.BaseEndpoint = c.S3; o.UsePathStyle = c.S3 != nil })
	return c.Handler(dynamo.New(db, c.Table), dynamo.NewDirectory(db, c.Table), bucket.New(objects), mailer)
}

// LambdaHandler is the email function's handler: SQS batches of SES
// receipt notifications in, partial batch failures out.
type LambdaHandler = func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// FromEnv is the email function's wiring: it reads the environment
// through getenv (os.Getenv in main), reporting every missing or
// malformed variable at once, fetches the reply-token keys (FetchKeys),
// and returns the handler over DynamoDB, S3 and SES.
func FromEnv(ctx context.Context, getenv func(string) string) (LambdaHandler, error) {
	h, err := HandlerFromEnv(ctx, getenv)
	if err != nil {
		return nil, err
	}
	return h.Handle, nil
}

// HandlerFromEnv is FromEnv's handler itself, for callers that need more
// of it than Handle (the local stack's replay route).
func HandlerFromEnv(ctx context.Context, getenv func(string) string) (*Handler, error) {
	e := env.New(getenv)
	a := e.AWS()
	c := ReadConfig(e)
	if err := e.Err(); err != nil {
		return nil, err
	}
	if err := c.FetchKeys(ctx, a); err != nil {
		return nil, err
	}
	return c.OnAWS(a), nil
}

// FetchKeys reads the reply-token keys from the Secrets Manager secret
// c.KeysSecret names, when it names one, through Parameter Store's
// /aws/reference/secretsmanager/ path: once per cold start, never into
// the function's environment.
func (c *Config) FetchKeys(ctx context.Context, a aws.Config) error {
	if c.KeysSecret == "" {
		return nil
	}
	p, err := ssm.NewFromConfig(a, func(o *ssm.Options) { o.BaseEndpoint = c.SSM }).GetParameter(ctx, &ssm.GetParameterInput{
		Name: aws.String("/aws/reference/secretsmanager/" + c.KeysSecret), WithDecryption: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("REPLY_TOKEN_SECRET %s: %w", c.KeysSecret, err)
	}
	if c.Keys, err = env.ParseKeys(aws.ToString(p.Parameter.Value), MinKeyLength); err != nil {
		return fmt.Errorf("REPLY_TOKEN_SECRET %s: %w", c.KeysSecret, err)
	}
	return nil
}
