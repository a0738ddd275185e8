package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Item types of the email channel.
const (
	pAlias         = "ALIAS#"
	pAck           = "ACK#"
	skUndeliver    = "UNDELIVERABLE"
	ackRateKeyKind = "ack"
	// attrRate names, on an acknowledgement claim, the hourly counter
	// the claim counted on.
	attrRate = "rateKey"
	// attrAliasHash is, on an alias claim, the content hash of the mail
	// that made it.
	attrAliasHash = "contentHash"
)

// ClaimAlias makes sourceID the canonical source for key (a sender and
// Message-ID pair) and records the content hash of its mail: the first
// delivery to claim a key wins, and every later delivery gets the
// winner's ID back, with same set when its content hash is the winner's
// (the same mail delivered again under another provider ID) and clear
// when it differs (another mail reusing the Message-ID). A claim made
// before hashes were recorded counts as the same. The claim is one
// conditional write, so two deliveries racing each other agree on one
// source.
func (st *Store) ClaimAlias(ctx context.Context, ch ticket.Channel, key, sourceID, contentHash string) (first string, same bool, err error) {
	pk := pAlias + ContactKey(string(ch), key)
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &st.table,
		Item: merge(keyOf(pk, skClaim), item{
			"sourceId":    s(sourceID),
			attrAliasHash: s(contentHash),
			attrTTL:       n(st.now().Add(st.SourceTTL).Unix()),
		}),
		ConditionExpression:                 aws.String("attribute_not_exists(PK)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var exists *types.ConditionalCheckFailedException
	if errors.As(err, &exists) {
		old := exists.Item
		if _, ok := old["sourceId"].(*types.AttributeValueMemberS); !ok {
			got, gerr := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &st.table, Key: keyOf(pk, skClaim), ConsistentRead: aws.Bool(true)})
			if gerr != nil {
				return "", false, fmt.Errorf("read alias of %s: %w", sourceID, gerr)
			}
			old = got.Item
		}
		v, ok := old["sourceId"].(*types.AttributeValueMemberS)
		if !ok || v.Value == "" {
			return "", false, fmt.Errorf("read alias of %s: no source in it", sourceID)
		}
		h, ok := old[attrAliasHash].(*types.AttributeValueMemberS)
		return v.Value, !ok || h.Value == "" || h.Value == contentHash, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("claim alias of %s: %w", sourceID, err)
	}
	return sourceID, true, nil
}

// MarkUndeliverable records that mail to addr failed permanently (a 5.x.x
// delivery status). The address itself is not in the key, only its hash.
func (st *Store) MarkUndeliverable(ctx context.Context, addr, status string, at time.Time) error {
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &st.table,
		Item: merge(keyOf(ContactKey("email", addr), skUndeliver), item{
			"status": s(status),
			"at":     s(stamp(at)),
		}),
	})
	if err != nil {
		return fmt.Errorf("mark address undeliverable: %w", err)
	}
	return nil
}

// Undeliverable reports whether mail to addr failed permanently before.
func (st *Store) Undeliverable(ctx context.Context, addr string) (bool, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &st.table, Key: keyOf(ContactKey("email", addr), skUndeliver), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return false, fmt.Errorf("look up undeliverable address: %w", err)
	}
	return out.Item != nil, nil
}

