package blast

import (
	"context"
	"fmt"
	"testing"
)

// oneByOne answers opt-outs one number at a time.
type oneByOne struct {
	opted map[string]bool
	calls int
}

func (o *oneByOne) OptedOut(_ context.Context, p string) (bool, error) {
	o.calls++
	return o.opted[p], nil
}

// inBulk answers many numbers at once, recording the batch sizes.
type inBulk struct {
	oneByOne
	batches []int
}

func (o *inBulk) OptedOutAmong(_ context.Context, ps []string) (map[string]bool, error) {
	o.batches = append(o.batches, len(ps))
	out := map[string]bool{}
	for _, p := range ps {
		if o.opted[p] {
			out[p] = true
		}
	}
	return out, nil
}

// TestOptOutFilter: 250 rows checked a hundred at a time when the store
// answers in bulk (one at a time when it does not), the opted-out ones
// counted, the others passed on in audience order.
func TestOptOutFilter(t *testing.T) {
	opted := map[string]bool{}
	for i := 0; i < 250; i += 10 {
		opted[fmt.Sprintf("+86139%08d", i)] = true
	}
	bulk := &inBulk{oneByOne: oneByOne{opted: opted}}
	for _, tt := range []struct {
		name string
		o    OptOuts
	}{{"bulk", bulk}, {"one by one", &oneByOne{opted: opted}}} {
		t.Run(tt.name, func(t *testing.T) {
			var kept []string
			f := newOptOutFilter(tt.o, func(r Row) error { kept = append(kept, r.Phone); return nil })
			for i := range 250 {
				if err := f.add(context.Background(), Row{Phone: fmt.Sprintf("+86139%08d", i)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if f.optedOut != 25 || len(kept) != 225 {
				t.Fatalf("opted out %d, kept %d; want 25, 225", f.optedOut, len(kept))
			}
			for i := 1; i < len(kept); i++ {
				if kept[i] <= kept[i-1] || opted[kept[i]] {
					t.Fatalf("kept[%d] = %s after %s: out of order or opted out", i, kept[i], kept[i-1])
				}
			}
		})
	}
	if fmt.Sprint(bulk.batches) != "[100 100 50]" || bulk.calls != 0 {
		t.Errorf("bulk batches %v and %d single reads, want [100 100 50] and none", bulk.batches, bulk.calls)
	}
}
