package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/wait"
)

// Key parts of notification blasts. A blast is one partition: its head,
// its recipients (sorted by send-queue chunk, so a chunk is one query),
// and its counters, sharded so that concurrent senders seldom write the
// same item. The message sent to a recipient is indexed under SENT# like
// every message Frontdesk sends, naming the blast instead of a ticket.
const (
	pBlast      = "BLAST#"
	skBlast     = "BLAST"
	skRecipient = "R#"
	skCount     = "COUNT#"
	pPace       = "PACE#"
	skPace      = "PACE"
	// countShards spreads the counters over this many items.
	countShards = 16
)

var (
	_ blast.Store = (*Store)(nil)
	_ blast.Pacer = (*Store)(nil)
)

func blastPK(id string) string { return pBlast + id }

// recipientSK keys a recipient by its chunk and place in the audience:
// numbers never appear in keys.
func recipientSK(seq int) string {
	return fmt.Sprintf("%s%06d#%07d", skRecipient, blast.Chunk(seq), seq)
}

func countKey(id string, seq int) item {
	return keyOf(blastPK(id), skCount+strconv.Itoa(seq%countShards))
}

// CreateBlast stores a new blast's head; a blast with its ID already there
// is ErrConflict.
func (st *Store) CreateBlast(ctx context.Context, b *blast.Blast) error {
	head, err := attributevalue.MarshalMapWithOptions(b, jsonTags)
	if err != nil {
		return fmt.Errorf("encode blast %s: %w", b.ID, err)
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &st.table, Item: merge(head, keyOf(blastPK(b.ID), skBlast)),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	var taken *types.ConditionalCheckFailedException
	if errors.As(err, &taken) {
		return fmt.Errorf("create blast %s: %w", b.ID, blast.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create blast %s: %w", b.ID, err)
	}
	return nil
}

// SaveBlast writes b over the head read at version prev: ErrConflict when
// someone else wrote it since.
func (st *Store) SaveBlast(ctx context.Context, b *blast.Blast, prev int) error {
	head, err := attributevalue.MarshalMapWithOptions(b, jsonTags)
	if err != nil {
		return fmt.Errorf("encode blast %s: %w", b.ID, err)
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &st.table, Item: merge(head, keyOf(blastPK(b.ID), skBlast)),
		ConditionExpression:       aws.String("#v = :prev"),
		ExpressionAttributeNames:  map[string]string{"#v": "version"},
		ExpressionAttributeValues: item{":prev": n(int64(prev))},
	})
	var moved *types.ConditionalCheckFailedException
	if errors.As(err, &moved) {
		return fmt.Errorf("save blast %s: %w", b.ID, blast.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("save blast %s: %w", b.ID, err)
	}
	return nil
}

// Blast reads a blast's head (strongly consistent: a pause must be seen by
// the next send).
func (st *Store) Blast(ctx context.Context, id string) (*blast.Blast, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &st.table, Key: keyOf(blastPK(id), skBlast), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("read blast %s: %w", id, err)
	}
	if out.Item == nil {
		return nil, fmt.Errorf("read blast %s: %w", id, blast.ErrNotFound)
	}
	var b blast.Blast
	if err := attributevalue.UnmarshalMapWithOptions(out.Item, &b, jsonTagsDecode); err != nil {
		return nil, fmt.Errorf("decode blast %s: %w", id, err)
	}
	return &b, nil
}

// BlastState reads only a blast's state, strongly consistent: the sender
// checks it before every text.
func (st *Store) BlastState(ctx context.Context, id string) (blast.State, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &st.table, Key: keyOf(blastPK(id), skBlast), ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("#s"), ExpressionAttributeNames: map[string]string{"#s": "state"},
	})
	if err != nil {
		return "", fmt.Errorf("read state of blast %s: %w", id, err)
	}
	v, ok := out.Item["state"].(*types.AttributeValueMemberS)
	if !ok {
		return "", fmt.Errorf("read state of blast %s: %w", id, blast.ErrNotFound)
	}
	return blast.State(v.Value), nil
}

