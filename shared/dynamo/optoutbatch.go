package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/wait"
)

var _ blast.BulkOptOuts = (*Store)(nil)

// maxBatchGet is the most keys one BatchGetItem takes.
const maxBatchGet = 100

// OptedOutAmong returns which of phones (E.164) have opted out, reading
// their opt-out records a hundred to a BatchGetItem, strongly consistent
// like OptedOut. Keys the table leaves unprocessed (throttling, the 16 MB
// answer limit) are asked for again with a growing pause.
func (st *Store) OptedOutAmong(ctx context.Context, phones []string) (map[string]bool, error) {
	out := map[string]bool{}
	byPK := make(map[string]string, len(phones))
	keys := make([]map[string]types.AttributeValue, 0, len(phones))
	for _, p := range phones {
		pk := optOutPK(p)
		if _, dup := byPK[pk]; dup {
			continue
		}
		byPK[pk] = p
		keys = append(keys, keyOf(pk, skState))
	}
	for len(keys) > 0 {
		batch := keys[:min(maxBatchGet, len(keys))]
		keys = keys[len(batch):]
		for try := 0; len(batch) > 0; try++ {
			if try == 8 {
				return nil, fmt.Errorf("read opt-outs: %d keys left unprocessed", len(batch))
			}
			if try > 0 {
				if err := wait.Sleep(ctx, time.Duration(10<<try)*time.Millisecond); err != nil {
					return nil, err
				}
			}
			res, err := st.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				st.table: {Keys: batch, ConsistentRead: aws.Bool(true), ProjectionExpression: aws.String("PK, optedOut")},
			}})
			if err != nil {
				return nil, fmt.Errorf("read opt-outs: %w", err)
			}
			for _, it := range res.Responses[st.table] {
				pk, _ := it["PK"].(*types.AttributeValueMemberS)
				v, _ := it["optedOut"].(*types.AttributeValueMemberBOOL)
				if pk != nil && v != nil && v.Value {
					out[byPK[pk.Value]] = true
				}
			}
			batch = res.UnprocessedKeys[st.table].Keys
		}
	}
	return out, nil
}
