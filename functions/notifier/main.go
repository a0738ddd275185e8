// Command notifier is the Lambda that reads the ticket table's stream and
// publishes one notice per history event to the notices topic.
package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	_ "time/tzdata"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/logs"
	"github.com/frontdesk/frontdesk/shared/notice"
)

type cfg struct {
	topic    string
	builder  notice.Builder
	attempts int
}

// loadConfig reads the environment once and reports every problem at once.
func loadConfig() (cfg, error) {
	var c cfg
	var errs []error
	if c.topic = os.Getenv("TOPIC_ARN"); c.topic == "" {
		errs = append(errs, errors.New("TOPIC_ARN is not set"))
	}
	var err error
	if c.builder, err = notice.NewBuilder(os.Getenv("TICKET_LINK")); err != nil {
		errs = append(errs, fmt.Errorf("TICKET_LINK: %w", err))
	}
	c.attempts = 3
	if v := os.Getenv("PUBLISH_ATTEMPTS"); v != "" {
		if c.attempts, err = strconv.Atoi(v); err != nil || c.attempts < 1 || c.attempts > 10 {
			errs = append(errs, fmt.Errorf("PUBLISH_ATTEMPTS=%q is not a number from 1 to 10", v))
		}
	}
	return c, errors.Join(errs...)
}

func main() {
	log := logs.New(os.Stdout, "notifier", "")
	slog.SetDefault(log)
	c, err := loadConfig()
	if err != nil {
		log.Error("bad configuration", "err", err)
		os.Exit(1)
	}
	// Credentials and region as Lambda sets them; the endpoint overridable
	// for local runs.
	e := env.New(os.Getenv)
	awsCfg, endpoint := e.AWS(), e.Endpoint("SNS")
	if err := e.Err(); err != nil {
		log.Error("bad configuration", "err", err)
		os.Exit(1)
	}
	p := notice.NewPublisher(sns.NewFromConfig(awsCfg, func(o *sns.Options) { o.BaseEndpoint = endpoint }), c.topic)
	p.Attempts = c.attempts
	lambda.Start(logs.Invocations(log, notice.NewHandler(c.builder, p, log).Handle))
}