// batchWriter is the batch write of the DynamoDB client; a store over an
// API without it writes recipients one at a time.
type batchWriter interface {
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// PutRecipients stores recipients of blast id, pending, 25 to a write.
func (st *Store) PutRecipients(ctx context.Context, id string, rs []blast.Recipient) error {
	bw, batched := st.db.(batchWriter)
	for len(rs) > 0 {
		batch := rs[:min(25, len(rs))]
		rs = rs[len(batch):]
		reqs := make([]types.WriteRequest, 0, len(batch))
		for _, r := range batch {
			r.Status = blast.Pending
			it, err := attributevalue.MarshalMapWithOptions(r, jsonTags)
			if err != nil {
				return fmt.Errorf("encode recipient of blast %s: %w", id, err)
			}
			it = merge(it, keyOf(blastPK(id), recipientSK(r.Seq)))
			if !batched {
				if _, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &st.table, Item: it}); err != nil {
					return fmt.Errorf("store recipient of blast %s: %w", id, err)
				}
				continue
			}
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		}
		for try := 0; len(reqs) > 0; try++ {
			if try == 8 {
				return fmt.Errorf("store recipients of blast %s: %d writes left unprocessed", id, len(reqs))
			}
			out, err := bw.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{st.table: reqs}})
			if err != nil {
				return fmt.Errorf("store recipients of blast %s: %w", id, err)
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

// Recipients returns the recipients of one send-queue chunk of blast id,
// in audience order.
func (st *Store) Recipients(ctx context.Context, id string, chunk int) ([]blast.Recipient, error) {
	return st.queryRecipients(ctx, id, fmt.Sprintf("%s%06d#", skRecipient, chunk), nil)
}

// EachRecipient calls fn with every recipient of blast id, chunk by chunk.
func (st *Store) EachRecipient(ctx context.Context, id string, fn func(blast.Recipient) error) error {
	_, err := st.queryRecipients(ctx, id, skRecipient, fn)
	return err
}

func (st *Store) queryRecipients(ctx context.Context, id, prefix string, fn func(blast.Recipient) error) ([]blast.Recipient, error) {
	var out []blast.Recipient
	p := dynamodb.NewQueryPaginator(st.db, &dynamodb.QueryInput{
		TableName:              &st.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :p)"),
		ExpressionAttributeValues: item{
			":pk": s(blastPK(id)), ":p": s(prefix),
		},
		ConsistentRead: aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read recipients of blast %s: %w", id, err)
		}
		for _, it := range page.Items {
			var r blast.Recipient
			if err := attributevalue.UnmarshalMapWithOptions(it, &r, jsonTagsDecode); err != nil {
				return nil, fmt.Errorf("decode recipient of blast %s: %w", id, err)
			}
			if fn == nil {
				out = append(out, r)
				continue
			}
			if err := fn(r); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// ClaimRecipient takes recipient r of blast id for sending: one
// conditional write from pending, so of two senders (a redelivery, a
// second instance) only one texts. It reports whether this call took it.
func (st *Store) ClaimRecipient(ctx context.Context, id string, r blast.Recipient, at time.Time) (bool, error) {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &st.table,
		Key:                       keyOf(blastPK(id), recipientSK(r.Seq)),
		UpdateExpression:          aws.String("SET #s = :claimed, claimedAt = :at"),
		ConditionExpression:       aws.String("#s = :pending"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: item{":claimed": s(string(blast.Claimed)), ":pending": s(string(blast.Pending)), ":at": s(stamp(at))},
	})
	var taken *types.ConditionalCheckFailedException
	if errors.As(err, &taken) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim recipient of blast %s: %w", id, err)
	}
	return true, nil
}

// ReleaseRecipient gives back a claim whose text was not sent, so that a
// later delivery tries again, recording attempts (the failed sends so
// far); with failed set the recipient is marked failed instead and
// counted. It runs even when ctx is cancelled.
func (st *Store) ReleaseRecipient(ctx context.Context, id string, r blast.Recipient, attempts int, failed bool) error {
	ctx, cancel := releaseContext(ctx)
	defer cancel()
	key := keyOf(blastPK(id), recipientSK(r.Seq))
	if failed {
		err := st.transact(ctx, []types.TransactWriteItem{
			{Update: &types.Update{
				TableName: &st.table, Key: key,
				UpdateExpression:          aws.String("SET #s = :failed, attempts = :n"),
				ConditionExpression:       aws.String("#s = :claimed"),
				ExpressionAttributeNames:  map[string]string{"#s": "status"},
				ExpressionAttributeValues: item{":failed": s(string(blast.Failed)), ":claimed": s(string(blast.Claimed)), ":n": n(int64(attempts))},
			}},
			st.count(id, r.Seq, "failed"),
		})
		if err != nil {
			return fmt.Errorf("mark recipient of blast %s failed: %w", id, err)
		}
		return nil
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.table, Key: key,
		UpdateExpression:          aws.String("SET #s = :pending, attempts = :n REMOVE claimedAt"),
		ConditionExpression:       aws.String("#s = :claimed"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: item{":pending": s(string(blast.Pending)), ":claimed": s(string(blast.Claimed)), ":n": n(int64(attempts))},
	})
	if err != nil {
		return fmt.Errorf("release recipient of blast %s: %w", id, err)
	}
	return nil
}

// SkipRecipient marks a pending recipient who opted out before their turn:
// never texted, counted once.
func (st *Store) SkipRecipient(ctx context.Context, id string, r blast.Recipient) error {
	err := st.transact(ctx, []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &st.table, Key: keyOf(blastPK(id), recipientSK(r.Seq)),
			UpdateExpression:          aws.String("SET #s = :skipped"),
			ConditionExpression:       aws.String("#s = :pending"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: item{":skipped": s(string(blast.Skipped)), ":pending": s(string(blast.Pending))},
		}},
		st.count(id, r.Seq, "optedOut"),
	})
	if err != nil && !errors.Is(err, errConditionFailed) {
		return fmt.Errorf("skip opted-out recipient of blast %s: %w", id, err)
	}
	return nil
}

