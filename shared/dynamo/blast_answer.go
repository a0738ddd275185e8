package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/wait"
)

// Key parts of answers to a blast's replies, in the blast's partition: the
// answer (with its counters) and its targets, sorted by send-queue chunk
// so that a chunk is one query.
const (
	skAnswer       = "ANS#"
	skAnswerTarget = "ANT#"
)

var _ blast.AnswerStore = (*Store)(nil)

func answerSK(id string) string { return skAnswer + id }

func answerTargetPrefix(set string, chunk int) string {
	return fmt.Sprintf("%s%s#%06d#", skAnswerTarget, set, chunk)
}

func answerTargetSK(set string, seq int) string {
	return fmt.Sprintf("%s%07d", answerTargetPrefix(set, blast.Chunk(seq)), seq)
}

// PutBlastAnswerTargets stores the targets of an answer to blast id under
// its target set, pending, 25 to a write.
func (st *Store) PutBlastAnswerTargets(ctx context.Context, id, set string, ts []blast.Target) error {
	items := make([]item, len(ts))
	for i, t := range ts {
		t.Status = blast.Pending
		it, err := attributevalue.MarshalMapWithOptions(t, jsonTags)
		if err != nil {
			return fmt.Errorf("encode answer target of blast %s: %w", id, err)
		}
		items[i] = merge(it, keyOf(blastPK(id), answerTargetSK(set, t.Seq)))
	}
	if err := st.putAll(ctx, items); err != nil {
		return fmt.Errorf("store answer targets of blast %s: %w", id, err)
	}
	return nil
}

