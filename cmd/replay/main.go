// Command replay runs quarantined deliveries through their channel again,
// once the cause is fixed, and marks the ones that go through. Running it
// twice does no harm: a delivery already made into a ticket is a
// duplicate, and replayed records are not listed again.
//
//	TABLE_NAME=… MAIL_FROM=… REPLY_TOKEN_KEYS=… go run ./cmd/replay -channel email
//
// It reads the very configuration the email function reads (shared with
// it through email.ReadConfig: rules file, customer directory, limits,
// acknowledgement allowance, SES configuration set …) and refuses to run
// when a required variable is missing or malformed. Credentials and
// region come from the usual AWS sources (a profile, SSO, the
// environment); point it at the local stack with
// AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3 and
// AWS_ENDPOINT_URL_SESV2.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	_ "time/tzdata"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func main() {
	channel := flag.String("channel", "email", "the channel whose quarantine to replay (email)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *channel, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
}

// loadConfig reads the email function's configuration and reports every
// missing or malformed variable at once.
func loadConfig(get func(string) string) (email.Config, error) {
	e := env.New(get)
	c := email.ReadConfig(e)
	return c, e.Err()
}

func run(ctx context.Context, channel string, get func(string) string) error {
	if channel != string(ticket.Email) {
		return fmt.Errorf("channel %q: only email can be replayed here", channel)
	}
	c, err := loadConfig(get)
	if err != nil {
		return err
	}
	a, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("aws configuration: %w", err)
	}
	if err := c.FetchKeys(ctx, a); err != nil {
		return err
	}
	store := dynamo.New(dynamodb.NewFromConfig(a, func(o *dynamodb.Options) { o.BaseEndpoint = c.DynamoDB }), c.Table)
	res, err := c.OnAWS(a).Replay(ctx, store)
	fmt.Printf("replayed %d, still failing %d\n", res.Replayed, res.Failed)
	return err
}
