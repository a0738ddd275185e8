package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/filter"
	"github.com/frontdesk/frontdesk/local/gateway"
	"github.com/frontdesk/frontdesk/local/runtimeapi"
	"github.com/frontdesk/frontdesk/local/sqspoll"
	"github.com/frontdesk/frontdesk/local/streams"
	"github.com/frontdesk/frontdesk/local/template"
	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/dynamo"
)

// maxProcesses is the most processes one function runs at once locally.
const maxProcesses = 4

// deployment is template.yaml deployed on the local emulators: its
// resources created under their own names, each function's bootstrap
// binary built for this machine and run under the local runtime API with
// the environment the template gives it, and each of its events wired as
// Lambda wires them.
type deployment struct {
	root      string
	tpl       *template.Template
	overrides template.Overrides
	res       *template.Resolver
	// endpoints of the emulators, by AWS_ENDPOINT_URL_ suffix.
	endpoints map[string]string
	db        *dynamodb.Client
	sns       *sns.Client
	sqs       *sqs.Client
	s3        *s3.Client
	// queueURLs maps a queue's ARN to its URL.
	queueURLs map[string]string
	functions map[string]*runtimeapi.Function
	envs      map[string]map[string]string
	// output receives the functions' logs, each line prefixed.
	output io.Writer
	// onInit is told each process's cold start.
	onInit func(id string, d time.Duration)
	// authorize stands in for the HTTP API's JWT authorizer on routes
	// that name one (Auth.Authorizer); without it such routes answer 401.
	authorize gateway.Authorizer
	mu        sync.Mutex
	// logSubs are the functions subscribed to each log group (CloudWatch
	// Logs events), by log group name.
	logSubs map[string][]func(context.Context, []byte) ([]byte, error)
	// skipped lists what the template has that local runs do not do.
	skipped []string
}

func loadDeployment(root string) (*deployment, error) {
	tpl, err := template.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, err
	}
	ov, err := template.LoadOverrides(filepath.Join(root, "local", "overrides.yaml"))
	if err != nil {
		return nil, err
	}
	if err := ov.Check(tpl); err != nil {
		return nil, err
	}
	d := &deployment{root: root, tpl: tpl, overrides: ov, queueURLs: map[string]string{},
		functions: map[string]*runtimeapi.Function{}, envs: map[string]map[string]string{}, output: os.Stdout,
		logSubs: map[string][]func(context.Context, []byte) ([]byte, error){}}
	d.res = &template.Resolver{T: tpl, Params: ov.Parameters, Region: awslocal.Region, Account: awslocal.Account, Known: map[string]string{}}
	return d, nil
}

// overridden lists the parameters local runs give another value than the
// template's default, as "Name=value (default …)".
func (d *deployment) overridden() []string {
	var out []string
	for name, v := range d.overrides.Parameters {
		def, _ := template.Get(d.tpl.Parameters[name], "Default").(string)
		if v != def {
			out = append(out, fmt.Sprintf("%s=%q (template default %q)", name, v, def))
		}
	}
	sort.Strings(out)
	return out
}

