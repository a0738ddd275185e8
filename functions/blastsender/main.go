// Command blastsender is the Lambda that texts notification blasts: it
// consumes the blast send queue, one chunk of recipients per message, at
// the pace shared by every instance, and reports partial batch failures.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	_ "time/tzdata"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/frontdesk/frontdesk/shared/blastsender"
	"github.com/frontdesk/frontdesk/shared/logs"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func main() {
	log := logs.New(os.Stdout, "blastsender", ticket.SMS)
	slog.SetDefault(log)
	w, err := blastsender.FromEnv(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "configuration:", err)
		os.Exit(1)
	}
	lambda.Start(logs.Invocations(log, w.Handle))
}
