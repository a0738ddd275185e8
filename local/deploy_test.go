package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frontdesk/frontdesk/local/filter"
)

func TestRate(t *testing.T) {
	tests := []struct {
		expr string
		want time.Duration
	}{
		{"rate(1 minute)", time.Minute},
		{"rate(5 minutes)", 5 * time.Minute},
		{"rate(2 hours)", 2 * time.Hour},
		{"rate(1 day)", 24 * time.Hour},
		{"rate(0 minutes)", 0},
		{"rate(5 fortnights)", 0},
		{"cron(0 9 * * ? *)", 0},
	}
	for _, tt := range tests {
		got, err := rate(tt.expr)
		if got != tt.want || (tt.want == 0) != (err != nil) {
			t.Errorf("rate(%q) = %s, %v; want %s", tt.expr, got, err, tt.want)
		}
	}
}

func TestScheduledEvent(t *testing.T) {
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(scheduledEvent("SweepFunction", "Hourly"), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || len(ev.Resources) != 1 || string(ev.Detail) != "{}" {
		t.Errorf("scheduled event = %+v, want EventBridge's scheduled event", ev)
	}
}

func TestMatchSQS(t *testing.T) {
	ps, err := filter.Parse([]string{`{"body":{"kind":["urgent"]}}`})
	if err != nil {
		t.Fatal(err)
	}
	for body, want := range map[string]bool{`{"kind":"urgent"}`: true, `{"kind":"routine"}`: false, `not json`: false} {
		if got := matchSQS(ps, events.SQSMessage{MessageId: "m", Body: body}); got != want {
			t.Errorf("matchSQS(%s) = %v, want %v", body, got, want)
		}
	}
}
