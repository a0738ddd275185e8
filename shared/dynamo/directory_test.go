package dynamo_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/customer"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// counting counts the round trips to DynamoDB.
type counting struct {
	*dynamodb.Client
	gets atomic.Int64
}

func (c *counting) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.gets.Add(1)
	return c.Client.BatchGetItem(ctx, in, opts...)
}

const directoryCSV = `phone,email,vip,accountManager
138 0013 8000,,yes,wang.fang
,boss@bigcorp.example,yes,zhao.lei
139 0013 9000,,no,
`

func TestDirectory(t *testing.T) {
	store, client := testenv.Table(t)
	recs, err := customer.ParseCSV(strings.NewReader(directoryCSV), "CN")
	if err != nil {
		t.Fatal(err)
	}
	c := &counting{Client: client}
	d := dynamo.NewDirectory(c, store.Table())
	ctx := context.Background()
	if err := d.Put(ctx, recs); err != nil {
		t.Fatalf("Put: %v", err)
	}
	tests := []struct {
		name    string
		contact ticket.Contact
		want    intake.Customer
		unknown bool
	}{
		{"VIP by phone", ticket.Contact{Phone: "+8613800138000"}, intake.Customer{VIP: true, AccountManager: "wang.fang"}, false},
		{"VIP by email", ticket.Contact{Email: "boss@bigcorp.example"}, intake.Customer{VIP: true, AccountManager: "zhao.lei"}, false},
		{"phone wins the manager", ticket.Contact{Phone: "+8613800138000", Email: "boss@bigcorp.example"}, intake.Customer{VIP: true, AccountManager: "wang.fang"}, false},
		{"listed, not VIP", ticket.Contact{Phone: "+8613900139000"}, intake.Customer{}, false},
		{"VIP email, plain phone", ticket.Contact{Phone: "+8613900139000", Email: "boss@bigcorp.example"}, intake.Customer{VIP: true, AccountManager: "zhao.lei"}, false},
		{"unknown", ticket.Contact{Phone: "+8613700137000", Email: "x@y.example"}, intake.Customer{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := c.gets.Load()
			got, err := d.Lookup(ctx, tt.contact)
			if tt.unknown {
				if !errors.Is(err, ticket.ErrNotFound) {
					t.Fatalf("Lookup = %+v, %v, want ErrNotFound", got, err)
				}
			} else if err != nil || got != tt.want {
				t.Fatalf("Lookup = %+v, %v, want %+v", got, err, tt.want)
			}
			if n := c.gets.Load() - before; n != 1 {
				t.Errorf("first lookup took %d round trips, want 1", n)
			}
			before = c.gets.Load()
			again, err := d.Lookup(ctx, tt.contact)
			if again != got || (err == nil) != (!tt.unknown) {
				t.Errorf("cached Lookup = %+v, %v, want %+v", again, err, got)
			}
			if n := c.gets.Load() - before; n != 0 {
				t.Errorf("cached lookup took %d round trips, want 0", n)
			}
		})
	}
}

func TestDirectoryCacheExpires(t *testing.T) {
	store, client := testenv.Table(t)
	c := &counting{Client: client}
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	d := dynamo.NewDirectory(c, store.Table())
	d.Now = func() time.Time { return now }
	ctx := context.Background()
	who := ticket.Contact{Phone: "+8613800138000"}
	if _, err := d.Lookup(ctx, who); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("Lookup before loading = %v, want ErrNotFound", err)
	}
	// Another process loads the directory; this one sees it once the
	// cached answer expires.
	other := dynamo.NewDirectory(client, store.Table())
	if err := other.Put(ctx, []customer.Record{{Phone: who.Phone, VIP: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Lookup(ctx, who); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("Lookup within the TTL = %v, want the cached ErrNotFound", err)
	}
	now = now.Add(6 * time.Minute)
	if got, err := d.Lookup(ctx, who); err != nil || !got.VIP {
		t.Fatalf("Lookup after the TTL = %+v, %v, want VIP", got, err)
	}
	if n := c.gets.Load(); n != 2 {
		t.Errorf("%d round trips, want 2", n)
	}
}

func TestDirectoryPutLastLineWins(t *testing.T) {
	store, client := testenv.Table(t)
	d := dynamo.NewDirectory(client, store.Table())
	d.TTL = -1
	ctx := context.Background()
	var recs []customer.Record
	for i := 0; i < 60; i++ { // more than two batches
		recs = append(recs, customer.Record{Phone: "+86138001380" + string(rune('0'+i/10)) + string(rune('0'+i%10)), VIP: true})
	}
	recs = append(recs, customer.Record{Phone: recs[0].Phone, VIP: false})
	if err := d.Put(ctx, recs); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got, err := d.Lookup(ctx, ticket.Contact{Phone: recs[0].Phone}); err != nil || got.VIP {
		t.Errorf("Lookup(first) = %+v, %v, want not VIP (the later line)", got, err)
	}
	if got, err := d.Lookup(ctx, ticket.Contact{Phone: recs[59].Phone}); err != nil || !got.VIP {
		t.Errorf("Lookup(last) = %+v, %v, want VIP", got, err)
	}
}

// BenchmarkDirectoryLookup measures a new ticket's directory lookup:
// one BatchGetItem against DynamoDB Local, and a cache hit.
func BenchmarkDirectoryLookup(b *testing.B) {
	store, client := testenv.Table(b)
	ctx := context.Background()
	who := ticket.Contact{Phone: "+8613800138000", Email: "li.lei@example.com"}
	for _, bc := range []struct {
		name string
		ttl  time.Duration
	}{{"uncached", -1}, {"cached", time.Hour}} {
		b.Run(bc.name, func(b *testing.B) {
			d := dynamo.NewDirectory(client, store.Table())
			d.TTL = bc.ttl
			if err := d.Put(ctx, []customer.Record{{Phone: who.Phone, VIP: true, AccountManager: "wang.fang"}}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := d.Lookup(ctx, who); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