// RecordBlastSent records that the text to claimed recipient r of blast id
// went out with provider message ID providerID, in one transaction: the
// recipient's status, the sent-message index entry a reply finds the blast
// by, and the blast's sent counter. It runs even when ctx is cancelled: the
// text is out, and the record is what keeps it from going out again.
func (st *Store) RecordBlastSent(ctx context.Context, id string, r blast.Recipient, providerID string, at time.Time) error {
	ctx, cancel := releaseContext(ctx)
	defer cancel()
	err := st.transact(ctx, []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &st.table, Key: keyOf(blastPK(id), recipientSK(r.Seq)),
			UpdateExpression:          aws.String("SET #s = :sent, providerId = :pid, sentAt = :at"),
			ConditionExpression:       aws.String("#s = :claimed"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: item{":sent": s(string(blast.Sent)), ":claimed": s(string(blast.Claimed)), ":pid": s(providerID), ":at": s(stamp(at))},
		}},
		{Put: &types.Put{
			TableName: &st.table,
			Item: merge(keyOf(pSent+string(ticket.SMS)+"#"+providerID, skClaim), item{
				"blastId": s(id), "phone": s(r.Phone), "seq": n(int64(r.Seq)), "at": s(stamp(at)),
			}),
		}},
		st.count(id, r.Seq, "sent"),
	})
	if err != nil {
		return fmt.Errorf("record text of blast %s: %w", id, err)
	}
	return nil
}

