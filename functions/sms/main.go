// Command sms is the Lambda that consumes the inbound SMS queue (AWS End
// User Messaging → SNS → SQS) and reports partial batch failures.
package main

import (
	"context"
	"log/slog"
	"os"
	_ "time/tzdata" // the Lambda OS image may lack zone data

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/frontdesk/frontdesk/shared/logs"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func main() {
	log := logs.New(os.Stdout, "sms", ticket.SMS)
	slog.SetDefault(log)
	h, err := sms.FromEnv(context.Background(), os.Getenv)
	if err != nil {
		slog.Error("bad configuration", "err", err)
		os.Exit(1)
	}
	lambda.Start(logs.Invocations(log, h))
}
