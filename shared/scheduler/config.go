package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Handler runs the sweep for a scheduled invocation (EventBridge
// Scheduler's payload is ignored: the sweep runs as of now). It returns
// the sweep's error so the platform retries.
type Handler func(ctx context.Context, payload json.RawMessage) error

// FromEnv builds the sweep the environment describes, reading every
// variable through the env reader and reporting every problem at once:
// TABLE_NAME, BUSINESS_TIME_ZONE, RULES_FILE, ESCALATE_MANAGER_AFTER (the
// further delay before a breach reaches the senior manager, 4h by
// default), SWEEP_OVERLAP (15m), WAIT_ON_CUSTOMER ("3bd"), and what
// reminders to customers need (MAIL_FROM, REPLY_TOKEN_SECRET or
// REPLY_TOKEN_KEYS, SMS_ORIGINATION_NUMBER, SMS_SENDER_ID).
func FromEnv(ctx context.Context, getenv func(string) string) (*Sweep, Handler, error) {
	e := env.New(getenv)
	zone := e.Zone("BUSINESS_TIME_ZONE")
	rules := e.Rules("RULES_FILE", zone)
	ladder := ticket.Ladder{ManagerAfter: e.Duration("ESCALATE_MANAGER_AFTER", ticket.DefaultManagerAfter)}
	overlap := e.Duration("SWEEP_OVERLAP", DefaultOverlap)
	wait := e.Span("WAIT_ON_CUSTOMER")
	ch := desk.ReadChannels(e)
	awsCfg := e.AWS()
	if err := e.Err(); err != nil {
		return nil, nil, err
	}
	rules.Wait = wait
	store, channels, err := ch.Build(ctx, awsCfg, zone)
	if err != nil {
		return nil, nil, fmt.Errorf("scheduler: %w", err)
	}
	s := &Sweep{Store: store, Rules: rules, Ladder: ladder, Reminder: channels, Overlap: overlap}
	return s, func(ctx context.Context, _ json.RawMessage) error {
		_, err := s.Run(ctx, time.Now())
		return err
	}, nil
}