// SentBlast returns the blast and recipient number a text Frontdesk sent
// with provider ID providerID went to, or blast.ErrNotFound when that text
// was not part of a blast.
func (st *Store) SentBlast(ctx context.Context, providerID string) (string, string, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &st.table, Key: keyOf(pSent+string(ticket.SMS)+"#"+providerID, skClaim),
	})
	if err != nil {
		return "", "", fmt.Errorf("look up sent blast text: %w", err)
	}
	id, _ := out.Item["blastId"].(*types.AttributeValueMemberS)
	phone, _ := out.Item["phone"].(*types.AttributeValueMemberS)
	if id == nil || phone == nil {
		return "", "", fmt.Errorf("look up sent blast text: %w", blast.ErrNotFound)
	}
	return id.Value, phone.Value, nil
}

// CountBlast adds delta to one of blast id's counters ("replied", …).
func (st *Store) CountBlast(ctx context.Context, id string, seq int, counter string, delta int) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.table, Key: countKey(id, seq),
		UpdateExpression:          aws.String("ADD #c :d"),
		ExpressionAttributeNames:  map[string]string{"#c": counter},
		ExpressionAttributeValues: item{":d": n(int64(delta))},
	})
	if err != nil {
		return fmt.Errorf("count %s of blast %s: %w", counter, id, err)
	}
	return nil
}

// BlastCounts sums blast id's counters.
func (st *Store) BlastCounts(ctx context.Context, id string) (blast.Counts, error) {
	out, err := st.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              &st.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :p)"),
		ExpressionAttributeValues: item{
			":pk": s(blastPK(id)), ":p": s(skCount),
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return blast.Counts{}, fmt.Errorf("read counts of blast %s: %w", id, err)
	}
	var c blast.Counts
	for _, it := range out.Items {
		var part blast.Counts
		if err := attributevalue.UnmarshalMapWithOptions(it, &part, jsonTagsDecode); err != nil {
			return blast.Counts{}, fmt.Errorf("decode counts of blast %s: %w", id, err)
		}
		c.Sent += part.Sent
		c.Delivered += part.Delivered
		c.Undelivered += part.Undelivered
		c.Failed += part.Failed
		c.OptedOut += part.OptedOut
		c.Replied += part.Replied
	}
	return c, nil
}

func (st *Store) count(id string, seq int, counter string) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &st.table, Key: countKey(id, seq),
		UpdateExpression:          aws.String("ADD #c :one"),
		ExpressionAttributeNames:  map[string]string{"#c": counter},
		ExpressionAttributeValues: item{":one": n(1)},
	}}
}

// errConditionFailed is a transaction cancelled by a condition, not by a
// conflict.
var errConditionFailed = errors.New("condition failed")

// transact writes ops in one transaction, trying again while it conflicts
// with another (concurrent senders share counter items).
func (st *Store) transact(ctx context.Context, ops []types.TransactWriteItem) error {
	for try := 0; ; try++ {
		_, err := st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: ops})
		var cancelled *types.TransactionCanceledException
		if !errors.As(err, &cancelled) {
			return err
		}
		conflict := false
		for _, r := range cancelled.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "ConditionalCheckFailed":
				return fmt.Errorf("%w: %v", errConditionFailed, err)
			case "TransactionConflict":
				conflict = true
			}
		}
		if !conflict || try == 10 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(5*(try+1)) * time.Millisecond):
		}
	}
}

