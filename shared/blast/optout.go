package blast

import "context"

// BulkOptOuts answers for many numbers at once; planning uses it when
// the opt-out records provide it (the DynamoDB store does, a hundred keys
// to a read).
type BulkOptOuts interface {
	// OptedOutAmong returns which of phones (E.164) have opted out.
	OptedOutAmong(ctx context.Context, phones []string) (map[string]bool, error)
}

// OptOutBatch is how many audience rows planning holds to check their
// opt-outs in one read: DynamoDB's BatchGetItem takes 100 keys.
const OptOutBatch = 100

// optOutFilter holds audience rows until a batch of them can be checked
// for opt-outs at once, then passes on the rows still to be texted, in
// audience order. It holds at most OptOutBatch rows, whatever the size of
// the audience.
type optOutFilter struct {
	one  OptOuts
	bulk BulkOptOuts
	rows []Row
	// keep receives each row not opted out; optedOut counts the others.
	keep     func(Row) error
	optedOut int
}

func newOptOutFilter(o OptOuts, keep func(Row) error) *optOutFilter {
	f := &optOutFilter{one: o, keep: keep, rows: make([]Row, 0, OptOutBatch)}
	f.bulk, _ = o.(BulkOptOuts)
	return f
}

// add takes a recipient row, checking the batch when it is full.
func (f *optOutFilter) add(ctx context.Context, r Row) error {
	f.rows = append(f.rows, r)
	if len(f.rows) < OptOutBatch {
		return nil
	}
	return f.flush(ctx)
}

// flush checks the rows held and passes on those not opted out.
func (f *optOutFilter) flush(ctx context.Context) error {
	if len(f.rows) == 0 {
		return nil
	}
	defer func() { f.rows = f.rows[:0] }()
	opted := map[string]bool{}
	if f.bulk != nil {
		phones := make([]string, len(f.rows))
		for i, r := range f.rows {
			phones[i] = r.Phone
		}
		var err error
		if opted, err = f.bulk.OptedOutAmong(ctx, phones); err != nil {
			return err
		}
	} else {
		for _, r := range f.rows {
			o, err := f.one.OptedOut(ctx, r.Phone)
			if err != nil {
				return err
			}
			opted[r.Phone] = o
		}
	}
	for _, r := range f.rows {
		if opted[r.Phone] {
			f.optedOut++
			continue
		}
		if err := f.keep(r); err != nil {
			return err
		}
	}
	return nil
}
