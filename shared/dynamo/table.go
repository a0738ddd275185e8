// Package dynamo stores tickets in one DynamoDB table. The table holds
// every item type (tickets, messages, history, contact links, due entries,
// source claims, references, rate counters, quarantine); the README
// documents the layout.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute and index names of the table.
const (
	attrPK  = "PK"
	attrSK  = "SK"
	attrTTL = "ttl"
	// ContactIndex finds a contact's open tickets, newest first.
	ContactIndex = "ContactIndex"
	attrCPK      = "CPK"
	attrCSK      = "CSK"
	// DueIndex finds what falls due in a time range, bucketed by hour.
	DueIndex = "DueIndex"
	attrDPK  = "DPK"
	attrDSK  = "DSK"
	// ListIndex lists tickets newest first, bucketed by day.
	ListIndex = "ListIndex"
	attrLPK   = "LPK"
	attrLSK   = "LSK"
	// DeskIndex lists a queue's tickets as a desk works them: open ones
	// most urgent first (priority, then the nearest running limit),
	// finished ones most recent first.
	DeskIndex = "DeskIndex"
	attrQPK   = "QPK"
	attrQSK   = "QSK"
	// AgentIndex lists the open tickets a member of staff owns, in the
	// same order.
	AgentIndex = "AgentIndex"
	attrAPK    = "APK"
	attrASK    = "ASK"
	// TTLAttribute holds the epoch second after which DynamoDB may delete
	// an item (rate counters, source claims).
	TTLAttribute = attrTTL
)

// TableDefinition is the table, as CreateTable takes it. template.yaml
// declares the same table; a test keeps the two equal.
func TableDefinition(name string) *dynamodb.CreateTableInput {
	str := func(n string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS}
	}
	key := func(pk, sk string) []types.KeySchemaElement {
		return []types.KeySchemaElement{
			{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange},
		}
	}
	gsi := func(name, pk, sk string) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{
			IndexName:  aws.String(name),
			KeySchema:  key(pk, sk),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}
	}
	return &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			str(attrPK), str(attrSK), str(attrCPK), str(attrCSK), str(attrDPK), str(attrDSK), str(attrLPK), str(attrLSK),
			str(attrQPK), str(attrQSK), str(attrAPK), str(attrASK),
		},
		KeySchema: key(attrPK, attrSK),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			gsi(ContactIndex, attrCPK, attrCSK),
			gsi(DueIndex, attrDPK, attrDSK),
			gsi(ListIndex, attrLPK, attrLSK),
			gsi(DeskIndex, attrQPK, attrQSK),
			gsi(AgentIndex, attrAPK, attrASK),
		},
		BillingMode: types.BillingModePayPerRequest,
		StreamSpecification: &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewTypeNewAndOldImages,
		},
	}
}

// CreateTable creates the table with TTL on, and waits until it is active.
// A table that already exists is left as it is.
func CreateTable(ctx context.Context, c *dynamodb.Client, name string) error {
	_, err := c.CreateTable(ctx, TableDefinition(name))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	if err == nil {
		_, err = c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{
				AttributeName: aws.String(attrTTL), Enabled: aws.Bool(true),
			},
		})
		if err != nil {
			return fmt.Errorf("enable ttl on %s: %w", name, err)
		}
	}
	return nil
}
