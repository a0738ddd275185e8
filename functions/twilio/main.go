// Command twilio is the Lambda behind POST /sms/twilio: Twilio's
// incoming-message webhook, answered with TwiML.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	_ "time/tzdata"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/logs"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func loadConfig() (sms.Config, error) { return sms.ParseEnv(os.LookupEnv, true) }

func main() {
	log := logs.New(os.Stdout, "twilio", ticket.SMS)
	slog.SetDefault(log)
	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx := context.Background()
	// Credentials and region as Lambda sets them; endpoints overridable for local runs.
	envAWS := env.New(os.Getenv)
	awsCfg := envAWS.AWS()
	dbEndpoint, snsEndpoint := envAWS.Endpoint("DYNAMODB"), envAWS.Endpoint("SNS")
	directory := envAWS.Switch("CUSTOMER_DIRECTORY", true)
	if err := envAWS.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The auth tokens are a SecureString parameter, read once per cold start.
	p, err := ssm.NewFromConfig(awsCfg).GetParameter(ctx, &ssm.GetParameterInput{
		Name: aws.String(cfg.TwilioTokensParameter), WithDecryption: aws.Bool(true),
	})
	var tokens []string
	if err == nil {
		tokens, err = sms.Tokens(aws.ToString(p.Parameter.Value))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "twilio auth tokens:", err)
		os.Exit(1)
	}
	db := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) { o.BaseEndpoint = dbEndpoint })
	store := dynamo.New(db, cfg.Table)
	in := &intake.Service{Store: store, Rules: cfg.Rules, Region: cfg.Region}
	if directory {
		in.Directory = dynamo.NewDirectory(db, cfg.Table)
	}
	sender := &sms.SNSSender{Client: sns.NewFromConfig(awsCfg, func(o *sns.Options) { o.BaseEndpoint = snsEndpoint }), OriginationNumber: cfg.OriginationNumber, SenderID: cfg.SenderID}
	svc := cfg.Service(store, in, sender)
	hook := &sms.Webhook{Service: svc, PublicURL: cfg.TwilioURL, Tokens: tokens}
	lambda.Start(logs.Invocations(log, httpadapter.NewV2(hook).ProxyWithContext))
}
