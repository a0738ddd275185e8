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
	skUndeliver    = "UNDELIVERABLE"
	ackRateKeyKind = "ack"
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

// CountMailAck counts one acknowledgement mailed to addr against its
// allowance for the window of length window holding at (an hour by
// default in outbound), and reports false, counting nothing, when max
// were counted in that window already. The counter's key hides the
// address.
func (st *Store) CountMailAck(ctx context.Context, addr string, at time.Time, max int, window time.Duration) (bool, error) {
	start := at.UTC().Truncate(window)
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &st.table,
		Key:                      keyOf(mailAckPK(addr, start), skClaim),
		UpdateExpression:         aws.String("ADD hits :one SET #ttl = :ttl"),
		ConditionExpression:      aws.String("attribute_not_exists(hits) OR hits < :max"),
		ExpressionAttributeNames: map[string]string{"#ttl": attrTTL},
		ExpressionAttributeValues: item{
			":one": n(1), ":max": n(int64(max)), ":ttl": n(start.Add(2 * window).Unix()),
		},
	})
	var full *types.ConditionalCheckFailedException
	if errors.As(err, &full) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("count mail acknowledgement: %w", err)
	}
	return true, nil
}

// UncountMailAck gives back one acknowledgement CountMailAck counted at
// at, to that very window, when sending it failed, so that a failed send
// does not use the allowance up. It never takes a counter below zero, and
// it runs even when ctx is cancelled.
func (st *Store) UncountMailAck(ctx context.Context, addr string, at time.Time, window time.Duration) error {
	ctx, cancel := releaseContext(ctx)
	defer cancel()
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &st.table,
		Key:                       keyOf(mailAckPK(addr, at.UTC().Truncate(window)), skClaim),
		UpdateExpression:          aws.String("ADD hits :minus"),
		ConditionExpression:       aws.String("hits > :zero"),
		ExpressionAttributeValues: item{":minus": n(-1), ":zero": n(0)},
	})
	var gone *types.ConditionalCheckFailedException
	if errors.As(err, &gone) {
		// The window's counter is at zero or expired with its TTL.
		return nil
	}
	if err != nil {
		return fmt.Errorf("give back mail acknowledgement: %w", err)
	}
	return nil
}

func mailAckPK(addr string, start time.Time) string {
	return pRate + ContactKey(ackRateKeyKind, addr) + "#" + strconv.FormatInt(start.Unix(), 10)
}