// ids returns the logical IDs of the resources of one type, sorted, that
// the template's conditions create.
func (d *deployment) ids(typ string) ([]string, error) {
	var out []string
	for id, r := range d.tpl.Resources {
		if r["Type"] != typ {
			continue
		}
		if c, ok := r["Condition"].(string); ok {
			on, err := d.res.Condition(c)
			if err != nil {
				return nil, err
			}
			if !on {
				continue
			}
		}
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}

// createResources creates the tables, topics, queues, buckets and queue
// subscriptions the template declares, under the names it gives them.
func (d *deployment) createResources(ctx context.Context) error {
	tables, err := d.ids("AWS::DynamoDB::Table")
	if err != nil {
		return err
	}
	for _, id := range tables {
		name, err := d.res.Name(id)
		if err != nil {
			return err
		}
		if err := dynamo.CreateTable(ctx, d.db, name); err != nil {
			return fmt.Errorf("create table %s: %w", id, err)
		}
		arn, err := streams.StreamARN(ctx, d.db, name)
		if err != nil {
			return err
		}
		d.res.Known[id+".StreamArn"] = arn
	}
	topics, err := d.ids("AWS::SNS::Topic")
	if err != nil {
		return err
	}
	for _, id := range topics {
		name, err := d.res.Name(id)
		if err != nil {
			return err
		}
		out, err := d.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
		if err != nil {
			return fmt.Errorf("create topic %s: %w", id, err)
		}
		d.res.Known[id] = aws.ToString(out.TopicArn)
	}
	queues, err := d.ids("AWS::SQS::Queue")
	if err != nil {
		return err
	}
	for _, id := range queues {
		name, err := d.res.Name(id)
		if err != nil {
			return err
		}
		attrs := map[string]string{}
		if v, err := d.res.String(template.Get(d.tpl.Resources[id], "Properties", "VisibilityTimeout")); err == nil && v != "" {
			attrs["VisibilityTimeout"] = v
		}
		q, err := d.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		if err != nil {
			return fmt.Errorf("create queue %s: %w", id, err)
		}
		a, err := d.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return fmt.Errorf("read queue %s: %w", id, err)
		}
		arn := a.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
		d.res.Known[id], d.res.Known[id+".Arn"] = aws.ToString(q.QueueUrl), arn
		d.queueURLs[arn] = aws.ToString(q.QueueUrl)
	}
	// Dead-letter queues exist now; point the queues at them.
	for _, id := range queues {
		rp := template.Get(d.tpl.Resources[id], "Properties", "RedrivePolicy")
		if rp == nil {
			continue
		}
		v, err := d.res.Value(rp)
		if err != nil {
			return fmt.Errorf("queue %s redrive policy: %w", id, err)
		}
		b, _ := json.Marshal(v)
		if _, err := d.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(d.res.Known[id]), Attributes: map[string]string{"RedrivePolicy": string(b)}}); err != nil {
			return fmt.Errorf("queue %s redrive policy: %w", id, err)
		}
	}
	buckets, err := d.ids("AWS::S3::Bucket")
	if err != nil {
		return err
	}
	for _, id := range buckets {
		name, err := d.res.Name(id)
		if err != nil {
			return err
		}
		if _, err := d.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil && !strings.Contains(err.Error(), "BucketAlready") {
			return fmt.Errorf("create bucket %s: %w", id, err)
		}
	}
	subs, err := d.ids("AWS::SNS::Subscription")
	if err != nil {
		return err
	}
	for _, id := range subs {
		p, err := d.res.Value(d.tpl.Resources[id]["Properties"])
		if err != nil {
			return fmt.Errorf("subscription %s: %w", id, err)
		}
		if template.Get(p, "Protocol") != "sqs" {
			d.skipped = append(d.skipped, fmt.Sprintf("subscription %s (%v): only queue subscriptions run locally", id, template.Get(p, "Protocol")))
			continue
		}
		in := &sns.SubscribeInput{TopicArn: aws.String(fmt.Sprint(template.Get(p, "TopicArn"))), Protocol: aws.String("sqs"),
			Endpoint: aws.String(fmt.Sprint(template.Get(p, "Endpoint"))), Attributes: map[string]string{}}
		if raw := template.Get(p, "RawMessageDelivery"); raw != nil {
			in.Attributes["RawMessageDelivery"] = fmt.Sprint(raw)
		}
		if fp := template.Get(p, "FilterPolicy"); fp != nil {
			b, _ := json.Marshal(fp)
			in.Attributes["FilterPolicy"] = string(b)
		}
		if _, err := d.sns.Subscribe(ctx, in); err != nil {
			return fmt.Errorf("subscription %s: %w", id, err)
		}
	}
	return nil
}

