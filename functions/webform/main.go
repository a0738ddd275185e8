// Command webform is the web-form Lambda: the contact form and POST
// /contacts behind the HTTP API.
package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"
	_ "time/tzdata" // the Lambda OS image may lack zone data

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/logs"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/webform"
)

type appConfig struct {
	aws   aws.Config
	table string
	// dynamoEndpoint overrides the DynamoDB endpoint (local runs).
	dynamoEndpoint *string
	// directory marks VIP customers from the customer directory.
	directory bool
	svc       intake.Service
	form      webform.Config
}

func loadConfig(get func(string) string) (appConfig, error) {
	e := env.New(get)
	zone := e.Zone("BUSINESS_TIME_ZONE")
	rules := e.Rules("RULES_FILE", zone)
	c := appConfig{aws: e.AWS(), table: e.String("TABLE_NAME"), dynamoEndpoint: e.Endpoint("DYNAMODB"),
		directory: e.Switch("CUSTOMER_DIRECTORY", true)}
	c.svc = intake.Service{Rules: rules, Region: e.Region("DEFAULT_PHONE_REGION")}
	c.form = webform.Config{
		Region:         c.svc.Region,
		AllowedOrigins: e.List("ALLOWED_ORIGINS"),
		PerIP:          e.Int("RATE_LIMIT_PER_IP", 5),
		Global:         e.Int("RATE_LIMIT_GLOBAL", 600),
		Window:         e.Duration("RATE_LIMIT_WINDOW", 10*time.Minute),
		ClientIP:       sourceIP,
		EmergencyLine:  e.Optional("EMERGENCY_LINE", ""),
	}
	if rules != nil {
		c.form.Calendar = rules.Calendar
	}
	return c, e.Err()
}

// sourceIP is the caller's address as API Gateway saw it.
func sourceIP(r *http.Request) string {
	if ev, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && ev.HTTP.SourceIP != "" {
		return ev.HTTP.SourceIP
	}
	return webform.RemoteIP(r)
}

func main() {
	log := logs.New(os.Stdout, "webform", ticket.Web)
	slog.SetDefault(log)
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	db := dynamodb.NewFromConfig(cfg.aws, func(o *dynamodb.Options) { o.BaseEndpoint = cfg.dynamoEndpoint })
	store := dynamo.New(db, cfg.table)
	cfg.svc.Store = store
	if cfg.directory {
		cfg.svc.Directory = dynamo.NewDirectory(db, cfg.table)
	}
	cfg.form.Finder = store
	h := webform.New(&cfg.svc, cfg.form)
	lambda.Start(logs.Invocations(log, httpadapter.NewV2(h).ProxyWithContext))
}
