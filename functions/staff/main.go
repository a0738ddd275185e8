// Command staff is the staff Lambda: the staff API (GET/POST /staff/…,
// behind the HTTP API's JWT authorizer) and the staff console (/console/…,
// signing staff in itself with the issuer and a cookie session).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	_ "time/tzdata" // the Lambda OS image may lack zone data

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/frontdesk/frontdesk/shared/logs"
	"github.com/frontdesk/frontdesk/shared/staffapi"
)

func main() {
	log := logs.New(os.Stdout, "staff", "")
	slog.SetDefault(log)
	h, err := staffapi.FromEnv(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(logs.Invocations(log, httpadapter.NewV2(h).ProxyWithContext))
}
