// Command blaststaff serves the staff API's notification blast routes
// (/staff/blasts…) behind the HTTP API's JWT authorizer.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	_ "time/tzdata"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/frontdesk/frontdesk/shared/blastsender"
	"github.com/frontdesk/frontdesk/shared/logs"
)

func main() {
	log := logs.New(os.Stdout, "blaststaff", "")
	slog.SetDefault(log)
	h, err := blastsender.StaffFromEnv(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "configuration:", err)
		os.Exit(1)
	}
	lambda.Start(logs.Invocations(log, httpadapter.NewV2(h).ProxyWithContext))
}
