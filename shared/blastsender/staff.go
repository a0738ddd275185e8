package blastsender

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/staffauth"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Bucket keeps audience files under a prefix of a bucket.
type Bucket struct {
	Client  *s3.Client
	Presign *s3.PresignClient
	Name    string
	// Prefix is put before every key ("blast/").
	Prefix string
	// Expires is how long an upload URL is good for.
	Expires time.Duration
}

var _ blast.Audiences = (*Bucket)(nil)

// UploadURL presigns a PUT of the audience file key.
func (b *Bucket) UploadURL(ctx context.Context, key string) (string, error) {
	req, err := b.Presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(b.Name), Key: aws.String(b.Prefix + key), ContentType: aws.String("text/csv"),
	}, s3.WithPresignExpires(b.Expires))
	if err != nil {
		return "", fmt.Errorf("presign audience upload: %w", err)
	}
	return req.URL, nil
}

// Open reads the audience file key.
func (b *Bucket) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := b.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.Name), Key: aws.String(b.Prefix + key)})
	if err != nil {
		return nil, fmt.Errorf("read audience file: %w", err)
	}
	return out.Body, nil
}

// StaffFromEnv builds the staff blast routes from the environment,
// reporting every problem at once, behind the HTTP API's JWT authorizer
// (claims mapped with STAFF_ROLE_CLAIM and STAFF_QUEUE_CLAIM):
//
//	TABLE_NAME, DEFAULT_PHONE_REGION, BUSINESS_TIME_ZONE
//	BLAST_QUEUE_URL     the send queue
//	BLAST_BUCKET        the bucket audience files are uploaded to (under BLAST_PREFIX, "blast/")
//	BLAST_PACE          default messages per second (1)
//	BLAST_QUIET_HOURS   "21:00-08:00"
//	BLAST_REPLY_WINDOW  how long replies join the incident (72h)
func StaffFromEnv(_ context.Context, getenv func(string) string) (http.Handler, error) {
	r := env.New(getenv)
	svc, errs := serviceFromEnv(r, getenv)
	claims := staffauth.ClaimsFromEnv(r)
	cfg := r.AWS()
	dbEndpoint, sqsEndpoint, s3Endpoint := r.Endpoint("DYNAMODB"), r.Endpoint("SQS"), r.Endpoint("S3")
	table, queueURL := r.String("TABLE_NAME"), r.String("BLAST_QUEUE_URL")
	bucket, prefix := r.String("BLAST_BUCKET"), r.Optional("BLAST_PREFIX", "blast/")
	if err := errors.Join(append([]error{r.Err()}, errs...)...); err != nil {
		return nil, err
	}
	store := dynamo.New(dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = dbEndpoint }), table)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = s3Endpoint })
	svc.Store, svc.OptOuts, svc.Answers = store, store, store
	svc.Queue = &Queue{Client: sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = sqsEndpoint }), URL: queueURL}
	svc.Audiences = &Bucket{Client: s3c, Presign: s3.NewPresignClient(s3c), Name: bucket, Prefix: prefix, Expires: 15 * time.Minute}
	return claims.Gateway(blast.NewHandler(svc)), nil
}

// serviceFromEnv reads the blast settings every wiring shares; what the
// reader does not check itself comes back as errors.
func serviceFromEnv(r *env.Reader, getenv func(string) string) (*blast.Service, []error) {
	svc := &blast.Service{
		Count:       Segments,
		Region:      r.Region("DEFAULT_PHONE_REGION"),
		ReplyWindow: r.Duration("BLAST_REPLY_WINDOW", blast.DefaultReplyWindow),
		Pace:        blast.DefaultPace,
		Quiet:       ticket.DefaultQuietHours,
	}
	if z := r.Zone("BUSINESS_TIME_ZONE"); z != nil {
		svc.Zone = z.String()
	}
	var errs []error
	if v := strings.TrimSpace(getenv("BLAST_PACE")); v != "" {
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || p <= 0 || p > blast.MaxPace {
			errs = append(errs, fmt.Errorf("BLAST_PACE: %q is not a number of messages per second up to %v", v, blast.MaxPace))
		}
		svc.Pace = p
	}
	if v := strings.TrimSpace(getenv("BLAST_QUIET_HOURS")); v != "" {
		q, err := ticket.ParseQuietHours(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("BLAST_QUIET_HOURS: %w", err))
		}
		svc.Quiet = q
	}
	return svc, errs
}

// Segments is the SMS channel's segment counter, as blast plans take it.
func Segments(text string) (int, string) { c := sms.Count(text); return c.Parts, string(c.Encoding) }
