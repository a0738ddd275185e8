// Command replay runs quarantined deliveries through their channel again,
// once the cause is fixed, and marks the ones that go through. Running it
// twice does no harm: a delivery already made into a ticket is a
// duplicate, and replayed records are not listed again.
//
//	TABLE_NAME=… MAIL_FROM=… REPLY_TOKEN_KEYS=… go run ./cmd/replay -channel email
//
// It reads the same environment as the channel's function; point it at the
// local stack with AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3 and
// AWS_ENDPOINT_URL_SESV2.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata"

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

func main() {
	channel := flag.String("channel", "email", "the channel whose quarantine to replay (email)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *channel); err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, channel string) error {
	if channel != string(ticket.Email) {
		return fmt.Errorf("channel %q: only email can be replayed here", channel)
	}
	var errs []error
	need := func(k string) string {
		v := os.Getenv(k)
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is not set", k))
		}
		return v
	}
	table, region, from, zoneName, keys := need("TABLE_NAME"), need("DEFAULT_PHONE_REGION"), need("MAIL_FROM"), need("BUSINESS_TIME_ZONE"), need("REPLY_TOKEN_KEYS")
	zone, err := time.LoadLocation(zoneName)
	if err != nil {
		errs = append(errs, fmt.Errorf("BUSINESS_TIME_ZONE: %w", err))
	}
	var lim email.Limits
	for _, l := range []struct {
		env string
		to  *int64
	}{{"MAIL_MAX_MESSAGE_BYTES", &lim.MaxMessage}, {"MAIL_MAX_ATTACHMENT_BYTES", &lim.MaxAttachment}} {
		if v := os.Getenv(l.env); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				errs = append(errs, fmt.Errorf("%s=%q is not a positive number", l.env, v))
			}
			*l.to = n
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("aws configuration: %w", err)
	}
	rules, err := ticket.ParseRules(ticket.DefaultRules(), zone)
	if err != nil {
		return err
	}
	var signer email.Signer
	for _, k := range strings.Split(keys, ",") {
		signer.Keys = append(signer.Keys, []byte(strings.TrimSpace(k)))
	}
	store := dynamo.New(dynamodb.NewFromConfig(cfg), table)
	h := &email.Handler{
		Objects: bucket.New(s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL_S3") != "" })),
		Intake:  &intake.Service{Store: store, Rules: rules, Region: region},
		Tickets: store, Recorder: store, Bounces: store, AckClaims: store, Aliases: store, Quarantine: store,
		Signer: signer, Limits: lim, AttachmentPrefix: os.Getenv("ATTACHMENT_PREFIX"),
		Ack: &email.Acknowledger{Mailer: ses.New(sesv2.NewFromConfig(cfg)), From: from, Zone: zone},
	}
	res, err := h.Replay(ctx, store)
	fmt.Printf("replayed %d, still failing %d\n", res.Replayed, res.Failed)
	return err
}