// build builds every function's bootstrap with the Makefile target sam
// build runs (same flags), for this machine instead of Lambda's, into
// bin/local/<Function>. The functions build side by side.
func (d *deployment) build(ctx context.Context) error {
	ids := d.tpl.Functions()
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, "make", "-s", "-C", d.root, "build-"+id, "ARTIFACTS_DIR="+d.binDir(id), "LAMBDA_ENV=CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("make build-%s: %w\n%s", id, err, out)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// binDir is where a function's local bootstrap goes.
func (d *deployment) binDir(id string) string { return filepath.Join(d.root, "bin", "local", id) }

// localURL is the base URL of the local gateway, for ${LocalURL} in the
// overrides.
func (d *deployment) environment(id, localURL string) (map[string]string, error) {
	vars, err := d.res.Environment(id)
	if err != nil {
		return nil, err
	}
	for k, v := range vars {
		vars[k] = strings.ReplaceAll(v, "${LocalURL}", localURL)
	}
	// What Lambda sets, and the emulators' endpoints.
	vars["AWS_REGION"], vars["AWS_DEFAULT_REGION"] = awslocal.Region, awslocal.Region
	vars["AWS_ACCESS_KEY_ID"], vars["AWS_SECRET_ACCESS_KEY"] = "local", "local"
	for svc, url := range d.endpoints {
		vars["AWS_ENDPOINT_URL_"+svc] = url
	}
	return vars, nil
}

// start makes each function runnable: its binary under the runtime API,
// with its environment, timeout and memory.
func (d *deployment) start(localURL string) error {
	for _, id := range d.tpl.Functions() {
		vars, err := d.environment(id, localURL)
		if err != nil {
			return err
		}
		d.envs[id] = vars
		name, err := d.res.Name(id)
		if err != nil {
			return err
		}
		timeout, _ := d.res.Property(id, "Timeout")
		mem, _ := d.res.Property(id, "MemorySize")
		secs, _ := strconv.Atoi(timeout)
		mb, _ := strconv.Atoi(mem)
		f := &runtimeapi.Function{Name: name, Path: filepath.Join(d.binDir(id), "bootstrap"),
			Env: runtimeapi.Environ(vars), Timeout: time.Duration(secs) * time.Second, MemoryMB: mb, Max: maxProcesses,
			Output: &prefixWriter{prefix: id + " ", w: d.output}}
		if d.onInit != nil {
			f.OnInit = func(dur time.Duration) { d.onInit(id, dur) }
		}
		d.functions[id] = f
	}
	return nil
}

func (d *deployment) close() {
	for _, f := range d.functions {
		f.Close()
	}
}

// wireEvents connects each function's events: HTTP API routes on mux,
// queue and stream pollers and schedules in the background until ctx
// ends. It returns the routes, for the start-up listing.
func (d *deployment) wireEvents(ctx context.Context, mux *http.ServeMux, wg *sync.WaitGroup) ([]string, error) {
	var routes []string
	scheduled := map[string]bool{}
	for _, id := range d.tpl.Functions() {
		f := d.functions[id]
		evs, _ := template.Get(d.tpl.Resources[id], "Properties", "Events").(map[string]any)
		names := make([]string, 0, len(evs))
		for n := range evs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			ev := evs[name]
			props, err := d.res.Value(template.Get(ev, "Properties"))
			if err != nil {
				return nil, fmt.Errorf("%s event %s: %w", id, name, err)
			}
			str := func(k string) string {
				v := template.Get(props, k)
				if v == nil {
					return ""
				}
				return fmt.Sprint(v)
			}
			num := func(k string, def int) int {
				if n, err := strconv.Atoi(str(k)); err == nil {
					return n
				}
				return def
			}
			patterns, err := filterPatterns(props)
			if err != nil {
				return nil, fmt.Errorf("%s event %s: %w", id, name, err)
			}
			switch typ := template.Get(ev, "Type"); typ {
			case "HttpApi":
				method, path := str("Method"), str("Path")
				var authorize gateway.Authorizer
				if a := template.Get(template.Get(props, "Auth"), "Authorizer"); a != nil && fmt.Sprint(a) != "NONE" {
					authorize = d.authorize
					if authorize == nil {
						authorize = func(*http.Request) (map[string]string, error) {
							return nil, errors.New("no local authorizer")
						}
					}
				}
				mux.Handle(gateway.Pattern(method, path), gateway.AuthorizedRoute(method, path, f.Invoke, authorize))
				note := ""
				if authorize != nil {
					note = " (bearer token)"
				}
				routes = append(routes, fmt.Sprintf("%-6s %-22s → %s%s", strings.ToUpper(method), path, id, note))
			case "SQS":
				arn := str("Queue")
				url, ok := d.queueURLs[arn]
				if !ok {
					return nil, fmt.Errorf("%s event %s: no local queue %s", id, name, arn)
				}
				p := &sqspoll.Poller{SQS: d.sqs, QueueURL: url, QueueARN: arn, Region: awslocal.Region,
					Invoke: f.Invoke, Batch: int32(num("BatchSize", 10)), Visibility: int32(f.Timeout / time.Second * 6)}
				if len(patterns) > 0 {
					p.Filter = func(m events.SQSMessage) bool { return matchSQS(patterns, m) }
				}
				// Lambda polls a queue with several pollers; two let two
				// processes work locally.
				for range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						p.Run(ctx, func(err error) { slog.WarnContext(ctx, "queue poll failed", "function", id, "err", err) })
					}()
				}
			case "DynamoDB":
				arn := str("Stream")
				p := &streams.Poller{Client: streams.Client(d.endpoints["DYNAMODB_STREAMS"]), StreamARN: arn, Invoke: f.Invoke,
					BatchSize: num("BatchSize", 100), MaxRetries: num("MaximumRetryAttempts", -1),
					Bisect: str("BisectBatchOnFunctionError") == "true"}
				if len(patterns) > 0 {
					p.Filter = func(r events.DynamoDBEventRecord) bool {
						ok, err := patterns.Match(r)
						return ok && err == nil
					}
				}
				if dest := fmt.Sprint(template.Get(props, "DestinationConfig", "OnFailure", "Destination")); d.queueURLs[dest] != "" {
					url := d.queueURLs[dest]
					p.OnFailure = func(ctx context.Context, fl streams.Failed) { sendFailure(ctx, d.sqs, url, arn, id, fl) }
				}
				wg.Add(1)
				go func() { defer wg.Done(); _ = p.Run(ctx) }()
			case "Schedule", "ScheduleV2":
				expr := str("Schedule")
				if expr == "" {
					expr = str("ScheduleExpression")
				}
				// The schedule's Input is the payload as EventBridge
				// Scheduler sends it; without one, the scheduled event.
				input := []byte(str("Input"))
				if len(input) == 0 {
					input = nil
				}
				sched, err := parseSchedule(expr, str("ScheduleExpressionTimezone"))
				if err != nil {
					d.skipped = append(d.skipped, fmt.Sprintf("%s event %s: %v (POST /_local/schedule/%s/%s runs it)", id, name, err, id, name))
				} else {
					wg.Add(1)
					go func() { defer wg.Done(); d.tick(ctx, id, name, sched, input) }()
				}
				run := func(w http.ResponseWriter, r *http.Request) {
					payload := input
					if payload == nil {
						payload = scheduledEvent(id, name)
					}
					out, err := f.Invoke(r.Context(), payload)
					if err != nil {
						writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
						return
					}
					writeJSON(w, http.StatusOK, json.RawMessage(nonEmpty(out)))
				}
				mux.HandleFunc("POST /_local/schedule/"+id+"/"+name, run)
				if !scheduled[id] {
					// The function's first schedule (by event name) also
					// answers to the function's name alone.
					scheduled[id] = true
					mux.HandleFunc("POST /_local/schedule/"+id, run)
				}
			case "CloudWatchLogs":
				// Fed by deliverLogs: the local stack writes the log
				// records (SMS delivery status) itself.
				d.mu.Lock()
				d.logSubs[str("LogGroupName")] = append(d.logSubs[str("LogGroupName")], f.Invoke)
				d.mu.Unlock()
			default:
				d.skipped = append(d.skipped, fmt.Sprintf("%s event %s: type %v does not run locally", id, name, typ))
			}
		}
	}
	return routes, nil
}

