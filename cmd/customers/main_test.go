package main

import (
	"context"
	"testing"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// TestRunLoadsTheDirectory runs the command against DynamoDB Local, with
// the endpoint and credentials from the environment as an operator would.
func TestRunLoadsTheDirectory(t *testing.T) {
	store, _ := testenv.Table(t)
	endpoint := testenv.Endpoint(t, testenv.EnvDynamoDB)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
	t.Setenv("AWS_REGION", awslocal.Region)
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	ctx := context.Background()
	if err := run(ctx, store.Table(), "CN", "testdata/customers.csv", false); err != nil {
		t.Fatalf("run: %v", err)
	}
	d := dynamo.NewDirectory(awslocal.DynamoDB(endpoint), store.Table())
	got, err := d.Lookup(ctx, ticket.Contact{Phone: "+8613800138000"})
	if err != nil || !got.VIP || got.AccountManager != "wang.fang" {
		t.Errorf("Lookup after loading = %+v, %v, want VIP with wang.fang", got, err)
	}
}

func TestRunRefusesABadFile(t *testing.T) {
	if err := run(context.Background(), "unused", "CN", "main.go", true); err == nil {
		t.Error("run(main.go) = nil, want a header error")
	}
}
