// Command email is the Lambda that consumes the mail queue: SES stores
// each mail in S3 and notifies SNS, SNS feeds SQS, this reads the mail and
// makes it a ticket.
package main

import (
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"strings"
	_ "time/tzdata" // the Lambda OS image may lack zone data

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/frontdesk/frontdesk/shared/bucket"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ses"
)

type cfg struct {
	aws               aws.Config
	db, s3, ses       *string // endpoint overrides (local runs)
	table, from       string
	configSet, prefix string
	svc               intake.Service
	directory         bool
	keys              [][]byte
	lim               email.Limits
	ackMax            int
}

// loadConfig reads the environment once and reports every missing or
// malformed variable at once.
func loadConfig(get func(string) string) (cfg, error) {
	e := env.New(get)
	zone := e.Zone("BUSINESS_TIME_ZONE")
	c := cfg{
		aws: e.AWS(), db: e.Endpoint("DYNAMODB"), s3: e.Endpoint("S3"), ses: e.Endpoint("SESV2"),
		table: e.String("TABLE_NAME"), from: e.String("MAIL_FROM"),
		configSet: e.Optional("SES_CONFIGURATION_SET", ""), prefix: e.Optional("ATTACHMENT_PREFIX", ""),
		svc:       intake.Service{Rules: e.Rules("RULES_FILE", zone), Region: e.Region("DEFAULT_PHONE_REGION")},
		directory: e.Switch("CUSTOMER_DIRECTORY", true),
		lim: email.Limits{
			MaxMessage:    int64(e.Int("MAIL_MAX_MESSAGE_BYTES", int(email.DefaultMaxMessage))),
			MaxAttachment: int64(e.Int("MAIL_MAX_ATTACHMENT_BYTES", int(email.DefaultMaxAttachment))),
		},
		ackMax: e.Int("ACK_MAX_PER_HOUR", 5),
	}
	var problems []string
	if _, err := mail.ParseAddress(c.from); c.from != "" && err != nil {
		problems = append(problems, fmt.Sprintf("MAIL_FROM=%q is not a mailbox: %v", c.from, err))
	}
	for _, k := range strings.Split(e.String("REPLY_TOKEN_KEYS"), ",") {
		if k = strings.TrimSpace(k); len(k) < 16 {
			problems = append(problems, "REPLY_TOKEN_KEYS: every key needs at least 16 characters")
			break
		}
		c.keys = append(c.keys, []byte(k))
	}
	if err := e.Err(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return c, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return c, nil
}

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	c, err := loadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mailer := ses.New(sesv2.NewFromConfig(c.aws, func(o *sesv2.Options) { o.BaseEndpoint = c.ses }))
	mailer.ConfigurationSet = c.configSet
	db := dynamodb.NewFromConfig(c.aws, func(o *dynamodb.Options) { o.BaseEndpoint = c.db })
	store := dynamo.New(db, c.table)
	c.svc.Store = store
	if c.directory {
		c.svc.Directory = dynamo.NewDirectory(db, c.table)
	}
	objects := s3.NewFromConfig(c.aws, func(o *s3.Options) { o.BaseEndpoint = c.s3; o.UsePathStyle = c.s3 != nil })
	h := &email.Handler{
		Objects: bucket.New(objects), Intake: &c.svc,
		Tickets: store, Recorder: store, Bounces: store, AckClaims: store, Aliases: store, Quarantine: store,
		Signer: email.Signer{Keys: c.keys}, Limits: c.lim, AttachmentPrefix: c.prefix,
		Ack: &email.Acknowledger{Mailer: mailer, From: c.from, Zone: c.svc.Rules.Calendar.Zone, MaxPerHour: c.ackMax},
	}
	lambda.Start(h.Handle)
}