// deliverLogs hands records written to log group to the functions
// subscribed to it, packed as CloudWatch Logs delivers them, trying twice
// more on an error as Lambda does for asynchronous invocations.
func (d *deployment) deliverLogs(ctx context.Context, group string, records []string) {
	d.mu.Lock()
	subs := d.logSubs[group]
	d.mu.Unlock()
	if len(subs) == 0 {
		return
	}
	ev, err := blast.LogsDelivery(group, "local", records, time.Now())
	if err != nil {
		slog.WarnContext(ctx, "log delivery not packed", "logGroup", group, "err", err)
		return
	}
	payload, _ := json.Marshal(ev)
	for _, invoke := range subs {
		for try := 0; try < 3; try++ {
			if _, err = invoke(ctx, payload); err == nil {
				break
			}
		}
		if err != nil {
			slog.WarnContext(ctx, "log delivery failed", "logGroup", group, "err", err)
		}
	}
}

func nonEmpty(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}

// filterPatterns reads an event's FilterCriteria.
func filterPatterns(props any) (filter.Patterns, error) {
	list, _ := template.Get(props, "FilterCriteria", "Filters").([]any)
	var ps []string
	for _, f := range list {
		ps = append(ps, fmt.Sprint(template.Get(f, "Pattern")))
	}
	return filter.Parse(ps)
}

