package dynamo_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func TestClaimAliasOneWinner(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	got := make([]string, 8)
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id, same, err := st.ClaimAlias(ctx, ticket.Email, "a@example.com\nmid@x", fmt.Sprintf("ses-%d", i), "hash-1")
			if err != nil || !same {
				t.Errorf("ClaimAlias = %v, %v; want the same content", same, err)
			}
			got[i] = id
		}(i)
	}
	wg.Wait()
	for _, id := range got {
		if id != got[0] {
			t.Fatalf("ClaimAlias gave %v, want one source for all", got)
		}
	}
	if id, same, _ := st.ClaimAlias(ctx, ticket.Email, "b@example.com\nmid@x", "ses-other", "hash-2"); id != "ses-other" || !same {
		t.Errorf("ClaimAlias(other sender) = %q, %v; want its own source", id, same)
	}
	// Another mail reusing the Message-ID gets the first source back,
	// told that its content differs.
	if id, same, err := st.ClaimAlias(ctx, ticket.Email, "a@example.com\nmid@x", "ses-reused", "hash-3"); err != nil || id != got[0] || same {
		t.Errorf("ClaimAlias(other content) = %q, %v, %v; want %q, not the same", id, same, err, got[0])
	}
}

// TestClaimAliasBeforeHashes: a claim written before claims recorded the
// content hash still folds its redeliveries: it counts as the same mail.
func TestClaimAliasBeforeHashes(t *testing.T) {
	st, db := testenv.Table(t)
	ctx := context.Background()
	key := "a@example.com\nold@x"
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.Table()), Item: map[string]types.AttributeValue{
		"PK":       &types.AttributeValueMemberS{Value: "ALIAS#" + dynamo.ContactKey(string(ticket.Email), key)},
		"SK":       &types.AttributeValueMemberS{Value: "CLAIM"},
		"sourceId": &types.AttributeValueMemberS{Value: "ses-old"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if id, same, err := st.ClaimAlias(ctx, ticket.Email, key, "ses-new", "hash-1"); err != nil || id != "ses-old" || !same {
		t.Errorf("ClaimAlias(over a claim without a hash) = %q, %v, %v; want ses-old, the same", id, same, err)
	}
}

// TestCountMailAck: an address has max acknowledgements a window, counted
// per address; the next window has a new allowance.
func TestCountMailAck(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 10, 5, 0, 0, time.UTC)
	tests := []struct {
		name string
		addr string
		at   time.Time
		want bool
	}{
		{"first", "a@example.com", at, true},
		{"second", "a@example.com", at.Add(time.Minute), true},
		{"third, over two an hour", "a@example.com", at.Add(2 * time.Minute), false},
		{"other address", "b@example.com", at, true},
		{"next hour", "a@example.com", at.Add(time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := st.CountMailAck(ctx, tt.addr, tt.at, 2, time.Hour)
			if ok != tt.want || err != nil {
				t.Errorf("CountMailAck(%s, %s) = %v, %v; want %v", tt.addr, tt.at, ok, err, tt.want)
			}
		})
	}
}

// TestUncountMailAckGivesBackTheHit: a failed send gives its hit back to
// the window it was counted in, and never below zero.
func TestUncountMailAckGivesBackTheHit(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 10, 59, 58, 0, time.UTC)
	count := func(addr string, at time.Time) bool {
		t.Helper()
		ok, err := st.CountMailAck(ctx, addr, at, 2, time.Hour)
		if err != nil {
			t.Fatalf("CountMailAck(%s): %v", addr, err)
		}
		return ok
	}
	uncount := func(addr string, at time.Time) {
		t.Helper()
		if err := st.UncountMailAck(ctx, addr, at, time.Hour); err != nil {
			t.Fatalf("UncountMailAck(%s): %v", addr, err)
		}
	}
	if got := []bool{count("a@example.com", at), count("a@example.com", at), count("a@example.com", at)}; !got[0] || !got[1] || got[2] {
		t.Fatal("two an hour, then a refusal: not so before any give-back")
	}
	uncount("a@example.com", at)
	if !count("a@example.com", at) {
		t.Errorf("CountMailAck after a give-back = false, want the hit given back")
	}
	// A hit counted last hour goes back to last hour, not this one.
	next := at.Add(3 * time.Second)
	if !count("b@example.com", at) || !count("b@example.com", next) {
		t.Fatal("CountMailAck(b) = false")
	}
	uncount("b@example.com", at)
	if !count("b@example.com", next) || count("b@example.com", next) {
		t.Errorf("after giving back last hour's hit: this hour took two, or none more; want one more")
	}
	// Giving back more than was counted leaves the counter at zero.
	for range 3 {
		uncount("c@example.com", at)
	}
	if got := []bool{count("c@example.com", at), count("c@example.com", at), count("c@example.com", at)}; !got[0] || !got[1] || got[2] {
		t.Errorf("after give-backs of nothing: want two, then a refusal")
	}
}

func TestUndeliverable(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	if bad, err := st.Undeliverable(ctx, "x@example.com"); bad || err != nil {
		t.Fatalf("Undeliverable(new) = %v, %v, want false", bad, err)
	}
	if err := st.MarkUndeliverable(ctx, "x@example.com", "5.1.1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if bad, err := st.Undeliverable(ctx, "x@example.com"); !bad || err != nil {
		t.Errorf("Undeliverable(bounced) = %v, %v, want true", bad, err)
	}
	if bad, _ := st.Undeliverable(ctx, "y@example.com"); bad {
		t.Errorf("Undeliverable(other) = true, want false")
	}
}
