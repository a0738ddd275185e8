package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// resourcesOf returns the template's resources of type typ by logical ID.
func resourcesOf(tmpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range get(tmpl, "Resources").(map[string]any) {
		if m, ok := r.(map[string]any); ok && m["Type"] == typ {
			out[id] = m
		}
	}
	return out
}

// refName returns the logical ID a {"Ref": X} or {"Fn::GetAtt": [X, …]}
// names, or "".
func refName(v any) string {
	if r, ok := get(v, "Ref").(string); ok {
		return r
	}
	switch a := get(v, "Fn::GetAtt").(type) {
	case []string: // !GetAtt X.Arn
		return a[0]
	case []any: // !GetAtt [X, Arn]
		s, _ := a[0].(string)
		return s
	}
	return ""
}

// alarmsOn returns, for each logical ID an alarm's dimensions name, the
// metrics alarmed on ("AWS/SQS ApproximateAgeOfOldestMessage", …), and
// checks every alarm notifies the operations topic.
func alarmsOn(tb testing.TB, tmpl map[string]any) map[string][]string {
	tb.Helper()
	out := map[string][]string{}
	for id, a := range resourcesOf(tmpl, "AWS::CloudWatch::Alarm") {
		p := a["Properties"]
		actions, _ := get(p, "AlarmActions").([]any)
		if !slices.ContainsFunc(actions, func(v any) bool { return refName(v) == "OperationsTopic" }) {
			tb.Errorf("alarm %s does not notify the operations topic", id)
		}
		if desc, _ := get(p, "AlarmDescription").(string); !strings.Contains(desc, "README, Operations") {
			tb.Errorf("alarm %s: its description does not point to what to do (README, Operations)", id)
		}
		metric := get(p, "MetricName").(string)
		ns, _ := get(p, "Namespace").(string)
		dims, _ := get(p, "Dimensions").([]any)
		if len(dims) == 0 {
			out[metric] = append(out[metric], ns+" "+metric)
		}
		for _, d := range dims {
			target := refName(get(d, "Value"))
			out[target] = append(out[target], ns+" "+metric)
		}
	}
	return out
}

// TestOperationsAlarms: every dead-letter and failure queue, every
// function, every intake queue and each channel's quarantine has its
// alarm, and every alarm notifies the operations topic.
func TestOperationsAlarms(t *testing.T) {
	tmpl := loadTemplate(t)
	on := alarmsOn(t, tmpl)
	want := map[string]string{}
	for id, q := range resourcesOf(tmpl, "AWS::SQS::Queue") {
		if target := refName(get(q, "Properties", "RedrivePolicy", "deadLetterTargetArn")); target != "" {
			want[target] = "AWS/SQS ApproximateNumberOfMessagesVisible"
			want[id] = "AWS/SQS ApproximateAgeOfOldestMessage"
		}
	}
	for id, f := range resourcesOf(tmpl, "AWS::Serverless::Function") {
		for _, metric := range []string{"Errors", "Throttles"} {
			if !slices.Contains(on[id], "AWS/Lambda "+metric) {
				t.Errorf("function %s has no %s alarm", id, metric)
			}
		}
		for _, ev := range get(f, "Properties", "Events").(map[string]any) {
			if target := refName(get(ev, "Properties", "DestinationConfig", "OnFailure", "Destination")); target != "" {
				want[target] = "AWS/SQS ApproximateNumberOfMessagesVisible"
			}
		}
	}
	if len(want) < 5 {
		t.Fatalf("found %d queues to watch, want the two dead-letter queues, the notifier failure queue and the two intake queues", len(want))
	}
	for id, metric := range want {
		if !slices.Contains(on[id], metric) {
			t.Errorf("queue %s has no %s alarm (alarms on it: %v)", id, metric, on[id])
		}
	}
	for _, metric := range []string{"SmsQuarantined", "EmailQuarantined"} {
		if len(on[metric]) == 0 {
			t.Errorf("no alarm on %s", metric)
		}
	}
}

