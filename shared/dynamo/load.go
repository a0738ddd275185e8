package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// BatchAPI is the batch write Load needs besides API.
type BatchAPI interface {
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// Load writes tickets as they stand, with their reference, contact links
// and index entries but no history and no report counts, in batches of
// 25 items: for bulk imports and for filling a table to measure against.
// It does not check versions or claims; use Apply for changes.
func (st *Store) Load(ctx context.Context, ts []*ticket.Ticket) error {
	bw, ok := st.db.(BatchAPI)
	if !ok {
		return fmt.Errorf("load tickets: the DynamoDB client cannot batch write")
	}
	var reqs []types.WriteRequest
	now := st.now()
	for _, t := range ts {
		err := st.build(ticket.Change{Ticket: t, Create: true}, now, func(_ role, op types.TransactWriteItem) {
			if op.Put != nil {
				reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: op.Put.Item}})
			}
		})
		if err != nil {
			return err
		}
	}
	for len(reqs) > 0 {
		n := min(len(reqs), 25)
		batch := map[string][]types.WriteRequest{st.table: reqs[:n]}
		reqs = reqs[n:]
		for len(batch[st.table]) > 0 {
			out, err := bw.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: batch})
			if err != nil {
				return fmt.Errorf("load tickets: %w", err)
			}
			batch = out.UnprocessedItems
		}
	}
	return nil
}
