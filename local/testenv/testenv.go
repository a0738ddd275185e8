// Package testenv connects integration tests to the emulators that
// `make test` starts (through `go run ./local with`). A test that needs an
// emulator fails when it is missing; only -short skips it, out loud.
package testenv

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Environment variables `go run ./local with` sets for tests.
const (
	EnvDynamoDB = "FRONTDESK_TEST_DYNAMODB"
	EnvFauxqs   = "FRONTDESK_TEST_FAUXQS"
	EnvSES      = "FRONTDESK_TEST_SES"
)

// Endpoint returns the emulator endpoint in env, failing the test (or
// skipping it under -short) when there is none.
func Endpoint(tb testing.TB, env string) string {
	tb.Helper()
	v := os.Getenv(env)
	if v == "" {
		if testing.Short() {
			tb.Skipf("integration test skipped under -short: %s is not set", env)
		}
		tb.Fatalf("%s is not set: integration tests run under `make test`, which starts the emulators (or `go run ./local with -- go test ./...`)", env)
	}
	return v
}

// Table creates a fresh ticket table for the test on DynamoDB Local and
// returns a store over it and the client; the table is deleted afterwards.
func Table(tb testing.TB) (*dynamo.Store, *dynamodb.Client) {
	tb.Helper()
	client := awslocal.DynamoDB(Endpoint(tb, EnvDynamoDB))
	name := "t-" + strings.ToLower(string(ticket.NewID(time.Now())))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := dynamo.CreateTable(ctx, client, name); err != nil {
		tb.Fatalf("create test table: %v", err)
	}
	tb.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return dynamo.New(client, name), client
}
