// Command sms is the Lambda that consumes the inbound SMS queue (AWS End
// User Messaging → SNS → SQS) and reports partial batch failures.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	_ "time/tzdata"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/sms"
)

func loadConfig() (sms.Config, error) { return sms.ParseEnv(os.LookupEnv, false) }

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	aws, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "aws config:", err)
		os.Exit(1)
	}
	store := dynamo.New(dynamodb.NewFromConfig(aws), cfg.Table)
	in := &intake.Service{Store: store, Rules: cfg.Rules, Region: cfg.Region}
	sender := &sms.SNSSender{Client: sns.NewFromConfig(aws), OriginationNumber: cfg.OriginationNumber, SenderID: cfg.SenderID}
	svc := sms.New(store, in, cfg.Keywords, sender, cfg.Region)
	svc.ThreadWindow, svc.Texter.AckEvery = cfg.ThreadWindow, cfg.AckEvery
	lambda.Start((&sms.QueueHandler{Service: svc}).Handle)
}
