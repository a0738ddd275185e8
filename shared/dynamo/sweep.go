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

// Due is one entry of the due index: something about a ticket falls due.
type Due struct {
	Kind     string          `dynamodbav:"due"`
	At       time.Time       `dynamodbav:"at"`
	TicketID ticket.ID       `dynamodbav:"ticketId"`
	Ref      ticket.Ref      `dynamodbav:"ref"`
	Type     ticket.Kind     `dynamodbav:"kind"`
	Priority ticket.Priority `dynamodbav:"priority"`
	Owner    string          `dynamodbav:"owner"`
}

// DueBetween returns the entries of a due kind that fall due in
// [from, to), in time order, reading only that kind's hourly buckets of
// the range: never a scan.
func (st *Store) DueBetween(ctx context.Context, kind string, from, to time.Time) ([]Due, error) {
	var out []Due
	for b := from.UTC().Truncate(time.Hour); b.Before(to); b = b.Add(time.Hour) {
		p := dynamodb.NewQueryPaginator(st.db, &dynamodb.QueryInput{
			TableName:              &st.table,
			IndexName:              aws.String(DueIndex),
			KeyConditionExpression: aws.String("DPK = :b AND DSK BETWEEN :from AND :to"),
			ExpressionAttributeValues: item{
				":b": s(dueBucket(kind, b)), ":from": s(stamp(from)),
				// "#" sorts before digits, so the upper bound is exclusive.
				":to": s(stamp(to)),
			},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("read due index %s: %w", dueBucket(kind, b), err)
			}
			for _, it := range page.Items {
				var d Due
				if err := attributevalue.UnmarshalMap(it, &d); err != nil {
					return nil, fmt.Errorf("decode due entry: %w", err)
				}
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// Due kinds kept in DueIndex. Each kind has its own hourly buckets, so a
// sweep reads only the kind it handles.
const (
	DueAck      = ticket.DueAck
	DueResolve  = ticket.DueResolve
	DueCallback = "callback"
	// DueEscalate is when a breach climbs to the next ladder level.
	DueEscalate = "escalate"
	// DueWait is when a wait on a silent customer needs its next step.
	DueWait = "wait"
	// DueCallbackAgent is when the owning agent is reminded of a callback.
	DueCallbackAgent = "cbagent"
	// DueCallbackMissed is when a callback's window ends: missed unless
	// staff recorded how it went.
	DueCallbackMissed = "cbmissed"
	// DueCallbackCustomer is when the customer is next messaged about a
	// callback (the reminder, or that we tried).
	DueCallbackCustomer = "cbcustomer"
	// DueVisit is when a return visit needs its next step: the survey, or
	// closing it unanswered.
	DueVisit = "visit"
)

// DueKinds lists the due kinds a ticket can have.
var DueKinds = []string{DueAck, DueResolve, DueCallback, DueEscalate, DueWait,
	DueCallbackAgent, DueCallbackMissed, DueCallbackCustomer, DueVisit}
