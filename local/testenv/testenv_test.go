package testenv

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// TestTableStreams: a test's table has the ticket table's stream, a
// benchmark's has none, and each gets a table of its own.
func TestTableStreams(t *testing.T) {
	streamOf := func(tb testing.TB) (string, bool) {
		store, client := Table(tb)
		out, err := client.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(store.Table())})
		if err != nil {
			tb.Fatal(err)
		}
		s := out.Table.StreamSpecification
		return store.Table(), s != nil && aws.ToBool(s.StreamEnabled)
	}
	name, stream := streamOf(t)
	if !stream {
		t.Errorf("test table %s has no stream, want the ticket table's", name)
	}
	var benchNames []string
	var benchStream bool
	testing.Benchmark(func(b *testing.B) {
		n, s := streamOf(b)
		benchNames = append(benchNames, n)
		benchStream = benchStream || s
	})
	if len(benchNames) == 0 || benchStream {
		t.Errorf("benchmark tables %v: stream %v, want tables without a stream", benchNames, benchStream)
	}
	for _, n := range benchNames {
		if n == name {
			t.Errorf("benchmark reused the test's table %s", n)
		}
	}
}