var msgPattern = regexp.MustCompile(`^\{ \$\.msg = "([^"]+)" \}$`)

// TestQuarantineMetricsWatchWhatTheCodeLogs: each quarantine metric filter
// sits on a function's own log group and matches the line the SMS channel
// really writes when it quarantines a delivery (driven here through the
// real queue handler with slog captured as the functions configure it).
func TestQuarantineMetricsWatchWhatTheCodeLogs(t *testing.T) {
	tmpl := loadTemplate(t)
	groups := resourcesOf(tmpl, "AWS::Logs::LogGroup")
	functions := resourcesOf(tmpl, "AWS::Serverless::Function")
	messages := map[string][]string{} // metric name → the messages counted
	for id, f := range resourcesOf(tmpl, "AWS::Logs::MetricFilter") {
		p := f["Properties"]
		group := groups[refName(get(p, "LogGroupName"))]
		if group == nil {
			t.Errorf("metric filter %s is not on a log group of this template", id)
			continue
		}
		name, _ := get(group, "Properties", "LogGroupName", "Fn::Sub").(string)
		fn := strings.TrimPrefix(name, "/aws/lambda/")
		if !slices.ContainsFunc(mapsValues(functions), func(f map[string]any) bool { return get(f, "Properties", "FunctionName", "Fn::Sub") == fn }) {
			t.Errorf("metric filter %s watches %s, which is no function's log group", id, name)
		}
		m := msgPattern.FindStringSubmatch(get(p, "FilterPattern").(string))
		if m == nil {
			t.Errorf("metric filter %s: pattern %q is not { $.msg = \"…\" }", id, get(p, "FilterPattern"))
			continue
		}
		metric := get(p, "MetricTransformations").([]any)[0]
		name = get(metric, "MetricName").(string)
		messages[name] = append(messages[name], m[1])
	}
	if len(messages["SmsQuarantined"]) == 0 || len(messages["EmailQuarantined"]) == 0 {
		t.Fatalf("quarantine metrics = %v, want SmsQuarantined and EmailQuarantined", messages)
	}

	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	store, _ := testenv.Table(t)
	zone, _ := time.LoadLocation("Asia/Shanghai")
	in := &intake.Service{Store: store, Rules: ticket.MustDefaultRules(zone), Region: "CN"}
	svc := sms.New(store, in, sms.MustDefaultKeywords(), nil, "CN")
	payload, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "alarm-1", Body: "{not json", EventSource: "aws:sqs"}}})
	if _, err := lambda.NewHandler((&sms.QueueHandler{Service: svc}).Handle).Invoke(context.Background(), payload); err != nil {
		t.Fatal(err)
	}
	logged := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec struct{ Msg string }
		if json.Unmarshal([]byte(line), &rec) == nil {
			logged[rec.Msg] = true
		}
	}
	for _, msg := range messages["SmsQuarantined"] {
		if !logged[msg] {
			t.Errorf("quarantining a malformed text logged\n%s\nno line with msg %q, which SmsQuarantined counts", logs.String(), msg)
		}
	}
	// The email channel writes its line from one place; check it is the
	// one the metric counts.
	for _, msg := range messages["EmailQuarantined"] {
		if !sourceLogs(t, "../shared/email", msg) {
			t.Errorf("shared/email logs no %q, which EmailQuarantined counts", msg)
		}
	}
}

func mapsValues(m map[string]map[string]any) []map[string]any {
	out := make([]map[string]any, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// sourceLogs reports whether a non-test Go file in dir logs msg through
// slog.
func sourceLogs(tb testing.TB, dir, msg string) bool {
	tb.Helper()
	call := regexp.MustCompile(`slog\.(Info|Warn|Error)(Context)?\((ctx, )?"` + regexp.QuoteMeta(msg) + `"`)
	files, err := filepath.Glob(dir + "/*.go")
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		if b, err := os.ReadFile(f); err == nil && call.Match(b) {
			return true
		}
	}
	return false
}
