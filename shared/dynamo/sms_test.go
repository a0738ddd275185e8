package dynamo_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// lossyHTTP passes requests to DynamoDB Local, but answers the next one
// whose X-Amz-Target ends in lose with a 500 once DynamoDB has handled it:
// the write happened, its answer was lost, and the SDK retries it.
type lossyHTTP struct {
	inner aws.HTTPClient
	lose  atomic.Pointer[string]
	lost  atomic.Int64
}

func (c *lossyHTTP) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.inner.Do(req)
	op := c.lose.Load()
	if err != nil || op == nil || !strings.HasSuffix(req.Header.Get("X-Amz-Target"), "."+*op) || !c.lose.CompareAndSwap(op, nil) {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	c.lost.Add(1)
	return &http.Response{
		Status: "500 Internal Server Error", StatusCode: http.StatusInternalServerError,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
		Body:    io.NopCloser(strings.NewReader(`{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"answer lost"}`)),
		Request: req,
	}, nil
}

// loseNext makes the next call of op lose its answer.
func (c *lossyHTTP) loseNext(op string) { c.lose.Store(&op) }

// lossyStore returns a store over a fresh table whose client loses answers
// when told to, and a store over the same table that does not.
func lossyStore(tb testing.TB) (lossy *dynamo.Store, st *dynamo.Store, net *lossyHTTP) {
	tb.Helper()
	st, _ = testenv.Table(tb)
	net = &lossyHTTP{inner: &http.Client{Timeout: 30 * time.Second}}
	client := dynamodb.NewFromConfig(awslocal.Config(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(testenv.Endpoint(tb, testenv.EnvDynamoDB))
		o.DisableValidateResponseChecksum = true
		o.HTTPClient = net
	})
	lossy = dynamo.New(client, st.Table())
	lossy.Now, st.Now = func() time.Time { return t0 }, func() time.Time { return t0 }
	return lossy, st, net
}

// TestClaimsSurviveALostAnswer: a claim whose write went through but whose
// answer was lost is retried by the SDK; the retry must find the claim its
// own, and a second caller must still find it taken.
func TestClaimsSurviveALostAnswer(t *testing.T) {
	lossy, st, net := lossyStore(t)
	ctx := context.Background()
	src := ticket.Source{Channel: ticket.SMS, ID: "kw-lost-answer"}

	net.loseNext("UpdateItem")
	if ok, err := lossy.ClaimSend(ctx, "sms-keyword#"+src.ID); err != nil || !ok {
		t.Errorf("ClaimSend with its answer lost = %v, %v, want true", ok, err)
	}
	if ok, err := st.ClaimSend(ctx, "sms-keyword#"+src.ID); err != nil || ok {
		t.Errorf("ClaimSend by a second delivery = %v, %v, want false", ok, err)
	}

	id := ticket.NewID(t0)
	net.loseNext("UpdateItem")
	if ok, err := lossy.ClaimAck(ctx, id, t0, 10*time.Minute, ""); err != nil || !ok {
		t.Errorf("ClaimAck with its answer lost = %v, %v, want true", ok, err)
	}
	// Another delivery at the very same instant is still turned away.
	if ok, err := st.ClaimAck(ctx, id, t0, 10*time.Minute, ""); err != nil || ok {
		t.Errorf("ClaimAck by a second delivery = %v, %v, want false", ok, err)
	}
	if n := net.lost.Load(); n != 2 {
		t.Fatalf("%d answers lost, want 2: the test did not exercise the retry", n)
	}
}

// TestReleaseAfterCancel gives claims back on a context that is already
// cancelled (the request timed out): the release still happens.
func TestReleaseAfterCancel(t *testing.T) {
	st, _ := testenv.Table(t)
	st.Now = func() time.Time { return t0 }
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()

	src := ticket.Source{Channel: ticket.SMS, ID: "kw-cancelled"}
	if ok, err := st.ClaimSend(ctx, "sms-keyword#"+src.ID); err != nil || !ok {
		t.Fatalf("ClaimSend = %v, %v", ok, err)
	}
	if err := st.ReleaseSend(cancelled, "sms-keyword#"+src.ID); err != nil {
		t.Errorf("ReleaseSend(cancelled) = %v, want nil", err)
	}
	if ok, err := st.ClaimSend(ctx, "sms-keyword#"+src.ID); err != nil || !ok {
		t.Errorf("ClaimSend after release = %v, %v, want true", ok, err)
	}

	id := ticket.NewID(t0)
	if ok, err := st.ClaimAck(ctx, id, t0, 10*time.Minute, ""); err != nil || !ok {
		t.Fatalf("ClaimAck = %v, %v", ok, err)
	}
	if err := st.ReleaseAck(cancelled, id, t0); err != nil {
		t.Errorf("ReleaseAck(cancelled) = %v, want nil", err)
	}
	if ok, err := st.ClaimAck(ctx, id, t0.Add(time.Minute), 10*time.Minute, ""); err != nil || !ok {
		t.Errorf("ClaimAck after release = %v, %v, want true", ok, err)
	}

	if ok, err := st.CountMailAck(ctx, "a@example.com", t0, 1, time.Hour); err != nil || !ok {
		t.Fatalf("CountMailAck = %v, %v", ok, err)
	}
	if err := st.UncountMailAck(cancelled, "a@example.com", t0, time.Hour); err != nil {
		t.Errorf("UncountMailAck(cancelled) = %v, want nil", err)
	}
	if ok, err := st.CountMailAck(ctx, "a@example.com", t0, 1, time.Hour); err != nil || !ok {
		t.Errorf("CountMailAck after a give-back = %v, %v, want true", ok, err)
	}
}
