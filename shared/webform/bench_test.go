package webform_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamodbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/webform"
)

// countingDB counts the calls the store and the customer directory make
// (DynamoDB round trips) and keeps the last transaction sent.
type countingDB struct {
	*dynamodb.Client
	calls atomic.Int64
	last  *dynamodb.TransactWriteItemsInput
}

func (c *countingDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.calls.Add(1)
	return c.Client.GetItem(ctx, in, o...)
}
func (c *countingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.calls.Add(1)
	return c.Client.PutItem(ctx, in, o...)
}
func (c *countingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.calls.Add(1)
	return c.Client.UpdateItem(ctx, in, o...)
}
func (c *countingDB) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.calls.Add(1)
	return c.Client.Query(ctx, in, o...)
}
func (c *countingDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.calls.Add(1)
	return c.Client.BatchGetItem(ctx, in, o...)
}
func (c *countingDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.calls.Add(1)
	return c.Client.BatchWriteItem(ctx, in, o...)
}
func (c *countingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.calls.Add(1)
	c.last = in
	return c.Client.TransactWriteItems(ctx, in, o...)
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkWebFormEndToEnd posts new contacts through the Lambda handler
// (API Gateway v2 payload → httpadapter → form → intake → DynamoDB Local),
// each from another customer, with the customer directory off and on (on
// is the default configuration: one lookup per new contact, which the
// directory's cache cannot save for a customer it has not seen). ns/op is
// the form alone. Every DynamoDB call is counted and reported per contact,
// whatever the count. In the same loop, with the timer stopped, the same
// ticket item is written with a bare PutItem and the form's transaction
// replayed bare, so the ratios share the machine's conditions.
func BenchmarkWebFormEndToEnd(b *testing.B) {
	base, client := testenv.Table(b)
	rules := ticket.MustDefaultRules(shanghai)
	var seq atomic.Int64
	for _, directory := range []bool{false, true} {
		name := "directory=off"
		if directory {
			name = "directory=on"
		}
		b.Run(name, func(b *testing.B) {
			db := &countingDB{Client: client}
			store := dynamo.New(db, base.Table())
			svc := &intake.Service{Store: store, Rules: rules, Region: "CN", Now: func() time.Time { return now }}
			if directory {
				svc.Directory = dynamo.NewDirectory(db, base.Table())
			}
			benchForm(b, svc, db, client, store.Table(), &seq)
		})
	}
}

func benchForm(b *testing.B, svc *intake.Service, db *countingDB, client *dynamodb.Client, table string, seq *atomic.Int64) {
	h := webform.New(svc, webform.Config{Calendar: svc.Rules.Calendar, Region: "CN", PerIP: 1 << 30, Global: 1 << 30, Now: func() time.Time { return now }})
	invoke := lambda.NewHandler(httpadapter.NewV2(h).ProxyWithContext)
	ctx := context.Background()

	var form, put, tx []time.Duration
	var trips int64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		i := seq.Add(1)
		body := fmt.Sprintf(`{"name":"陈小姐","phone":"138%08d","kind":"repair","message":"家里水表漏水，麻烦尽快来修。","consent":true}`, i)
		payload := withBody(b, "post-json.json", "application/json", body, map[string]string{"idempotency-key": fmt.Sprintf("bench-%012d", i)})
		before := db.calls.Load()
		b.StartTimer()

		start := time.Now()
		out, err := invoke.Invoke(ctx, payload)
		form = append(form, time.Since(start))

		b.StopTimer()
		if err != nil || !strings.Contains(string(out), `"statusCode":201`) {
			b.Fatalf("Invoke = %.200s, %v; want 201", out, err)
		}
		trips += db.calls.Load() - before

		// The same ticket item, written bare.
		t := &ticket.Ticket{ID: ticket.NewID(now), Ref: ticket.NewRef(), Channel: ticket.Web, Kind: ticket.Repair, Priority: ticket.P2,
			Status: ticket.New, Contact: ticket.Contact{Name: "陈小姐", Phone: "+8613800138000"}, Owner: "field-service",
			Summary: "家里水表漏水，麻烦尽快来修。", CreatedAt: now, UpdatedAt: now, AckBy: now, ResolveBy: now, Version: 1}
		item, err := attributevalue.MarshalMapWithOptions(t, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
		if err != nil {
			b.Fatal(err)
		}
		item["PK"] = &dynamodbtypes.AttributeValueMemberS{Value: "BARE#" + string(t.ID)}
		item["SK"] = &dynamodbtypes.AttributeValueMemberS{Value: "TICKET"}
		start = time.Now()
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
			b.Fatal(err)
		}
		put = append(put, time.Since(start))

		// The very transaction the form wrote, replayed bare under other
		// keys: what DynamoDB Local itself takes for a new contact.
		bare := rekey(db.last, fmt.Sprintf("#bare%d", i))
		start = time.Now()
		if _, err := client.TransactWriteItems(ctx, bare); err != nil {
			b.Fatal(err)
		}
		tx = append(tx, time.Since(start))
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(form, .5).Microseconds())/1000, "form-p50-ms")
	b.ReportMetric(float64(percentile(form, .99).Microseconds())/1000, "form-p99-ms")
	b.ReportMetric(float64(percentile(put, .5).Microseconds())/1000, "put-p50-ms")
	b.ReportMetric(float64(percentile(put, .99).Microseconds())/1000, "put-p99-ms")
	b.ReportMetric(float64(percentile(form, .5))/float64(percentile(put, .5)), "p50-ratio")
	b.ReportMetric(float64(percentile(tx, .5).Microseconds())/1000, "tx-p50-ms")
	b.ReportMetric(float64(percentile(form, .5))/float64(percentile(tx, .5)), "p50-ratio-tx")
	b.ReportMetric(float64(trips)/float64(len(form)), "roundtrips/contact")
}

// rekey copies a transaction with suffix added to every key, so it writes
// new items of the same shape and size.
func rekey(in *dynamodb.TransactWriteItemsInput, suffix string) *dynamodb.TransactWriteItemsInput {
	key := func(m map[string]dynamodbtypes.AttributeValue) map[string]dynamodbtypes.AttributeValue {
		out := make(map[string]dynamodbtypes.AttributeValue, len(m))
		for k, v := range m {
			out[k] = v
		}
		if pk, ok := m["PK"].(*dynamodbtypes.AttributeValueMemberS); ok {
			out["PK"] = &dynamodbtypes.AttributeValueMemberS{Value: pk.Value + suffix}
		}
		return out
	}
	out := &dynamodb.TransactWriteItemsInput{}
	for _, op := range in.TransactItems {
		switch {
		case op.Put != nil:
			p := *op.Put
			p.Item = key(p.Item)
			p.ReturnValuesOnConditionCheckFailure = ""
			out.TransactItems = append(out.TransactItems, dynamodbtypes.TransactWriteItem{Put: &p})
		case op.Update != nil:
			u := *op.Update
			u.Key = key(u.Key)
			out.TransactItems = append(out.TransactItems, dynamodbtypes.TransactWriteItem{Update: &u})
		case op.Delete != nil:
			d := *op.Delete
			d.Key = key(d.Key)
			out.TransactItems = append(out.TransactItems, dynamodbtypes.TransactWriteItem{Delete: &d})
		}
	}
	return out
}
