// Command email is the Lambda that consumes the mail queue: SES stores
// each mail in S3 and notifies SNS, SNS feeds SQS, this reads the mail and
// makes it a ticket.
package main

import (
	"context"
	"log/slog"
	"os"
	_ "time/tzdata" // the Lambda OS image may lack zone data

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/logs"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func main() {
	log := logs.New(os.Stdout, "email", ticket.Email)
	slog.SetDefault(log)
	h, err := email.FromEnv(context.Background(), os.Getenv)
	if err != nil {
		slog.Error("bad configuration", "err", err)
		os.Exit(1)
	}
	lambda.Start(logs.Invocations(log, h))
}