// TakeSlot reserves the next send slot of the pace named key, one every
// interval, shared by every sender: a DynamoDB-backed token bucket holding
// one token, so the pace is a ceiling whatever the number of senders. It
// returns the instant the slot opens (now, or later when others hold the
// slots before it); the caller waits until then and sends.
func (st *Store) TakeSlot(ctx context.Context, key string, interval time.Duration) (time.Time, error) {
	k := keyOf(pPace+key, skPace)
	step := interval.Microseconds()
	for try := 0; try < 20; try++ {
		now := st.now().UnixMicro()
		// Busy: the next free slot is in the future; take it and move the
		// mark one interval on, in one atomic update.
		out, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &st.table, Key: k,
			UpdateExpression:          aws.String("SET #n = #n + :step"),
			ConditionExpression:       aws.String("#n >= :now"),
			ExpressionAttributeNames:  map[string]string{"#n": "next"},
			ExpressionAttributeValues: item{":step": n(step), ":now": n(now)},
			ReturnValues:              types.ReturnValueUpdatedNew,
		})
		if err == nil {
			v, _ := out.Attributes["next"].(*types.AttributeValueMemberN)
			if v == nil {
				return time.Time{}, fmt.Errorf("take pace slot %s: no mark returned", key)
			}
			next, perr := strconv.ParseInt(v.Value, 10, 64)
			if perr != nil {
				return time.Time{}, fmt.Errorf("take pace slot %s: %w", key, perr)
			}
			return time.UnixMicro(next - step), nil
		}
		var cond *types.ConditionalCheckFailedException
		if !errors.As(err, &cond) {
			return time.Time{}, fmt.Errorf("take pace slot %s: %w", key, err)
		}
		// Idle: the mark is in the past (or was never set); the slot is
		// now, unless another sender got there first.
		_, err = st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &st.table, Key: k,
			UpdateExpression:          aws.String("SET #n = :next"),
			ConditionExpression:       aws.String("attribute_not_exists(#n) OR #n < :now"),
			ExpressionAttributeNames:  map[string]string{"#n": "next"},
			ExpressionAttributeValues: item{":next": n(now + step), ":now": n(now)},
		})
		if err == nil {
			return time.UnixMicro(now), nil
		}
		if !errors.As(err, &cond) {
			return time.Time{}, fmt.Errorf("take pace slot %s: %w", key, err)
		}
	}
	return time.Time{}, fmt.Errorf("take pace slot %s: still contended", key)
}

const skReply = "REPLY#"

// LinkReply links an inbound text answering the text sent with provider ID
// providerID to its blast, once per inbound source, and counts it. It
// returns the blast's ID, or blast.ErrNotFound when the text answered was
// not part of a blast or the reply came after the blast's reply window.
func (st *Store) LinkReply(ctx context.Context, providerID string, r blast.Reply) (string, error) {
	id, _, err := st.SentBlast(ctx, providerID)
	if err != nil {
		return "", err
	}
	b, err := st.Blast(ctx, id)
	if err != nil {
		return "", err
	}
	if !b.InReplyWindow(r.At) {
		// Long after the blast: a reply like any other text.
		return "", fmt.Errorf("reply to blast %s after its reply window: %w", id, blast.ErrNotFound)
	}
	it, err := attributevalue.MarshalMapWithOptions(r, jsonTags)
	if err != nil {
		return "", fmt.Errorf("encode reply to blast %s: %w", id, err)
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &st.table, Item: merge(it, keyOf(blastPK(id), skReply+r.SourceID)),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	var seen *types.ConditionalCheckFailedException
	if errors.As(err, &seen) {
		return id, nil
	}
	if err != nil {
		return "", fmt.Errorf("link reply to blast %s: %w", id, err)
	}
	return id, st.CountBlast(ctx, id, len(r.SourceID), "replied", 1)
}

// Replies returns every reply linked to blast id.
func (st *Store) Replies(ctx context.Context, id string) ([]blast.Reply, error) {
	var out []blast.Reply
	p := dynamodb.NewQueryPaginator(st.db, &dynamodb.QueryInput{
		TableName:                 &st.table,
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :p)"),
		ExpressionAttributeValues: item{":pk": s(blastPK(id)), ":p": s(skReply)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read replies to blast %s: %w", id, err)
		}
		for _, it := range page.Items {
			var r blast.Reply
			if err := attributevalue.UnmarshalMapWithOptions(it, &r, jsonTagsDecode); err != nil {
				return nil, fmt.Errorf("decode reply to blast %s: %w", id, err)
			}
			out = append(out, r)
		}
	}
	return out, nil
}
