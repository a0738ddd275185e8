package dynamo_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
)

// stingyBatches leaves all but the first ten keys of the first few batch
// reads unprocessed, as a throttled table does.
type stingyBatches struct {
	dynamo.API
	calls, stingy atomic.Int64
}

func (s *stingyBatches) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	s.calls.Add(1)
	if s.stingy.Add(-1) < 0 {
		return s.API.BatchGetItem(ctx, in, opts...)
	}
	left := map[string]types.KeysAndAttributes{}
	for table, ka := range in.RequestItems {
		if len(ka.Keys) <= 10 {
			continue
		}
		rest := ka
		rest.Keys = ka.Keys[10:]
		left[table] = rest
		ka.Keys = ka.Keys[:10]
		in.RequestItems[table] = ka
	}
	out, err := s.API.BatchGetItem(ctx, in, opts...)
	if err == nil {
		out.UnprocessedKeys = left
	}
	return out, err
}

// TestOptedOutAmong: 250 numbers (some twice) read a hundred keys at a
// time, keys left unprocessed asked for again, a number that opted back
// in not counted.
func TestOptedOutAmong(t *testing.T) {
	st, client := testenv.Table(t)
	ctx := context.Background()
	want := map[string]bool{}
	var phones []string
	for i := range 250 {
		p := fmt.Sprintf("+86138%08d", i)
		phones = append(phones, p)
		if i%7 == 0 {
			if _, err := st.SetOptOut(ctx, p, true, t0); err != nil {
				t.Fatal(err)
			}
			want[p] = true
		}
	}
	// Opted out, then back in.
	if _, err := st.SetOptOut(ctx, phones[14], false, t0.Add(1)); err != nil {
		t.Fatal(err)
	}
	delete(want, phones[14])
	phones = append(phones, phones[:30]...)

	stingy := &stingyBatches{API: client}
	stingy.stingy.Store(2)
	got, err := dynamo.New(stingy, st.Table()).OptedOutAmong(ctx, phones)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("OptedOutAmong found %d opted out, want %d", len(got), len(want))
	}
	for p := range want {
		if !got[p] {
			t.Errorf("%s opted out, not found", p)
		}
	}
	// Three batches of keys, two of them partly left unprocessed once.
	if n := stingy.calls.Load(); n != 5 {
		t.Errorf("%d BatchGetItem calls, want 5 (3 batches, 2 retries)", n)
	}
}
