package blast

import (
	"context"
	"sync"
)

// WriteBatch is how many recipients one store write takes: DynamoDB's
// BatchWriteItem takes 25 items.
const WriteBatch = 25

// WritesInFlight is how many recipient writes planning keeps in flight at
// once unless Service.Writes says otherwise.
const WritesInFlight = 8

// recipientWriter stores a blast's recipients as planning reads them,
// WriteBatch to a write and up to a bound of writes at once. It holds
// at most one batch being filled and one per write in flight, whatever
// the size of the audience.
type recipientWriter struct {
	store Store
	id    string
	batch []Recipient
	slots chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	err   error
}

func newRecipientWriter(store Store, id string, inFlight int) *recipientWriter {
	if inFlight <= 0 {
		inFlight = WritesInFlight
	}
	return &recipientWriter{store: store, id: id, batch: make([]Recipient, 0, WriteBatch), slots: make(chan struct{}, inFlight)}
}

// add takes one recipient, starting a write when a batch is full. It
// returns the first error of a write already finished.
func (w *recipientWriter) add(ctx context.Context, r Recipient) error {
	w.batch = append(w.batch, r)
	if len(w.batch) < WriteBatch {
		return nil
	}
	return w.start(ctx)
}

// start writes the batch being filled in the background, once a slot is
// free.
func (w *recipientWriter) start(ctx context.Context) error {
	if err := w.failed(); err != nil {
		return err
	}
	if len(w.batch) == 0 {
		return nil
	}
	select {
	case w.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	batch := w.batch
	w.batch = make([]Recipient, 0, WriteBatch)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer func() { <-w.slots }()
		if err := w.store.PutRecipients(ctx, w.id, batch); err != nil {
			w.mu.Lock()
			if w.err == nil {
				w.err = err
			}
			w.mu.Unlock()
		}
	}()
	return nil
}

func (w *recipientWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// close writes what is left and waits for every write, returning the
// first error.
func (w *recipientWriter) close(ctx context.Context) error {
	err := w.start(ctx)
	w.wg.Wait()
	if err != nil {
		return err
	}
	return w.failed()
}
