package scheduler_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
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
	"github.com/frontdesk/frontdesk/local/gateway"
	"github.com/frontdesk/frontdesk/local/template"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/scheduler"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/webform"
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

	tpl, vars := templateEnv(t, "SchedulerFunction", st, "http://127.0.0.1:3000")
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
	vars["TOPIC_ARN"] = *topic.TopicArn
	vars["TICKET_LINK"] = "https://console.example.com/tickets/{ref}"
	vars["AWS_ENDPOINT_URL_SNS"] = front.URL
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

// templateEnv returns the template and the environment it gives function
// id, parameters at their local values and ${LocalURL} at localURL (as
// the local stack fills it in), pointed at the emulators and st's table,
// with the reply tokens' keys given directly instead of through their
// secret.
func templateEnv(t *testing.T, id string, st *dynamo.Store, localURL string) (*template.Template, map[string]string) {
	t.Helper()
	tpl, err := template.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ov, err := template.LoadOverrides("../../local/overrides.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := &template.Resolver{T: tpl, Params: ov.Parameters, Region: "us-east-1", Account: "000000000000"}
	vars, err := res.Environment(id)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range vars {
		vars[k] = strings.ReplaceAll(v, "${LocalURL}", localURL)
	}
	vars["TABLE_NAME"] = st.Table()
	vars["REPLY_TOKEN_SECRET"] = ""
	vars["REPLY_TOKEN_KEYS"] = "local-reply-token-key-0123456789abcdef"
	vars["AWS_REGION"], vars["AWS_ACCESS_KEY_ID"], vars["AWS_SECRET_ACCESS_KEY"] = "us-east-1", "local", "local"
	vars["AWS_ENDPOINT_URL_DYNAMODB"] = testenv.Endpoint(t, testenv.EnvDynamoDB)
	vars["AWS_ENDPOINT_URL_SNS"] = testenv.Endpoint(t, testenv.EnvFauxqs)
	vars["AWS_ENDPOINT_URL_SESV2"] = testenv.Endpoint(t, testenv.EnvSES)
	return tpl, vars
}

// TestHandlerFromTemplateMailsSurveyLinks: the scheduler function, built
// by FromEnv from the template's environment, mails the survey of a
// customer who gave only an email address with five links under
// PUBLIC_URL; the web form function, built by its FromEnv from its own
// environment and served on the template's /survey/{token} routes (as the
// local stack serves them), takes them: GET shows the confirm page and
// records nothing, POST records the score, and another link then changes
// nothing. The survey delay is shortened so that the visit falls due
// within the hour; the instants are near now, as the web form checks the
// links against the wall clock.
func TestHandlerFromTemplateMailsSurveyLinks(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	mux := http.NewServeMux()
	site := httptest.NewServer(mux)
	defer site.Close()

	tpl, vars := templateEnv(t, "SchedulerFunction", st, site.URL)
	_, formVars := templateEnv(t, "WebFormFunction", st, site.URL)
	if vars["PUBLIC_URL"] != site.URL {
		t.Fatalf("PUBLIC_URL = %q locally, want the local gateway %s", vars["PUBLIC_URL"], site.URL)
	}
	vars["SURVEY_DELAY"], formVars["SURVEY_DELAY"] = "15m", "15m"
	h, err := scheduler.FromEnv(ctx, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	form, err := webform.FromEnv(ctx, func(k string) string { return formVars[k] })
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := template.Get(tpl.Resources["WebFormFunction"], "Properties", "Events").(map[string]any)
	routes := 0
	for _, ev := range evs {
		method, _ := template.Get(ev, "Properties", "Method").(string)
		path, _ := template.Get(ev, "Properties", "Path").(string)
		if strings.HasPrefix(path, "/survey/") {
			mux.Handle(gateway.Pattern(method, path), gateway.Route(method, path, lambda.NewHandler(form).Invoke))
			routes++
		}
	}
	if routes != 2 {
		t.Fatalf("the web form has %d survey routes in the template, want GET and POST", routes)
	}

	// The run is at the latest 11:00 in Shanghai, the customer's daytime.
	now := time.Now().In(shanghai)
	at := time.Date(now.Year(), now.Month(), now.Day(), 11, 0, 0, 0, shanghai)
	if at.After(now) {
		at = at.AddDate(0, 0, -1)
	}
	addr := "survey." + strings.ToLower(string(ticket.NewID(now))) + "@example.com"
	tk := complaint(t, st, at.Add(-2*time.Hour), 60)
	if _, err := st.Mutate(ctx, tk.ID, func(cur *ticket.Ticket) (ticket.Change, error) {
		next := cur.Clone()
		next.Version++
		next.Channel, next.Contact, next.Language = ticket.Email, ticket.Contact{Email: addr}, ticket.English
		return ticket.Change{Ticket: next}, nil
	}); err != nil {
		t.Fatal(err)
	}
	// Staff resolve it under the policy the functions read.
	policy := env.New(func(k string) string { return vars[k] }).Rules("RULES_FILE", shanghai)
	if _, err := st.Mutate(ctx, tk.ID, func(cur *ticket.Ticket) (ticket.Change, error) {
		o, err := policy.Decide(cur, ticket.Request{Action: ticket.ActResolve, Resolution: "fixed", AtFault: ticket.FaultProvider, Actor: "staff:ann", At: at.Add(-time.Hour)})
		return ticket.Change{Ticket: o.Ticket, Events: o.Events, Messages: o.Messages}, err
	}); err != nil {
		t.Fatal(err)
	}

	out, err := lambda.NewHandler(h).Invoke(ctx, []byte(`{"job":"day","at":"`+at.Format(time.RFC3339)+`"}`))
	var r scheduler.Result
	if err != nil || json.Unmarshal(out, &r) != nil || r.Day == nil || r.Day.Surveyed != 1 {
		t.Fatalf("day sweep = %s, %v; want the survey sent", out, err)
	}
	text := mailText(t, testenv.Endpoint(t, testenv.EnvSES), addr)
	links := regexp.MustCompile(regexp.QuoteMeta(site.URL)+`/survey/\S+`).FindAllString(text, -1)
	if len(links) != 5 || strings.Contains(strings.ToLower(text), "reply 1") {
		t.Fatalf("survey mail %q, want five links under %s and no reply-1-5", text, site.URL)
	}
	// Best first: the second link gives 4.
	four := links[1]
	resp, err := http.Get(four)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cur, _ := st.Ticket(ctx, tk.ID)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "4 of 5") || cur.Visit.Status != ticket.VisitSent {
		t.Fatalf("GET %s = %d %s with visit %+v; want the confirm page for 4, nothing recorded", four, resp.StatusCode, page, cur.Visit)
	}
	for i, link := range []string{four, links[4]} {
		resp, err := http.PostForm(link, url.Values{"comment": {"quick and polite"}})
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := []string{"Thank you", "Already recorded"}[i]
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), want) {
			t.Errorf("POST %s = %d %s, want %q", link, resp.StatusCode, page, want)
		}
	}
	cur, _ = st.Ticket(ctx, tk.ID)
	if cur.Visit.Status != ticket.VisitAnswered || cur.Visit.Score != 4 || cur.Visit.Comment != "quick and polite" || history(t, st, tk.ID)[ticket.EventSurveyAnswered] != 1 {
		t.Errorf("visit after the links = %+v, want answered 4 once with the comment", cur.Visit)
	}
}

// mailText returns the text of the one mail the SES emulator holds for
// addr.
func mailText(t *testing.T, ep, addr string) string {
	t.Helper()
	resp, err := http.Get(ep + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var store struct {
		Emails []struct {
			Destination struct {
				To []string `json:"to"`
			} `json:"destination"`
			Body struct {
				Text string `json:"text"`
			} `json:"body"`
		} `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range store.Emails {
		if slices.ContainsFunc(m.Destination.To, func(to string) bool { return strings.Contains(to, addr) }) {
			texts = append(texts, m.Body.Text)
		}
	}
	if len(texts) != 1 {
		t.Fatalf("%d mails to the customer, want the survey", len(texts))
	}
	return texts[0]
}
