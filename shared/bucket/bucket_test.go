package bucket_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/bucket"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func TestPutOpen(t *testing.T) {
	ctx := context.Background()
	c := awslocal.S3(testenv.Endpoint(t, testenv.EnvFauxqs))
	name := "b-" + strings.ToLower(string(ticket.NewID(time.Now())))
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatal(err)
	}
	st := bucket.New(c)
	want := "附件内容 attachment bytes"
	if err := st.Put(ctx, name, "attachments/x/1-a.txt", "text/plain", []byte(want)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	r, size, err := st.Open(ctx, name, "attachments/x/1-a.txt")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if string(got) != want || size != int64(len(want)) {
		t.Errorf("Open = %q (%d bytes), want %q (%d)", got, size, want, len(want))
	}
	big := []byte(strings.Repeat("0123456789abcdef", bucket.PartSize/16*2+1000))
	if err := st.Put(ctx, name, "inbound/big", "message/rfc822", big); err != nil {
		t.Fatalf("Put(%d bytes): %v", len(big), err)
	}
	r, size, err = st.Open(ctx, name, "inbound/big")
	if err != nil {
		t.Fatalf("Open(big): %v", err)
	}
	got, _ = io.ReadAll(r)
	r.Close()
	if string(got) != string(big) || size != int64(len(big)) {
		t.Errorf("Open(big) = %d bytes (size %d), want the %d bytes put in parts", len(got), size, len(big))
	}
	if _, _, err := st.Open(ctx, name, "inbound/missing"); !errors.Is(err, ticket.ErrNotFound) {
		t.Errorf("Open(missing) error = %v, want ticket.ErrNotFound", err)
	}
}
