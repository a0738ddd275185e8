package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
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

func TestClaimAck(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 5, 0, 0, time.UTC)
	st.Now = func() time.Time { return now }
	tests := []struct {
		name    string
		id      ticket.ID
		sender  string
		claimed bool
		limited bool
	}{
		{"first ticket", "T1", "a@example.com", true, false},
		{"same ticket again", "T1", "a@example.com", false, false},
		{"second ticket", "T2", "a@example.com", true, false},
		{"third ticket, over two an hour", "T3", "a@example.com", false, true},
		{"other sender", "T4", "b@example.com", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := st.ClaimMailAck(ctx, tt.id, tt.sender, 2, time.Hour)
			var lim *ticket.LimitError
			if errors.As(err, &lim) != tt.limited || ok != tt.claimed || err != nil && !tt.limited {
				t.Errorf("ClaimMailAck(%s, %s) = %v, %v; want claimed %v limited %v", tt.id, tt.sender, ok, err, tt.claimed, tt.limited)
			}
		})
	}
	// A released claim can be taken again; the next hour has a new allowance.
	if err := st.ReleaseMailAck(ctx, "T1"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if ok, err := st.ClaimMailAck(ctx, "T1", "a@example.com", 2, time.Hour); !ok || err != nil {
		t.Errorf("ClaimMailAck after release, next hour = %v, %v, want claimed", ok, err)
	}
}

// TestReleaseMailAckGivesBackTheHit: a released claim gives its hit back
// to the hour it was counted in, once.
func TestReleaseMailAckGivesBackTheHit(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 59, 58, 0, time.UTC)
	st.Now = func() time.Time { return now }
	claim := func(id ticket.ID, sender string) bool {
		t.Helper()
		ok, err := st.ClaimMailAck(ctx, id, sender, 2, time.Hour)
		var lim *ticket.LimitError
		if err != nil && !errors.As(err, &lim) {
			t.Fatalf("ClaimMailAck(%s): %v", id, err)
		}
		return ok
	}
	release := func(id ticket.ID) {
		t.Helper()
		if err := st.ReleaseMailAck(ctx, id); err != nil {
			t.Fatalf("ReleaseMailAck(%s): %v", id, err)
		}
	}
	if !claim("T1", "a@example.com") || !claim("T2", "a@example.com") || claim("T3", "a@example.com") {
		t.Fatal("two claims an hour, then a limit: not so before any release")
	}
	// Sending T2's acknowledgement failed: its hit comes back.
	release("T2")
	if !claim("T3", "a@example.com") {
		t.Errorf("ClaimMailAck(T3) after a release = false, want the hit given back")
	}
	// Releasing twice gives back one hit.
	release("T2")
	if claim("T4", "a@example.com") {
		t.Errorf("ClaimMailAck(T4) after a second release of T2 = true, want the limit")
	}
	// A claim released in the next hour gives its hit back to its own hour.
	if !claim("T5", "b@example.com") {
		t.Fatal("ClaimMailAck(T5) = false")
	}
	now = now.Add(3 * time.Second)
	if !claim("T6", "b@example.com") {
		t.Fatal("ClaimMailAck(T6) = false")
	}
	release("T5")
	if !claim("T7", "b@example.com") || claim("T8", "b@example.com") {
		t.Errorf("after releasing last hour's claim: two more claims this hour, or none; want one")
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

// conflicted cancels the first two-item transaction it is given, as
// DynamoDB does when another write touches one of the items at that moment
// (a second claim from the same sender adding to the hour's counter).
type conflicted struct {
	dynamo.API
	once atomic.Bool
}

func (c *conflicted) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if len(in.TransactItems) == 2 && c.once.CompareAndSwap(false, true) {
		return nil, &types.TransactionCanceledException{Message: aws.String("Transaction cancelled"), CancellationReasons: []types.CancellationReason{
			{Code: aws.String("None")}, {Code: aws.String("TransactionConflict")},
		}}
	}
	return c.API.TransactWriteItems(ctx, in, opts...)
}

// TestReleaseMailAckUnderConflict: when the hit cannot be given back at
// that moment, the claim is still released, or the ticket would never be
// acknowledged.
func TestReleaseMailAckUnderConflict(t *testing.T) {
	st, client := testenv.Table(t)
	ctx := context.Background()
	if ok, err := st.ClaimMailAck(ctx, "T1", "a@example.com", 5, time.Hour); !ok || err != nil {
		t.Fatalf("ClaimMailAck(T1) = %v, %v", ok, err)
	}
	busy := dynamo.New(&conflicted{API: client}, st.Table())
	if err := busy.ReleaseMailAck(ctx, "T1"); err != nil {
		t.Fatalf("ReleaseMailAck under a conflict: %v", err)
	}
	if ok, err := st.ClaimMailAck(ctx, "T1", "a@example.com", 5, time.Hour); !ok || err != nil {
		t.Errorf("ClaimMailAck(T1) after the release = %v, %v, want the claim free again", ok, err)
	}
}
