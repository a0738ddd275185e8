package testenv

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/frontdesk/frontdesk/shared/dynamo"
)

// TestTableStreams: Table gives a test or a benchmark a table of its own
// without a stream; StreamTable gives one with the ticket table's stream.
func TestTableStreams(t *testing.T) {
	streamOf := func(tb testing.TB, make func(testing.TB) (*dynamo.Store, *dynamodb.Client)) (string, bool) {
		store, client := make(tb)
		out, err := client.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(store.Table())})
		if err != nil {
			tb.Fatal(err)
		}
		s := out.Table.StreamSpecification
		return store.Table(), s != nil && aws.ToBool(s.StreamEnabled)
	}
	name, stream := streamOf(t, Table)
	if stream {
		t.Errorf("test table %s has a stream, want none", name)
	}
	streamed, stream := streamOf(t, StreamTable)
	if !stream {
		t.Errorf("stream table %s has no stream, want the ticket table's", streamed)
	}
	var benchNames []string
	var benchStream bool
	testing.Benchmark(func(b *testing.B) {
		n, s := streamOf(b, Table)
		benchNames = append(benchNames, n)
		benchStream = benchStream || s
	})
	if len(benchNames) == 0 || benchStream {
		t.Errorf("benchmark tables %v: stream %v, want tables without a stream", benchNames, benchStream)
	}
	for _, n := range append(benchNames, streamed) {
		if n == name {
			t.Errorf("table %s used twice", n)
		}
	}
}
