// Command webform is the web-form Lambda: the contact form and POST
// /contacts behind the HTTP API.
package main

import (
	"context"
	"log/slog"
	"os"
	_ "time/tzdata" // the Lambda OS image may lack zone data

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/frontdesk/frontdesk/shared/logs"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/webform"
)

func main() {
	log := logs.New(os.Stdout, "webform", ticket.Web)
	slog.SetDefault(log)
	h, err := webform.FromEnv(context.Background(), os.Getenv)
	if err != nil {
		slog.Error("bad configuration", "err", err)
		os.Exit(1)
	}
	lambda.Start(logs.Invocations(log, h))
}
