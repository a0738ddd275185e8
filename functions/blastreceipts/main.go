// Command blastreceipts is the Lambda that takes SMS delivery receipts to
// notification blasts: subscribed to SNS's delivery status log groups, it
// marks each blast text delivered or undelivered and counts it once.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/frontdesk/frontdesk/shared/blastsender"
	"github.com/frontdesk/frontdesk/shared/logs"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func main() {
	log := logs.New(os.Stdout, "blastreceipts", ticket.SMS)
	slog.SetDefault(log)
	h, err := blastsender.ReceiptsFromEnv(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "configuration:", err)
		os.Exit(1)
	}
	lambda.Start(logs.Invocations(log, h.Handle))
}
