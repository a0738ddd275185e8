package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// MaxQuarantinePayload is the most payload bytes kept in a quarantine
// item; larger deliveries keep only their object key (DynamoDB items stop
// at 400 KB).
const MaxQuarantinePayload = 300 << 10

// Quarantine keeps a delivery that could not become a ticket. The same
// channel and ID twice keeps the first record (redeliveries of a poison
// message do not pile up).
func (st *Store) Quarantine(ctx context.Context, q ticket.Quarantined) error {
	if q.ID == "" {
		q.ID = string(ticket.NewID(st.now()))
	}
	// The ID comes from outside: kept as it may stand in a key, and
	// listed that way, so a replay marks the very item.
	q.ID = KeyPart(q.ID)
	if q.At.IsZero() {
		q.At = st.now().UTC()
	}
	if len(q.Payload) > MaxQuarantinePayload {
		q.Payload = q.Payload[:MaxQuarantinePayload]
		q.Reason += fmt.Sprintf(" (payload cut to %d bytes)", MaxQuarantinePayload)
	}
	av, err := attributevalue.MarshalMapWithOptions(q, jsonTags)
	if err != nil {
		return fmt.Errorf("encode quarantine %s: %w", q.ID, err)
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           &st.table,
		Item:                merge(keyOf(pQuarantine+string(q.Channel), q.ID), av),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	var exists *types.ConditionalCheckFailedException
	if errors.As(err, &exists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("quarantine %s %s: %w", q.Channel, q.ID, err)
	}
	return nil
}

// Quarantined lists a channel's quarantined deliveries, oldest first;
// replayed ones are left out unless all is set.
func (st *Store) Quarantined(ctx context.Context, ch ticket.Channel, all bool) ([]ticket.Quarantined, error) {
	var out []ticket.Quarantined
	p := dynamodb.NewQueryPaginator(st.db, &dynamodb.QueryInput{
		TableName:                 &st.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: item{":pk": s(pQuarantine + string(ch))},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list quarantine %s: %w", ch, err)
		}
		for _, it := range page.Items {
			var q ticket.Quarantined
			if err := attributevalue.UnmarshalMapWithOptions(it, &q, jsonTagsDecode); err != nil {
				return nil, fmt.Errorf("decode quarantine item: %w", err)
			}
			if all || q.Replayed.IsZero() {
				out = append(out, q)
			}
		}
	}
	return out, nil
}

// MarkReplayed records that a quarantined delivery was replayed at at.
func (st *Store) MarkReplayed(ctx context.Context, ch ticket.Channel, id string, at time.Time) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &st.table,
		Key:                       keyOf(pQuarantine+string(ch), KeyPart(id)),
		UpdateExpression:          aws.String("SET replayed = :at"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: item{":at": s(at.UTC().Format(time.RFC3339Nano))},
	})
	if err != nil {
		return fmt.Errorf("mark quarantine %s %s replayed: %w", ch, id, err)
	}
	return nil
}
