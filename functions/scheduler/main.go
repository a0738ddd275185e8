// Command scheduler is the scheduled Lambda (EventBridge Scheduler): the
// time-limit sweep and escalation ladder and the day sweep every five
// minutes, the overnight planner and daily digest at 02:00 business time;
// each schedule's Input names its job.
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
