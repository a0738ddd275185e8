package webform

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ses"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/survey"
)

// LambdaHandler is the web-form function's handler: API Gateway HTTP API
// (payload 2.0) events in, responses out.
type LambdaHandler = func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// FromEnv is the web-form function's wiring: it reads the function's
// environment through getenv (os.Getenv in main), reporting every missing
// or malformed variable at once, and returns the handler over DynamoDB.
// Its main and the local stack both run it.
func FromEnv(ctx context.Context, getenv func(string) string) (LambdaHandler, error) {
	e := env.New(getenv)
	awsCfg := e.AWS()
	zone := e.Zone("BUSINESS_TIME_ZONE")
	rules := e.Rules("RULES_FILE", zone)
	table := e.String("TABLE_NAME")
	endpoint := e.Endpoint("DYNAMODB")
	snsEndpoint, sesEndpoint := e.Endpoint("SNS"), e.Endpoint("SESV2")
	// The acknowledgement goes by SMS or by mail, as the other channels'.
	from := e.Mailbox("MAIL_FROM")
	texts := &sms.SNSSender{OriginationNumber: e.Optional("SMS_ORIGINATION_NUMBER", ""), SenderID: e.Optional("SMS_SENDER_ID", "")}
	ackEvery := e.Duration("SMS_ACK_EVERY", outbound.DefaultAckEvery)
	directory := e.Switch("CUSTOMER_DIRECTORY", true)
	// The survey links are signed with the reply tokens' keys
	// (REPLY_TOKEN_KEYS, or the secret REPLY_TOKEN_SECRET names).
	keys := email.Config{KeysSecret: e.Optional("REPLY_TOKEN_SECRET", ""), SSM: e.Endpoint("SSM")}
	if keys.KeysSecret == "" {
		keys.Keys = e.Keys("REPLY_TOKEN_KEYS", email.MinKeyLength)
	}
	svc := &intake.Service{Rules: rules, Region: e.Region("DEFAULT_PHONE_REGION")}
	cfg := Config{
		Region:         svc.Region,
		AllowedOrigins: e.List("ALLOWED_ORIGINS"),
		PerIP:          e.Int("RATE_LIMIT_PER_IP", 5),
		Global:         e.Int("RATE_LIMIT_GLOBAL", 600),
		Window:         e.Duration("RATE_LIMIT_WINDOW", 10*time.Minute),
		ClientIP:       SourceIP,
		EmergencyLine:  e.Optional("EMERGENCY_LINE", ""),
	}
	if err := e.Err(); err != nil {
		return nil, err
	}
	cfg.Calendar = rules.Calendar
	if err := keys.FetchKeys(ctx, awsCfg); err != nil {
		return nil, fmt.Errorf("web form: %w", err)
	}
	db := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) { o.BaseEndpoint = endpoint })
	store := dynamo.New(db, table)
	svc.Store = store
	if directory {
		svc.Directory = dynamo.NewDirectory(db, table)
	}
	cfg.Finder = store
	cfg.Surveys = &Surveys{Signer: survey.Signer{Keys: keys.Keys}, Store: store, Rules: rules}
	texts.Client = sns.NewFromConfig(awsCfg, func(o *sns.Options) { o.BaseEndpoint = snsEndpoint })
	cfg.Messenger = &outbound.Service{
		Store: store, Texts: texts, From: from, AckEvery: ackEvery, Zone: zone,
		Mail: &outbound.SESMailer{Raw: ses.New(sesv2.NewFromConfig(awsCfg, func(o *sesv2.Options) { o.BaseEndpoint = sesEndpoint }))},
	}
	return httpadapter.NewV2(New(svc, cfg)).ProxyWithContext, nil
}

// SourceIP is the caller's address as API Gateway saw it, or the remote
// address outside Lambda.
func SourceIP(r *http.Request) string {
	if ev, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && ev.HTTP.SourceIP != "" {
		return ev.HTTP.SourceIP
	}
	return RemoteIP(r)
}
