package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var _ blast.ReceiptStore = (*Store)(nil)

// sentBlastText returns the blast and the recipient's place a text with
// provider ID providerID went to, from its SENT item.
func (st *Store) sentBlastText(ctx context.Context, providerID string) (string, int, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &st.table, Key: keyOf(pSent+string(ticket.SMS)+"#"+providerID, skClaim),
		ProjectionExpression: aws.String("blastId, seq"),
	})
	if err != nil {
		return "", 0, fmt.Errorf("look up sent blast text: %w", err)
	}
	id, _ := out.Item["blastId"].(*types.AttributeValueMemberS)
	seq, _ := out.Item["seq"].(*types.AttributeValueMemberN)
	if id == nil || seq == nil {
		return "", 0, fmt.Errorf("look up sent blast text: %w", blast.ErrNotFound)
	}
	n, err := strconv.Atoi(seq.Value)
	if err != nil {
		return "", 0, fmt.Errorf("look up sent blast text: seq %q: %w", seq.Value, err)
	}
	return id.Value, n, nil
}

// RecordReceipt applies a delivery receipt to the recipient its text went
// to, found through the text's SENT item, in one transaction with the
// blast's counter: sent → delivered or failed (undelivered), and failed →
// delivered when a delivery is reported after a failure (the counters
// move with it). Each change is conditional on the status it starts from
// and on the provider ID, so a receipt delivered twice counts once and a
// failure reported after a delivery changes nothing. It reports whether
// the receipt changed anything.
func (st *Store) RecordReceipt(ctx context.Context, r blast.Receipt) (bool, error) {
	id, seq, err := st.sentBlastText(ctx, r.ProviderID)
	if err != nil {
		return false, err
	}
	key := keyOf(blastPK(id), recipientSK(seq))
	at := s(stamp(r.At))
	to, counter := blast.Failed, "undelivered"
	if r.Delivered {
		to, counter = blast.Delivered, "delivered"
	}
	step := func(from blast.RecipientStatus, counts ...types.TransactWriteItem) (bool, error) {
		err := st.transact(ctx, append([]types.TransactWriteItem{{Update: &types.Update{
			TableName: &st.table, Key: key,
			UpdateExpression:         aws.String("SET #s = :to, receiptAt = :at, #r = :r"),
			ConditionExpression:      aws.String("#s = :from AND providerId = :pid"),
			ExpressionAttributeNames: map[string]string{"#s": "status", "#r": "response"},
			ExpressionAttributeValues: item{
				":to": s(string(to)), ":from": s(string(from)), ":pid": s(r.ProviderID), ":at": at, ":r": s(r.Response),
			},
		}}}, counts...))
		if errors.Is(err, errConditionFailed) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("record delivery receipt on blast %s: %w", id, err)
		}
		return true, nil
	}
	changed, err := step(blast.Sent, st.count(id, seq, counter))
	if changed || err != nil || !r.Delivered {
		return changed, err
	}
	// Reported undelivered first, delivered now: the delivery is the later
	// word from the carrier.
	return step(blast.Failed, st.count(id, seq, "delivered"), st.uncount(id, seq, "undelivered"))
}

// uncount takes one off a blast counter. It shares the counter item with
// count, so it goes on another shard's item when both are in one
// transaction (a transaction may touch an item once).
func (st *Store) uncount(id string, seq int, counter string) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &st.table, Key: countKey(id, seq+1),
		UpdateExpression:          aws.String("ADD #c :minus"),
		ExpressionAttributeNames:  map[string]string{"#c": counter},
		ExpressionAttributeValues: item{":minus": n(-1)},
	}}
}
