package logs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/frontdesk/frontdesk/shared/logs"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// lines decodes the JSON lines written to b.
func lines(tb testing.TB, b *bytes.Buffer) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			tb.Fatalf("log line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestEveryLineNamesFunctionAndChannel(t *testing.T) {
	cases := []struct {
		name     string
		function string
		channel  ticket.Channel
		args     []any
		want     map[string]any
		absent   []string
	}{
		{"sms names its provider ID source", "sms", ticket.SMS, []any{"source", "eum-1", "ref", "FD-7K3MQ9"},
			map[string]any{"function": "sms", "channel": "sms", "providerId": "eum-1", "ref": "FD-7K3MQ9"}, []string{"source"}},
		{"twilio names it messageSid", "twilio", ticket.SMS, []any{"messageSid", "SM1"},
			map[string]any{"function": "twilio", "channel": "sms", "providerId": "SM1"}, []string{"messageSid"}},
		{"email names it sesMessageId", "email", ticket.Email, []any{"sesMessageId", "o3vr"},
			map[string]any{"function": "email", "channel": "email", "providerId": "o3vr"}, []string{"sesMessageId"}},
		{"the notifier has no channel", "notifier", "", []any{"ref", "FD-7K3MQ9"},
			map[string]any{"function": "notifier", "ref": "FD-7K3MQ9"}, []string{"channel"}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			log := logs.New(&b, tt.function, tt.channel)
			log.Info("something handled", tt.args...)
			log.With(tt.args...).Warn("something else")
			for i, got := range lines(t, &b) {
				for k, v := range tt.want {
					if got[k] != v {
						t.Errorf("line %d: %s = %v, want %v (line %v)", i+1, k, got[k], v, got)
					}
				}
				for _, k := range tt.absent {
					if _, ok := got[k]; ok {
						t.Errorf("line %d carries %s: %v", i+1, k, got)
					}
				}
			}
		})
	}
}

func TestInvocationsLogDuration(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantLevel string
	}{
		{"success", nil, "INFO"},
		{"failure", errors.New("table unavailable"), "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			log := logs.New(&b, "webform", ticket.Web)
			h := logs.Invocations(log, func(ctx context.Context, in string) (int, error) { return len(in), tt.err })
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
			n, err := h(ctx, "four")
			if n != 4 || !errors.Is(err, tt.err) {
				t.Fatalf("wrapped handler = %d, %v; want the handler's own 4, %v", n, err, tt.err)
			}
			got := lines(t, &b)
			if len(got) != 1 {
				t.Fatalf("%d lines, want one per invocation", len(got))
			}
			l := got[0]
			if _, ok := l["durationMs"].(float64); !ok || l["msg"] != "invocation handled" || l["requestId"] != "req-1" ||
				l["function"] != "webform" || l["channel"] != "web" || l["level"] != tt.wantLevel {
				t.Errorf("invocation line = %v, want duration, request ID, function, channel at %s", l, tt.wantLevel)
			}
		})
	}
}
