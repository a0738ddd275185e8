// Command notifier is the Lambda that reads the ticket table's stream and
// publishes one notice per history event to the notices topic.
package main

import (
	"context"
	"log/slog"
	"os"
	_ "time/tzdata" // the Lambda OS image may lack zone data

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/frontdesk/frontdesk/shared/logs"
	"github.com/frontdesk/frontdesk/shared/notice"
)

func main() {
	log := logs.New(os.Stdout, "notifier", "")
	slog.SetDefault(log)
	h, err := notice.FromEnv(context.Background(), os.Getenv)
	if err != nil {
		slog.Error("bad configuration", "err", err)
		os.Exit(1)
	}
	lambda.Start(logs.Invocations(log, h))
}
