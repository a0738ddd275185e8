package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// pSweep keys a scheduled job's progress: SWEEP#<job>.
const pSweep = "SWEEP#"

// SweptUntil returns the instant up to which the job last finished, or
// ticket.ErrNotFound before its first run.
func (st *Store) SweptUntil(ctx context.Context, job string) (time.Time, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &st.table, Key: keyOf(pSweep+job, skClaim), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("read sweep %s: %w", job, err)
	}
	v, ok := out.Item["until"].(*types.AttributeValueMemberS)
	if !ok {
		return time.Time{}, ticket.ErrNotFound
	}
	t, err := time.Parse(time.RFC3339Nano, v.Value)
	if err != nil {
		return time.Time{}, fmt.Errorf("read sweep %s: %w", job, err)
	}
	return t, nil
}

// SetSweptUntil records that the job finished up to until. It only ever
// moves forward: a slower overlapping run that finishes later does not
// move it back.
func (st *Store) SetSweptUntil(ctx context.Context, job string, until time.Time) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.table, Key: keyOf(pSweep+job, skClaim),
		UpdateExpression:          aws.String("SET #until = :u"),
		ConditionExpression:       aws.String("attribute_not_exists(#until) OR #until < :u"),
		ExpressionAttributeNames:  map[string]string{"#until": "until"},
		ExpressionAttributeValues: item{":u": s(stamp(until))},
	})
	var cf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &cf) {
		return fmt.Errorf("record sweep %s: %w", job, err)
	}
	return nil
}
