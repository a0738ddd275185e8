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

// FollowUps are one local day's callback and return-visit counts, read
// from the report counters the changes maintained (ticket.Count).
type FollowUps struct {
	Date            string `json:"date"`
	CallbacksDone   int    `json:"callbacksDone"`
	CallbacksMissed int    `json:"callbacksMissed"`
	// VisitsSent counts surveys sent; VisitsNotVisitable visits closed
	// unsent because the customer cannot be reached (opted out, no
	// contact, undeliverable); VisitsRecent visits closed unsent because
	// the customer was surveyed recently.
	VisitsSent         int `json:"visitsSent"`
	VisitsNotVisitable int `json:"visitsNotVisitable"`
	VisitsRecent       int `json:"visitsRecentlySurveyed"`
	// VisitsAnswered counts survey answers, VisitsSatisfied those scoring
	// 4 or 5.
	VisitsAnswered  int `json:"visitsAnswered"`
	VisitsSatisfied int `json:"visitsSatisfied"`
}

// FollowUps returns the follow-up counts of the local date day
// (YYYY-MM-DD in the store's Zone): one query of the day's counters.
func (st *Store) FollowUps(ctx context.Context, day string) (FollowUps, error) {
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return FollowUps{}, fmt.Errorf("follow-up date %q is not YYYY-MM-DD", day)
	}
	c, err := st.counters(ctx, pReport+day)
	if err != nil {
		return FollowUps{}, err
	}
	return FollowUps{
		Date:          day,
		CallbacksDone: c[ticket.CountCallbacksDone], CallbacksMissed: c[ticket.CountCallbacksMissed],
		VisitsSent: c[ticket.CountVisitsSent], VisitsNotVisitable: c[ticket.CountVisitsUnreachable],
		VisitsRecent: c[ticket.CountVisitsRecent], VisitsAnswered: c[ticket.CountVisitsAnswered],
		VisitsSatisfied: c[ticket.CountVisitsSatisfied],
	}, nil
}

// pPublish keys a publication to staff (a worklist, a daily digest):
// PUBLISH#<key>.
const pPublish = "PUBLISH#"

// publishKeep is how long a publication's claim is kept: far longer than
// any run is retried.
const publishKeep = 90 * 24 * time.Hour

func publishKey(key string) map[string]types.AttributeValue { return keyOf(pPublish+key, skClaim) }

// ClaimPublish takes the publication key for a run started at at. It
// reports false when the publication went out already, or another run
// claimed it less than timeout before at (it may still be publishing);
// a claim older than that belonged to a run that died, and is taken over.
func (st *Store) ClaimPublish(ctx context.Context, key string, at time.Time, timeout time.Duration) (bool, error) {
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &st.table,
		Item: merge(publishKey(key), item{
			"claimedAt": s(stamp(at)), attrTTL: n(at.Add(publishKeep).Unix()),
		}),
		ConditionExpression:       aws.String("attribute_not_exists(#pk) OR (attribute_not_exists(publishedAt) AND claimedAt <= :cutoff)"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: item{":cutoff": s(stamp(at.Add(-timeout)))},
	})
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim publication %s: %w", key, err)
	}
	return true, nil
}

// Published records that the publication key claimed at at went out:
// no later run publishes it again.
func (st *Store) Published(ctx context.Context, key string, at, published time.Time) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.table, Key: publishKey(key),
		UpdateExpression:          aws.String("SET publishedAt = :p"),
		ConditionExpression:       aws.String("claimedAt = :at"),
		ExpressionAttributeValues: item{":at": s(stamp(at)), ":p": s(stamp(published))},
	})
	if err != nil {
		return fmt.Errorf("record publication %s: %w", key, err)
	}
	return nil
}

// ReleasePublish gives back the claim taken at at on a publication that
// did not go out, so the platform's retry publishes it. It runs even when
// ctx is cancelled.
func (st *Store) ReleasePublish(ctx context.Context, key string, at time.Time) error {
	ctx, cancel := releaseContext(ctx)
	defer cancel()
	// The claim is dated long ago rather than deleted: the next run takes
	// it over at once.
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.table, Key: publishKey(key),
		UpdateExpression:          aws.String("SET claimedAt = :never"),
		ConditionExpression:       aws.String("claimedAt = :at AND attribute_not_exists(publishedAt)"),
		ExpressionAttributeValues: item{":at": s(stamp(at)), ":never": s(stamp(time.Unix(0, 0)))},
	})
	var cf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &cf) {
		return fmt.Errorf("release publication %s: %w", key, err)
	}
	return nil
}
