// Command scheduler is the scheduled Lambda (EventBridge Scheduler, every
// five minutes): the time-limit sweep and escalation ladder.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	_ "time/tzdata" // the Lambda OS image may lack zone data

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/frontdesk/frontdesk/shared/logs"
	"github.com/frontdesk/frontdesk/shared/scheduler"
)

func main() {
	log := logs.New(os.Stdout, "scheduler", "")
	slog.SetDefault(log)
	h, err := scheduler.FromEnv(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(logs.Invocations(log, h))
}
