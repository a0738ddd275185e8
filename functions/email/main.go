// Command email is the Lambda that consumes the mail queue: SES stores
// each mail in S3 and notifies SNS, SNS feeds SQS, this reads the mail and
// makes it a ticket.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/frontdesk/frontdesk/shared/bucket"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ses"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

type cfg struct {
	table, region, from, configSet, prefix string
	zone                                   *time.Location
	keys                                   [][]byte
	lim                                    email.Limits
	ackMax                                 int
}

// loadConfig reads the environment once and reports every missing or
// malformed variable at once.
func loadConfig() (cfg, error) {
	var c cfg
	var errs []error
	need := func(k string) string {
		v := os.Getenv(k)
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is not set", k))
		}
		return v
	}
	num := func(k string, def int64) int64 {
		v := os.Getenv(k)
		if v == "" {
			return def
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q is not a positive number", k, v))
		}
		return n
	}
	c.table, c.region, c.from = need("TABLE_NAME"), need("DEFAULT_PHONE_REGION"), need("MAIL_FROM")
	if _, err := mail.ParseAddress(c.from); c.from != "" && err != nil {
		errs = append(errs, fmt.Errorf("MAIL_FROM=%q is not a mailbox: %v", c.from, err))
	}
	var err error
	if c.zone, err = time.LoadLocation(need("BUSINESS_TIME_ZONE")); err != nil {
		errs = append(errs, fmt.Errorf("BUSINESS_TIME_ZONE: %v", err))
	}
	for _, k := range strings.Split(need("REPLY_TOKEN_KEYS"), ",") {
		if k = strings.TrimSpace(k); len(k) < 16 {
			errs = append(errs, errors.New("REPLY_TOKEN_KEYS: every key needs at least 16 characters"))
			break
		}
		c.keys = append(c.keys, []byte(k))
	}
	c.lim = email.Limits{MaxMessage: num("MAIL_MAX_MESSAGE_BYTES", email.DefaultMaxMessage), MaxAttachment: num("MAIL_MAX_ATTACHMENT_BYTES", email.DefaultMaxAttachment)}
	c.ackMax = int(num("ACK_MAX_PER_HOUR", 5))
	c.prefix, c.configSet = os.Getenv("ATTACHMENT_PREFIX"), os.Getenv("SES_CONFIGURATION_SET")
	return c, errors.Join(errs...)
}

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	c, err := loadConfig()
	if err != nil {
		slog.Error("configuration", "err", err)
		os.Exit(1)
	}
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		slog.Error("aws configuration", "err", err)
		os.Exit(1)
	}
	mailer := ses.New(sesv2.NewFromConfig(awsCfg))
	mailer.ConfigurationSet = c.configSet
	store := dynamo.New(dynamodb.NewFromConfig(awsCfg), c.table)
	rules, err := ticket.ParseRules(ticket.DefaultRules(), c.zone)
	if err != nil {
		slog.Error("rules", "err", err)
		os.Exit(1)
	}
	h := &email.Handler{
		Objects: bucket.New(s3.NewFromConfig(awsCfg)), Intake: &intake.Service{Store: store, Rules: rules, Region: c.region},
		Tickets: store, Recorder: store, Bounces: store, AckClaims: store, Aliases: store, Quarantine: store,
		Signer: email.Signer{Keys: c.keys}, Limits: c.lim, AttachmentPrefix: c.prefix,
		Ack: &email.Acknowledger{Mailer: mailer, From: c.from, Zone: c.zone, MaxPerHour: c.ackMax},
	}
	lambda.Start(h.Handle)
}
