// Package testenv connects integration tests to the emulators that
// `make test` starts (through `go run ./local with`). A test that needs an
// emulator fails when it is missing; only -short skips it, out loud.
package testenv

import (
	"context"
	"net"
	"os"
	"strings"
	"sync"
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
//
// The table has no stream: DynamoDB Local keeps stream records server-wide
// and every write slows as they pile up, so on one emulator shared by the
// whole suite a table with a stream makes every later test (and a
// benchmark's figure) slower. Tests that read the stream use StreamTable.
func Table(tb testing.TB) (*dynamo.Store, *dynamodb.Client) {
	tb.Helper()
	return table(tb, false)
}

// StreamTable is Table with the table's stream on, as deployed: for the
// tests of what reads the stream (the notifier).
func StreamTable(tb testing.TB) (*dynamo.Store, *dynamodb.Client) {
	tb.Helper()
	return table(tb, true)
}

func table(tb testing.TB, stream bool) (*dynamo.Store, *dynamodb.Client) {
	tb.Helper()
	client := awslocal.DynamoDB(Endpoint(tb, EnvDynamoDB))
	name := "t-" + strings.ToLower(string(ticket.NewID(time.Now())))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var err error
	if stream {
		err = dynamo.CreateTable(ctx, client, name)
	} else {
		err = streamlessTable(ctx, client, name)
	}
	if err != nil {
		tb.Fatalf("create test table: %v", err)
	}
	tb.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return dynamo.New(client, name), client
}

// streamlessTable creates the ticket table without its stream.
func streamlessTable(ctx context.Context, c *dynamodb.Client, name string) error {
	def := dynamo.TableDefinition(name)
	def.StreamSpecification = nil
	if _, err := c.CreateTable(ctx, def); err != nil {
		return err
	}
	return dynamodb.NewTableExistsWaiter(c).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute)
}

// Stalled listens on 127.0.0.1 and accepts connections without ever
// answering: a dependency that hangs. It returns its URL and closes
// everything at the test's end.
func Stalled(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}
