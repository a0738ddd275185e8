// Command replay runs quarantined deliveries through their channel again,
// once the cause is fixed, and marks the ones that go through. Running it
// twice does no harm: a delivery already made into a ticket is a
// duplicate, and replayed records are not listed again.
//
//	TABLE_NAME=… MAIL_FROM=… REPLY_TOKEN_KEYS=… go run ./cmd/replay -channel email
//	TABLE_NAME=… DEFAULT_PHONE_REGION=… BUSINESS_TIME_ZONE=… go run ./cmd/replay -channel sms
//	… go run ./cmd/replay -channel sms -n     # list what would be replayed
//
// It reads the very configuration the channel's function reads (email:
// email.ReadConfig — rules file, customer directory, limits,
// acknowledgement allowance, SES configuration set …; sms: sms.ParseEnv —
// rules file, keywords, thread window, acknowledgement period, sender
// number …) and refuses to run when a required variable is missing or
// malformed. With -n it only lists the quarantined deliveries it would
// replay (ID, when, source, reason; never the payload) and changes
// nothing. Credentials and region come from the usual AWS sources (a
// profile, SSO, the environment); point it at the local stack with
// AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SESV2
// and AWS_ENDPOINT_URL_SNS.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
	_ "time/tzdata"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func main() {
	channel := flag.String("channel", "email", "the channel whose quarantine to replay: email or sms")
	dry := flag.Bool("n", false, "dry run: list what would be replayed, change nothing")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, options{channel: ticket.Channel(*channel), dryRun: *dry, out: os.Stdout}, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	channel ticket.Channel
	dryRun  bool
	out     io.Writer
}

// loadConfig reads the email function's configuration and reports every
// missing or malformed variable at once.
func loadConfig(get func(string) string) (email.Config, error) {
	e := env.New(get)
	c := email.ReadConfig(e)
	return c, e.Err()
}

// smsConfig is what the SMS function reads, through the same parser, plus
// the switches and endpoints it reads beside it.
type smsConfig struct {
	sms.Config
	directory         bool
	dynamoDB, snsHost *string
}

func loadSMSConfig(get func(string) string) (smsConfig, error) {
	c, err := sms.ParseEnv(func(k string) (string, bool) { v := get(k); return v, v != "" }, false)
	e := env.New(get)
	out := smsConfig{Config: c, directory: e.Switch("CUSTOMER_DIRECTORY", true), dynamoDB: e.Endpoint("DYNAMODB"), snsHost: e.Endpoint("SNS")}
	if eerr := e.Err(); eerr != nil {
		if err != nil {
			return out, fmt.Errorf("%w\n%w", err, eerr)
		}
		return out, eerr
	}
	return out, err
}

func run(ctx context.Context, o options, get func(string) string) error {
	if o.out == nil {
		o.out = io.Discard
	}
	switch o.channel {
	case ticket.Email:
		return runEmail(ctx, o, get)
	case ticket.SMS:
		return runSMS(ctx, o, get)
	}
	return fmt.Errorf("channel %q: only email and sms quarantines can be replayed", o.channel)
}

// quarantine lists and settles a channel's quarantined deliveries.
type quarantine interface {
	Quarantined(ctx context.Context, ch ticket.Channel, all bool) ([]ticket.Quarantined, error)
	MarkReplayed(ctx context.Context, ch ticket.Channel, id string, at time.Time) error
}

// list writes what a replay of ch would take up, one line each, and how
// many: the delivery's ID, when it was quarantined, its source and reason.
// The payload is never shown: it is the customer's.
func list(ctx context.Context, q quarantine, ch ticket.Channel, out io.Writer) error {
	items, err := q.Quarantined(ctx, ch, false)
	if err != nil {
		return err
	}
	for _, it := range items {
		fmt.Fprintf(out, "%s\t%s\t%s\t%s\n", it.ID, it.At.UTC().Format(time.RFC3339), it.Source, it.Reason)
	}
	fmt.Fprintf(out, "would replay %d %s deliveries\n", len(items), ch)
	return nil
}

func runEmail(ctx context.Context, o options, get func(string) string) error {
	c, err := loadConfig(get)
	if err != nil {
		return err
	}
	a, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("aws configuration: %w", err)
	}
	store := dynamo.New(dynamodb.NewFromConfig(a, func(o *dynamodb.Options) { o.BaseEndpoint = c.DynamoDB }), c.Table)
	if o.dryRun {
		return list(ctx, store, ticket.Email, o.out)
	}
	if err := c.FetchKeys(ctx, a); err != nil {
		return err
	}
	res, err := c.OnAWS(a).Replay(ctx, store)
	fmt.Fprintf(o.out, "replayed %d, still failing %d\n", res.Replayed, res.Failed)
	return err
}

func runSMS(ctx context.Context, o options, get func(string) string) error {
	c, err := loadSMSConfig(get)
	if err != nil {
		return err
	}
	a, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("aws configuration: %w", err)
	}
	db := dynamodb.NewFromConfig(a, func(o *dynamodb.Options) { o.BaseEndpoint = c.dynamoDB })
	store := dynamo.New(db, c.Table)
	if o.dryRun {
		return list(ctx, store, ticket.SMS, o.out)
	}
	// Wired as the SMS function wires it: replayed texts are acknowledged
	// and answered as they would have been on arrival.
	in := &intake.Service{Store: store, Rules: c.Rules, Region: c.Region}
	if c.directory {
		in.Directory = dynamo.NewDirectory(db, c.Table)
	}
	sender := &sms.SNSSender{
		Client:            sns.NewFromConfig(a, func(o *sns.Options) { o.BaseEndpoint = c.snsHost }),
		OriginationNumber: c.OriginationNumber, SenderID: c.SenderID,
	}
	res, err := replaySMS(ctx, c.Service(store, in, sender), store, time.Now)
	fmt.Fprintf(o.out, "replayed %d, still failing %d\n", res.Replayed, res.Failed)
	return err
}

// smsReplayer handles one kept delivery again (sms.Service).
type smsReplayer interface {
	Replay(ctx context.Context, q ticket.Quarantined) (sms.Outcome, error)
}

// replaySMS replays every unreplayed SMS quarantine record, oldest first,
// and marks the ones that went through. A record that fails again stays
// listed, with its first reason, for the next run.
func replaySMS(ctx context.Context, svc smsReplayer, q quarantine, now func() time.Time) (email.ReplayResult, error) {
	var res email.ReplayResult
	items, err := q.Quarantined(ctx, ticket.SMS, false)
	if err != nil {
		return res, err
	}
	for _, it := range items {
		if _, err := svc.Replay(ctx, it); err != nil {
			res.Failed++
			fmt.Fprintf(os.Stderr, "replay: sms %s still fails: %v\n", it.ID, err)
			continue
		}
		if err := q.MarkReplayed(ctx, ticket.SMS, it.ID, now()); err != nil {
			return res, err
		}
		res.Replayed++
	}
	return res, nil
}
