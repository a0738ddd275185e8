package staffapi_test

import (
	"context"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/staffapi"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// counting counts the DynamoDB calls a store makes.
type counting struct {
	*dynamodb.Client
	gets, queries, transactions, other atomic.Int64
}

func (c *counting) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.gets.Add(1)
	return c.Client.GetItem(ctx, in, o...)
}

func (c *counting) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.queries.Add(1)
	return c.Client.Query(ctx, in, o...)
}

func (c *counting) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.transactions.Add(1)
	return c.Client.TransactWriteItems(ctx, in, o...)
}

func (c *counting) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.other.Add(1)
	return c.Client.PutItem(ctx, in, o...)
}

func (c *counting) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.other.Add(1)
	return c.Client.UpdateItem(ctx, in, o...)
}

// benchStore is a fresh table with n open tickets over the six queues.
func benchStore(b *testing.B, n int) (*dynamo.Store, *counting, []*ticket.Ticket) {
	b.Helper()
	base, _ := testenv.Table(b)
	c := &counting{Client: awslocal.DynamoDB(testenv.Endpoint(b, testenv.EnvDynamoDB))}
	st := dynamo.New(c, base.Table())
	st.Zone = shanghai
	kinds := []ticket.Kind{ticket.Complaint, ticket.Repair, ticket.Billing, ticket.Inquiry, ticket.Emergency, ticket.Suggestion}
	var ts []*ticket.Ticket
	for i := 0; i < n; i++ {
		created := monday10.Add(-time.Duration(i) * time.Minute)
		k := kinds[i%len(kinds)]
		r := rules.Rule(k)
		t := &ticket.Ticket{
			ID: ticket.NewID(created), Ref: ticket.NewRef(), Channel: ticket.SMS, Kind: k, Priority: r.Priority,
			Status: ticket.New, Owner: r.Queue, Summary: "load", CreatedAt: created, UpdatedAt: created, Version: 1,
			Contact: ticket.Contact{Phone: "+8613800138000"},
		}
		rules.Clocks(t)
		ts = append(ts, t)
	}
	var wg sync.WaitGroup
	chunk := (n + 7) / 8
	for i := 0; i < n; i += chunk {
		wg.Add(1)
		go func(part []*ticket.Ticket) {
			defer wg.Done()
			if err := st.Load(context.Background(), part); err != nil {
				b.Error(err)
			}
		}(ts[i:min(i+chunk, n)])
	}
	wg.Wait()
	return st, c, ts
}

func percentile(d []time.Duration, p float64) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[int(float64(len(d)-1)*p)]
}

// BenchmarkListTickets measures GET /staff/tickets (first page of 50) at
// 10k open tickets (FRONTDESK_BENCH_TICKETS overrides): one queue for an
// agent, all six merged for an admin.
func BenchmarkListTickets(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("FRONTDESK_BENCH_TICKETS")); err == nil && v > 0 {
		n = v
	}
	st, _, _ := benchStore(b, n)
	api := staffapi.New(st, &desk.Service{Store: st, Rules: rules}, dynamo.Queues(rules), shanghai)
	api.Now = func() time.Time { return monday10 }
	for _, c := range []struct {
		name string
		who  identity.Staff
		path string
	}{
		{"agent-one-queue", identity.Staff{Subject: "ann", Roles: []identity.Role{identity.Agent}, Queues: []string{"complaints"}}, "/staff/tickets"},
		{"admin-all-queues", identity.Staff{Subject: "root", Roles: []identity.Role{identity.Admin}}, "/staff/tickets"},
		{"admin-breached", identity.Staff{Subject: "root", Roles: []identity.Role{identity.Admin}}, "/staff/tickets?breached=true"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var lat []time.Duration
			for i := 0; i < b.N; i++ {
				r := httptest.NewRequest("GET", c.path, nil)
				r = r.WithContext(identity.With(r.Context(), c.who))
				w := httptest.NewRecorder()
				start := time.Now()
				api.ServeHTTP(w, r)
				lat = append(lat, time.Since(start))
				if w.Code != 200 {
					b.Fatalf("GET %s = %d %s", c.path, w.Code, w.Body)
				}
			}
			b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkActionRoundTrips counts an action's DynamoDB calls: with the
// reference known, one read and one transaction.
func BenchmarkActionRoundTrips(b *testing.B) {
	st, c, ts := benchStore(b, 200)
	d := &desk.Service{Store: st, Rules: rules, Now: func() time.Time { return monday10 }}
	ann := identity.Staff{Subject: "ann", Roles: []identity.Role{identity.Admin}}
	ctx := context.Background()
	// The first action on a ticket also reads its reference.
	for _, t := range ts {
		if _, err := st.TicketByRef(ctx, t.Ref); err != nil {
			b.Fatal(err)
		}
	}
	c.gets.Store(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := ts[i%len(ts)]
		cur, err := st.Ticket(ctx, t.ID)
		if err != nil {
			b.Fatal(err)
		}
		c.gets.Add(-1) // the benchmark's own read of the version
		if _, err := d.Do(ctx, ann, desk.Command{Ref: t.Ref, Version: cur.Version, Request: ticket.Request{Action: ticket.ActNote, Text: "checked"}}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(c.gets.Load())/float64(b.N), "reads/action")
	b.ReportMetric(float64(c.queries.Load())/float64(b.N), "queries/action")
	b.ReportMetric(float64(c.transactions.Load())/float64(b.N), "transactions/action")
	b.ReportMetric(float64(c.other.Load())/float64(b.N), "other-writes/action")
}