// matchSQS applies SQS filter criteria: a body that is JSON is matched as
// an object, as Lambda does.
func matchSQS(ps filter.Patterns, m events.SQSMessage) bool {
	rec := map[string]any{"messageId": m.MessageId, "attributes": m.Attributes, "body": m.Body}
	var body any
	if json.Unmarshal([]byte(m.Body), &body) == nil {
		rec["body"] = body
	}
	ok, err := ps.Match(rec)
	return ok && err == nil
}

// rate reads "rate(5 minutes)".
func rate(expr string) (time.Duration, error) {
	inner, ok := strings.CutPrefix(expr, "rate(")
	if !ok || !strings.HasSuffix(inner, ")") {
		return 0, fmt.Errorf("schedule %q is not a rate(): only rates run on their own locally", expr)
	}
	var n int
	var unit string
	if _, err := fmt.Sscanf(strings.TrimSuffix(inner, ")"), "%d %s", &n, &unit); err != nil || n <= 0 {
		return 0, fmt.Errorf("schedule %q is not a rate such as rate(5 minutes)", expr)
	}
	switch strings.TrimSuffix(unit, "s") {
	case "minute":
		return time.Duration(n) * time.Minute, nil
	case "hour":
		return time.Duration(n) * time.Hour, nil
	case "day":
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return 0, fmt.Errorf("schedule %q has an unknown unit", expr)
}

// tick invokes a scheduled function on its schedule until ctx ends, with
// the schedule's input or, without one, the scheduled event.
func (d *deployment) tick(ctx context.Context, id, name string, s schedule, input []byte) {
	for {
		next := s.next(time.Now())
		if next.IsZero() {
			return
		}
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
			payload := input
			if payload == nil {
				payload = scheduledEvent(id, name)
			}
			if _, err := d.functions[id].Invoke(ctx, payload); err != nil && ctx.Err() == nil {
				slog.WarnContext(ctx, "scheduled invocation failed", "function", id, "event", name, "err", err)
			}
		}
	}
}

// scheduledEvent is what EventBridge sends a scheduled function.
func scheduledEvent(id, name string) []byte {
	now := time.Now().UTC()
	b, _ := json.Marshal(events.EventBridgeEvent{
		Version: "0", ID: strconv.FormatInt(now.UnixNano(), 36), DetailType: "Scheduled Event", Source: "aws.events",
		AccountID: awslocal.Account, Time: now, Region: awslocal.Region,
		Resources: []string{"arn:aws:events:" + awslocal.Region + ":" + awslocal.Account + ":rule/" + id + name},
		Detail:    json.RawMessage("{}"),
	})
	return b
}

// sendFailure records a stream batch given up on the way Lambda's
// on-failure destination does: the batch's place in the stream, not the
// records.
func sendFailure(ctx context.Context, c *sqs.Client, url, streamARN, fn string, f streams.Failed) {
	body, _ := json.Marshal(map[string]any{
		"requestContext":  map[string]any{"condition": "RetryAttemptsExhausted", "functionArn": "arn:aws:lambda:" + awslocal.Region + ":" + awslocal.Account + ":function:" + fn},
		"responseContext": map[string]any{"error": f.Err.Error()},
		"DDBStreamBatchInfo": map[string]any{
			"shardId": f.ShardID, "streamArn": streamARN, "batchSize": len(f.Records),
			"startSequenceNumber": f.Records[0].Change.SequenceNumber,
			"endSequenceNumber":   f.Records[len(f.Records)-1].Change.SequenceNumber,
		},
	})
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(body))}); err != nil {
		slog.ErrorContext(ctx, "record failed stream batch", "err", err)
	}
	fmt.Printf("%s gave up on %d stream records (see its failure queue)\n", fn, len(f.Records))
}

// prefixWriter writes each line with a prefix, so the functions' logs
// say whose they are.
type prefixWriter struct {
	prefix string
	w      io.Writer
	mu     sync.Mutex
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := strings.IndexByte(string(p.buf), '\n')
		if i < 0 {
			break
		}
		if _, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i]); err != nil {
			return 0, err
		}
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}
