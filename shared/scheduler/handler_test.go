package scheduler_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/template"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/scheduler"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// TestHandlerFromTemplate builds the scheduler function's handler with
// FromEnv and the environment template.yaml gives it (pointed at the
// emulators), then runs each of the template's schedules with its own
// Input, as of a Monday morning: the planner publishes the worklist and
// Friday's digest to the notices topic, the day sweep texts the
// customers their reminders and reminds the agent, the time-limit sweep
// runs for a payload naming no job.
func TestHandlerFromTemplate(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	fauxqs := testenv.Endpoint(t, testenv.EnvFauxqs)
	next, _ := url.Parse(fauxqs)
	var mu sync.Mutex
	var texts []awslocal.Text
	front := httptest.NewServer(&awslocal.SMSFront{Next: next, OnText: func(x awslocal.Text) {
		mu.Lock()
		defer mu.Unlock()
		texts = append(texts, x)
	}})
	defer front.Close()

	tpl, err := template.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ov, err := template.LoadOverrides("../../local/overrides.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := &template.Resolver{T: tpl, Params: ov.Parameters, Region: "us-east-1", Account: "000000000000"}
	vars, err := res.Environment("SchedulerFunction")
	if err != nil {
		t.Fatal(err)
	}
	snsc, sqsc := awslocal.SNS(fauxqs), awslocal.SQS(fauxqs)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("notices-" + strings.ToLower(string(ticket.NewID(time.Now()))))})
	if err != nil {
		t.Fatal(err)
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("scheduler-" + strings.ToLower(string(ticket.NewID(time.Now()))))})
	if err != nil {
		t.Fatal(err)
	}
	qa, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qa.Attributes["QueueArn"])}); err != nil {
		t.Fatal(err)
	}
	vars["TABLE_NAME"] = st.Table()
	vars["TOPIC_ARN"] = *topic.TopicArn
	vars["TICKET_LINK"] = "https://console.example.com/tickets/{ref}"
	vars["REPLY_TOKEN_SECRET"] = ""
	vars["REPLY_TOKEN_KEYS"] = "local-reply-token-key-0123456789abcdef"
	vars["AWS_REGION"], vars["AWS_ACCESS_KEY_ID"], vars["AWS_SECRET_ACCESS_KEY"] = "us-east-1", "local", "local"
	vars["AWS_ENDPOINT_URL_DYNAMODB"] = testenv.Endpoint(t, testenv.EnvDynamoDB)
	vars["AWS_ENDPOINT_URL_SNS"] = front.URL
	vars["AWS_ENDPOINT_URL_SESV2"] = testenv.Endpoint(t, testenv.EnvSES)
	h, err := scheduler.FromEnv(ctx, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	invoke := lambda.NewHandler(h).Invoke

	tks := booked(t, st, 2) // Monday 09:00 and 09:15, customers in Shanghai
	// Each schedule of the template, with its own Input, as of an instant.
	inputs := map[string]string{}
	evs, _ := template.Get(tpl.Resources["SchedulerFunction"], "Properties", "Events").(map[string]any)
	for name, ev := range evs {
		if typ := template.Get(ev, "Type"); typ != "ScheduleV2" {
			t.Errorf("event %s is %v, want ScheduleV2", name, typ)
		}
		in, _ := template.Get(ev, "Properties", "Input").(string)
		inputs[name] = in
	}
	run := func(event string, at time.Time) scheduler.Result {
		t.Helper()
		var payload map[string]any
		if err := json.Unmarshal([]byte(inputs[event]), &payload); err != nil {
			t.Fatalf("event %s Input %q: %v", event, inputs[event], err)
		}
		payload["at"] = at.Format(time.RFC3339)
		b, _ := json.Marshal(payload)
		out, err := invoke(ctx, b)
		if err != nil {
			t.Fatalf("%s at %s: %v", event, at, err)
		}
		var r scheduler.Result
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}

	plan := run("Planner", monday9.Add(-7*time.Hour)) // 02:00
	if p := plan.Planner; p == nil || plan.Day != nil || plan.TimeLimits != nil || p.Read != 2 || p.Worklists != 1 || p.Digest != "2026-11-20" {
		t.Errorf("Planner = %+v, want Monday's worklist of 2 and Friday's digest only", plan.Planner)
	}
	got := map[string]map[string]any{}
	for deadline := time.Now().Add(20 * time.Second); len(got) < 2 && time.Now().Before(deadline); {
		m, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, msg := range m.Messages {
			var env struct {
				Message           string
				MessageAttributes map[string]struct{ Value string }
			}
			var body map[string]any
			if json.Unmarshal([]byte(aws.ToString(msg.Body)), &env) != nil || json.Unmarshal([]byte(env.Message), &body) != nil {
				t.Fatalf("unreadable notice %s", aws.ToString(msg.Body))
			}
			if env.MessageAttributes["event"].Value != body["event"] {
				t.Errorf("notice %v has event attribute %q", body["id"], env.MessageAttributes["event"].Value)
			}
			got[body["event"].(string)] = body
		}
	}
	w, digest := got["callback_worklist"], got["daily_digest"]
	if w == nil || w["owner"] != "complaints" || w["date"] != "2026-11-23" || len(w["callbacks"].([]any)) != 2 {
		t.Errorf("worklist notice = %v", w)
	} else if c := w["callbacks"].([]any)[0].(map[string]any); c["ref"] != string(tks[0].Ref) || c["link"] != "https://console.example.com/tickets/"+string(tks[0].Ref) {
		t.Errorf("first callback on the worklist = %v, want %s with its link", c, tks[0].Ref)
	}
	if digest == nil || digest["date"] != "2026-11-20" || digest["version"] != float64(2) {
		t.Errorf("digest notice = %v", digest)
	}
	for _, n := range got {
		if b, _ := json.Marshal(n); strings.Contains(string(b), tks[0].Contact.Phone) || strings.Contains(string(b), tks[0].Summary) {
			t.Errorf("notice %v carries the customer's phone or words", n["id"])
		}
	}

	day := run("DaySweep", monday9.Add(-10*time.Minute)) // 08:50
	if d := day.Day; d == nil || day.TimeLimits != nil || day.Planner != nil || d.CustomersReminded != 2 || d.AgentsReminded != 1 {
		t.Errorf("DaySweep = %+v, want both customers and the first agent reminded", day.Day)
	}
	mu.Lock()
	sent := len(texts)
	mu.Unlock()
	if sent != 2 {
		t.Errorf("%d texts sent, want the 2 reminders", sent)
	}

	sweep := run("Sweep", monday9)
	if sweep.TimeLimits == nil || sweep.Day != nil || sweep.Planner != nil {
		t.Errorf("Sweep = %+v, want the time-limit sweep only", sweep)
	}
	// A payload naming no job is the time-limit sweep, as before jobs.
	out, err := invoke(ctx, []byte(`{"at":"2026-11-23T09:05:00+08:00"}`))
	if err != nil || !strings.Contains(string(out), `"timeLimits"`) || strings.Contains(string(out), `"day"`) {
		t.Errorf("payload without a job = %s, %v; want the time-limit sweep", out, err)
	}
	if _, err := invoke(ctx, []byte(`{"job":"nightly"}`)); err == nil {
		t.Error("a payload naming an unknown job ran")
	}
	// All jobs at once (the local tick), before the planner's hour: the
	// planner does not run.
	var all scheduler.Result
	out, err = invoke(ctx, []byte(`{"job":"all","at":"2026-11-24T01:00:00+08:00"}`))
	if err != nil || json.Unmarshal(out, &all) != nil || all.TimeLimits == nil || all.Day == nil || all.Planner != nil {
		t.Errorf("all jobs at 01:00 = %s, %v; want both sweeps and no planner", out, err)
	}
}