// putAll writes items 25 to a batch, writing again what DynamoDB left
// unprocessed.
func (st *Store) putAll(ctx context.Context, items []item) error {
	bw, batched := st.db.(batchWriter)
	for len(items) > 0 {
		batch := items[:min(25, len(items))]
		items = items[len(batch):]
		if !batched {
			for _, it := range batch {
				if _, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &st.table, Item: it}); err != nil {
					return err
				}
			}
			continue
		}
		reqs := make([]types.WriteRequest, len(batch))
		for i, it := range batch {
			reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
		}
		for try := 0; len(reqs) > 0; try++ {
			if try == 8 {
				return errors.New("items left unprocessed")
			}
			out, err := bw.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{st.table: reqs}})
			if err != nil {
				return err
			}
			reqs = out.UnprocessedItems[st.table]
			if len(reqs) > 0 {
				if err := wait.Sleep(ctx, time.Duration(10<<try)*time.Millisecond); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// CreateBlastAnswer stores a new answer to a blast's replies, its counters at
// zero; it reports false when an answer with its ID is there already.
func (st *Store) CreateBlastAnswer(ctx context.Context, a *blast.Answer) (bool, error) {
	it, err := attributevalue.MarshalMapWithOptions(a, jsonTags)
	if err != nil {
		return false, fmt.Errorf("encode answer to blast %s: %w", a.Blast, err)
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &st.table, Item: merge(it, keyOf(blastPK(a.Blast), answerSK(a.ID)), item{"sent": n(0), "optedOut": n(0), "failed": n(0)}),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	var there *types.ConditionalCheckFailedException
	if errors.As(err, &there) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create answer to blast %s: %w", a.Blast, err)
	}
	return true, nil
}

func decodeAnswer(it item) (blast.AnswerStatus, error) {
	var a blast.AnswerStatus
	if err := attributevalue.UnmarshalMapWithOptions(it, &a.Answer, jsonTagsDecode); err != nil {
		return a, err
	}
	if err := attributevalue.UnmarshalMapWithOptions(it, &a.Counts, jsonTagsDecode); err != nil {
		return a, err
	}
	a.Progress()
	return a, nil
}

// BlastAnswer reads answer id to blast's replies with its counts (strongly
// consistent).
func (st *Store) BlastAnswer(ctx context.Context, id, answer string) (*blast.AnswerStatus, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &st.table, Key: keyOf(blastPK(id), answerSK(answer)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("read answer to blast %s: %w", id, err)
	}
	if out.Item == nil {
		return nil, fmt.Errorf("read answer %s to blast %s: %w", answer, id, blast.ErrNotFound)
	}
	a, err := decodeAnswer(out.Item)
	if err != nil {
		return nil, fmt.Errorf("decode answer to blast %s: %w", id, err)
	}
	return &a, nil
}

// BlastAnswers reads every answer to blast id's replies, oldest first.
func (st *Store) BlastAnswers(ctx context.Context, id string) ([]blast.AnswerStatus, error) {
	out, err := queryPrefix(ctx, st, blastPK(id), skAnswer, decodeAnswer)
	if err != nil {
		return nil, fmt.Errorf("read answers to blast %s: %w", id, err)
	}
	// IDs name requests, not times.
	slices.SortStableFunc(out, func(a, b blast.AnswerStatus) int { return a.At.Compare(b.At) })
	return out, nil
}

// BlastAnswerTargets reads the targets of one chunk of an answer's target
// set.
func (st *Store) BlastAnswerTargets(ctx context.Context, id, set string, chunk int) ([]blast.Target, error) {
	out, err := queryPrefix(ctx, st, blastPK(id), answerTargetPrefix(set, chunk), func(it item) (blast.Target, error) {
		var t blast.Target
		err := attributevalue.UnmarshalMapWithOptions(it, &t, jsonTagsDecode)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("read answer targets of blast %s: %w", id, err)
	}
	return out, nil
}

// queryPrefix decodes every item of partition pk whose sort key begins
// with prefix, in key order, strongly consistent.
func queryPrefix[T any](ctx context.Context, st *Store, pk, prefix string, decode func(item) (T, error)) ([]T, error) {
	var out []T
	p := dynamodb.NewQueryPaginator(st.db, &dynamodb.QueryInput{
		TableName:                 &st.table,
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :p)"),
		ExpressionAttributeValues: item{":pk": s(pk), ":p": s(prefix)},
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			v, err := decode(it)
			if err != nil {
				return nil, fmt.Errorf("decode %s: %w", prefix, err)
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// SettleBlastAnswerTarget moves a pending target of answer a to t.Status,
// with its ticket and provider ID, and counts it on the answer, in one
// transaction; a target settled before is left alone and not counted
// again. It runs even when ctx is cancelled: what it records was done.
func (st *Store) SettleBlastAnswerTarget(ctx context.Context, a *blast.Answer, t blast.Target) error {
	id := a.Blast
	counter := map[blast.RecipientStatus]string{blast.Sent: "sent", blast.Skipped: "optedOut", blast.Failed: "failed"}[t.Status]
	if counter == "" {
		return fmt.Errorf("settle answer target of blast %s: status %q", id, t.Status)
	}
	ctx, cancel := releaseContext(ctx)
	defer cancel()
	err := st.transact(ctx, []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &st.table, Key: keyOf(blastPK(id), answerTargetSK(a.TargetSet(), t.Seq)),
			UpdateExpression:         aws.String("SET #s = :st, ticketId = :t, providerId = :pid"),
			ConditionExpression:      aws.String("#s = :pending"),
			ExpressionAttributeNames: map[string]string{"#s": "status"},
			ExpressionAttributeValues: item{
				":st": s(string(t.Status)), ":pending": s(string(blast.Pending)), ":t": s(t.TicketID), ":pid": s(t.ProviderID),
			},
		}},
		{Update: &types.Update{
			TableName: &st.table, Key: keyOf(blastPK(id), answerSK(a.ID)),
			UpdateExpression:          aws.String("ADD #c :one"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeNames:  map[string]string{"#c": counter},
			ExpressionAttributeValues: item{":one": n(1)},
		}},
	})
	if err != nil && !errors.Is(err, errConditionFailed) {
		return fmt.Errorf("settle answer target of blast %s: %w", id, err)
	}
	return nil
}
