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

// pSurvey keys a customer's last survey: SURVEY#<contact key>.
const pSurvey = "SURVEY#"

// ClaimSurvey records that the customer with contact key (ContactKey)
// is surveyed about ticket id at at, unless they were surveyed about
// another ticket within every before at: then it reports false. The same
// ticket claiming again (a retried run) gets true, so the claim is
// idempotent per ticket and atomic between tickets.
func (st *Store) ClaimSurvey(ctx context.Context, contact string, id ticket.ID, at time.Time, every time.Duration) (bool, error) {
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &st.table,
		Item: merge(keyOf(pSurvey+contact, skClaim), item{
			"ticketId": s(string(id)), "surveyedAt": s(stamp(at)),
		}),
		ConditionExpression:       aws.String("attribute_not_exists(#pk) OR surveyedAt <= :cutoff OR ticketId = :id"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: item{":cutoff": s(stamp(at.Add(-every))), ":id": s(string(id))},
	})
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim survey for ticket %s: %w", id, err)
	}
	return true, nil
}