// ClaimMailAck reserves the one acknowledgement a ticket gets, counting it
// against the sender's hourly allowance in the same transaction. It fails
// reports false when the ticket had one, and fails with a
// *ticket.LimitError when the sender reached max acknowledgements in
// window.
func (st *Store) ClaimMailAck(ctx context.Context, id ticket.ID, sender string, max int, window time.Duration) (bool, error) {
	now := st.now()
	start := now.Truncate(window)
	rate := pRate + ContactKey(ackRateKeyKind, sender) + "#" + strconv.FormatInt(start.Unix(), 10)
	_, err := st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{
				TableName: &st.table,
				// The claim names the hourly counter it counted on, so
				// that a release gives the hit back to that very hour.
				Item:                merge(keyOf(pAck+string(id), skClaim), item{"at": s(stamp(now)), attrRate: s(rate)}),
				ConditionExpression: aws.String("attribute_not_exists(PK)"),
			}},
			{Update: &types.Update{
				TableName:                &st.table,
				Key:                      keyOf(rate, skClaim),
				UpdateExpression:         aws.String("ADD hits :one SET #ttl = :ttl"),
				ConditionExpression:      aws.String("attribute_not_exists(hits) OR hits < :max"),
				ExpressionAttributeNames: map[string]string{"#ttl": attrTTL},
				ExpressionAttributeValues: item{
					":one": n(1), ":max": n(int64(max)), ":ttl": n(start.Add(2 * window).Unix()),
				},
			}},
		},
	})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		for i, r := range canceled.CancellationReasons {
			if aws.ToString(r.Code) != "ConditionalCheckFailed" {
				continue
			}
			if i == 0 {
				return false, nil
			}
			return false, &ticket.LimitError{Key: "ack", RetryAfter: start.Add(window).Sub(now)}
		}
	}
	if err != nil {
		return false, fmt.Errorf("claim acknowledgement of %s: %w", id, err)
	}
	return true, nil
}

// ReleaseMailAck gives back a ticket's acknowledgement claim when sending it
// failed, so a retry can send it, and the hit it counted on the sender's
// hourly allowance, so a failed send does not use the allowance up.
// Releasing a claim that is gone already does nothing. It runs even when
// ctx is cancelled.
func (st *Store) ReleaseMailAck(ctx context.Context, id ticket.ID) error {
	ctx, cancel := releaseContext(ctx)
	defer cancel()
	key := keyOf(pAck+string(id), skClaim)
	got, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &st.table, Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("release acknowledgement of %s: %w", id, err)
	}
	at, ok := got.Item["at"].(*types.AttributeValueMemberS)
	if !ok {
		return nil
	}
	// API has no DeleteItem; a transaction deletes just as well, and the
	// claim as read is deleted only once: a second release finds it gone.
	release := types.TransactWriteItem{Delete: &types.Delete{
		TableName: &st.table, Key: key,
		ConditionExpression:       aws.String("#at = :at"),
		ExpressionAttributeNames:  map[string]string{"#at": "at"},
		ExpressionAttributeValues: item{":at": at},
	}}
	items := []types.TransactWriteItem{release}
	if rate, ok := got.Item[attrRate].(*types.AttributeValueMemberS); ok {
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                 &st.table,
			Key:                       keyOf(rate.Value, skClaim),
			UpdateExpression:          aws.String("ADD hits :minus"),
			ConditionExpression:       aws.String("hits > :zero"),
			ExpressionAttributeValues: item{":minus": n(-1), ":zero": n(0)},
		}})
	}
	_, err = st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var canceled *types.TransactionCanceledException
	// The claim matters more than the hit: whatever stopped the pair (the
	// claim released or claimed anew since it was read, the hour's counter
	// gone with its TTL or at zero, another claim writing the counter at
	// this moment), the claim is released on its own, a few times if it
	// conflicts, so the retry can still acknowledge.
	for try := 0; errors.As(err, &canceled) && try < 4; try++ {
		if reasons := canceled.CancellationReasons; len(reasons) > 0 && aws.ToString(reasons[0].Code) == "ConditionalCheckFailed" {
			// Released (or claimed anew) since it was read.
			return nil
		}
		_, err = st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{release}})
	}
	if err != nil {
		return fmt.Errorf("release acknowledgement of %s: %w", id, err)
	}
	return nil
}

// IndexSent indexes one more provider ID for a message Frontdesk sent (SES
// rewrites the Message-ID of what it sends; replies may quote either).
func (st *Store) IndexSent(ctx context.Context, ch ticket.Channel, providerID string, id ticket.ID, messageID string) error {
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &st.table,
		Item: merge(keyOf(sentPK(ch, providerID), skClaim), item{
			"ticketId": s(string(id)), "messageId": s(messageID),
		}),
	})
	if err != nil {
		return fmt.Errorf("index sent message of %s: %w", id, err)
	}
	return nil
}
