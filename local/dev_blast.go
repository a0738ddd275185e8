package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/sqspoll"
	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/blastsender"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// localBlastBucket holds uploaded audiences on fauxqs's S3.
const localBlastBucket = "frontdesk-local-blast"

// localBlastPace is the default local pace: a 2,000-number blast drains in
// a few minutes, slowly enough to watch.
const localBlastPace = 10

func init() {
	setups = append(setups, struct {
		name string
		fn   func(*stack, context.Context) error
	}{"blasts", (*stack).blasts})
}

// blasts wires notification blasts as Lambda runs them: the staff routes
// behind the local authorizer, the send queue on fauxqs polled by the real
// sender (texts go to the local outbox, at the pace), and audience uploads
// presigned against fauxqs's S3.
func (st *stack) blasts(ctx context.Context) error {
	fx := st.emus.fauxqs.URL
	s3c, sqsc := awslocal.S3(fx), awslocal.SQS(fx)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(localBlastBucket)}); err != nil && !strings.Contains(err.Error(), "BucketAlready") {
		return fmt.Errorf("create blast bucket: %w", err)
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("frontdesk-local-blast-send")})
	if err != nil {
		return fmt.Errorf("create blast queue: %w", err)
	}
	attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return fmt.Errorf("read blast queue: %w", err)
	}
	queue := &blastsender.Queue{Client: sqsc, URL: aws.ToString(q.QueueUrl)}
	svc := &blast.Service{
		Store: st.store, Queue: queue, OptOuts: st.store, Count: blastsender.Segments,
		Audiences: &blastsender.Bucket{Client: s3c, Presign: s3.NewPresignClient(s3c), Name: localBlastBucket, Prefix: "blast/", Expires: 15 * time.Minute},
		Region:    localRegion, Zone: localZone, Quiet: ticket.DefaultQuietHours, Pace: localBlastPace,
		ReplyWindow: blast.DefaultReplyWindow,
	}
	worker := &blast.Worker{Store: st.store, Pacer: st.store, Queue: queue, Sender: outboxSender{st.outbox}, OptOuts: st.store, PaceKey: "sms"}
	// Two senders, as two Lambda instances: the pace holds across them.
	for range 2 {
		p := &sqspoll.Poller{SQS: sqsc, QueueURL: aws.ToString(q.QueueUrl), QueueARN: attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)],
			Region: awslocal.Region, Handler: worker.Handle, Batch: 1, Visibility: 900}
		st.wg.Add(1)
		go func() {
			defer st.wg.Done()
			p.Run(ctx, func(err error) { slog.Warn("blast queue poll failed", "err", err) })
		}()
	}
	h := st.auth.Staff(blast.NewHandler(svc))
	st.mux.Handle("/staff/blasts", h)
	st.mux.Handle("/staff/blasts/", h)
	st.mux.HandleFunc("GET /_local/blast/audience.csv", sampleAudience)
	st.urls = append(st.urls,
		"Blasts (staff)        POST "+st.url("/staff/blasts")+"  (supervisor token; GET/POST …/{id}, …/{id}/send|pause|resume|cancel, …/{id}/replies)",
		"Blast sample audience GET  "+st.url("/_local/blast/audience.csv?n=2000")+"  (local numbers, with a bad row and a duplicate)",
	)
	return nil
}

// sampleAudience writes an audience CSV of n local numbers (2,000 by
// default), in Chinese and English, with one bad row and one duplicate
// for the plan to report.
func sampleAudience(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil || n <= 0 || n > blast.MaxRows {
		n = 2000
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	fmt.Fprintln(w, "手机,姓名,语言")
	for i := range n {
		lang := "zh"
		if i%4 == 0 {
			lang = "en"
		}
		fmt.Fprintf(w, "139%08d,住户%d,%s\n", 10_000_000+i, i, lang)
	}
	fmt.Fprintln(w, "12345,bad,zh")
	fmt.Fprintf(w, "139%08d,dup,zh\n", 10_000_000)
}
