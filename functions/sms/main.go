// Command sms is the Lambda that consumes the inbound SMS queue (AWS End
// User Messaging → SNS → SQS) and reports partial batch failures.
package main

import (
	"fmt"
	"log/slog"
	"os"
	_ "time/tzdata"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/logs"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func loadConfig() (sms.Config, error) { return sms.ParseEnv(os.LookupEnv, false) }

func main() {
	log := logs.New(os.Stdout, "sms", ticket.SMS)
	slog.SetDefault(log)
	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Credentials and region as Lambda sets them; endpoints overridable for local runs.
	envAWS := env.New(os.Getenv)
	awsCfg := envAWS.AWS()
	dbEndpoint, snsEndpoint := envAWS.Endpoint("DYNAMODB"), envAWS.Endpoint("SNS")
	directory := envAWS.Switch("CUSTOMER_DIRECTORY", true)
	if err := envAWS.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
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
	lambda.Start(logs.Invocations(log, (&sms.QueueHandler{Service: svc}).Handle))
}
