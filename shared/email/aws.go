package email

import (
	"context"
	"fmt"

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

// FetchKeys reads the reply-token keys from the Secrets Manager secret
// c.KeysSecret names, when it names one, through Parameter Store's
// /aws/reference/secretsmanager/ path: once per cold start, never into
// the function's environment.
func (c *Config) FetchKeys(ctx context.Context, a aws.Config) error {
	if c.KeysSecret == "" {
		return nil
	}
	p, err := ssm.NewFromConfig(a).GetParameter(ctx, &ssm.GetParameterInput{
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
