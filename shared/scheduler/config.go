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

// Handler runs the sweep for a scheduled invocation and returns what it
// did. EventBridge Scheduler's payload carries nothing it needs: the sweep
// runs as of now. A payload {"at": "<RFC 3339>"} (the local stack's
// /_local/tick, or an operator's manual invoke) runs it as of that
// instant instead. It returns the sweep's error so the platform retries.
type Handler func(ctx context.Context, payload json.RawMessage) (Stats, error)

// asOf reads the instant a payload asks the sweep to run as of, or now.
func asOf(payload json.RawMessage) (time.Time, error) {
	var p struct {
		At time.Time `json:"at"`
	}
	if len(payload) > 0 && payload[0] == '{' {
		if err := json.Unmarshal(payload, &p); err != nil {
			return time.Time{}, fmt.Errorf("scheduled payload: %w", err)
		}
	}
	if p.At.IsZero() {
		return time.Now(), nil
	}
	return p.At, nil
}

// FromEnv builds the sweep the environment describes, reading every
// variable through the env reader and reporting every problem at once:
// TABLE_NAME, BUSINESS_TIME_ZONE, RULES_FILE, ESCALATE_MANAGER_AFTER (the
// further delay before a breach reaches the senior manager, 4h by
// default), SWEEP_OVERLAP (15m), WAIT_ON_CUSTOMER ("3bd"), and what
// reminders to customers need (MAIL_FROM, REPLY_TOKEN_SECRET or
// REPLY_TOKEN_KEYS, SMS_ORIGINATION_NUMBER, SMS_SENDER_ID).
func FromEnv(ctx context.Context, getenv func(string) string) (Handler, error) {
	e := env.New(getenv)
	zone := e.Zone("BUSINESS_TIME_ZONE")
	rules := e.Rules("RULES_FILE", zone)
	ladder := ticket.Ladder{ManagerAfter: e.Duration("ESCALATE_MANAGER_AFTER", ticket.DefaultManagerAfter)}
	overlap := e.Duration("SWEEP_OVERLAP", DefaultOverlap)
	wait := e.Span("WAIT_ON_CUSTOMER")
	ch := desk.ReadChannels(e)
	awsCfg := e.AWS()
	if err := e.Err(); err != nil {
		return nil, err
	}
	rules.Wait = wait
	store, channels, err := ch.Build(ctx, awsCfg, zone)
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	s := &Sweep{Store: store, Rules: rules, Ladder: ladder, Reminder: channels, Overlap: overlap}
	return func(ctx context.Context, payload json.RawMessage) (Stats, error) {
		at, err := asOf(payload)
		if err != nil {
			return Stats{}, err
		}
		return s.Run(ctx, at)
	}, nil
}
