// Command email is the Lambda that consumes the mail queue: SES stores
// each mail in S3 and notifies SNS, SNS feeds SQS, this reads the mail and
// makes it a ticket.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	_ "time/tzdata" // the Lambda OS image may lack zone data

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/logs"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

type cfg struct {
	aws   aws.Config
	email email.Config
}

// loadConfig reads the environment once and reports every missing or
// malformed variable at once. The channel's part is email.ReadConfig,
// which the replay command reads too.
func loadConfig(get func(string) string) (cfg, error) {
	e := env.New(get)
	c := cfg{aws: e.AWS(), email: email.ReadConfig(e)}
	return c, e.Err()
}

func main() {
	log := logs.New(os.Stdout, "email", ticket.Email)
	slog.SetDefault(log)
	c, err := loadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := c.email.FetchKeys(context.Background(), c.aws); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(logs.Invocations(log, c.email.OnAWS(c.aws).Handle))
}
