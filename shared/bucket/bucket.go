// Package bucket keeps objects in S3: the raw mail SES stores, and the
// attachments Frontdesk takes out of it.
package bucket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// API is the part of the S3 client the store uses.
type API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(ctx context.Context, in *s3.UploadPartInput, opts ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, opts ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

// PartSize is the size of the parts objects larger than it are uploaded
// in (S3's minimum part is 5 MiB; local emulators refuse single requests
// much over 10 MiB).
const PartSize = 8 << 20

// Store reads and writes objects.
type Store struct {
	api API
}

// New returns a store over an S3 client.
func New(api API) *Store { return &Store{api: api} }

// Open streams an object and returns its size (-1 when unknown). A
// missing object or bucket is ticket.ErrNotFound.
func (s *Store) Open(ctx context.Context, bucket, key string) (io.ReadCloser, int64, error) {
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return nil, 0, fmt.Errorf("open %s/%s: %w", bucket, key, ticket.ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("open %s/%s: %w", bucket, key, err)
	}
	size := int64(-1)
	if out.ContentLength != nil {
		size = *out.ContentLength
	}
	return out.Body, size, nil
}

// Put stores data under key, in parts when it is over PartSize.
func (s *Store) Put(ctx context.Context, bucket, key, contentType string, data []byte) error {
	if len(data) > PartSize {
		return s.putParts(ctx, bucket, key, contentType, data)
	}
	_, err := s.api.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: &key, Body: bytes.NewReader(data),
		ContentType: aws.String(contentType), ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		return fmt.Errorf("put %s/%s: %w", bucket, key, err)
	}
	return nil
}

func (s *Store) putParts(ctx context.Context, bucket, key, contentType string, data []byte) error {
	up, err := s.api.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key, ContentType: aws.String(contentType)})
	if err != nil {
		return fmt.Errorf("put %s/%s: start upload: %w", bucket, key, err)
	}
	var parts []types.CompletedPart
	for n := int32(1); len(data) > 0; n++ {
		chunk := data[:min(PartSize, len(data))]
		data = data[len(chunk):]
		out, err := s.api.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: &bucket, Key: &key, UploadId: up.UploadId, PartNumber: aws.Int32(n),
			Body: bytes.NewReader(chunk), ContentLength: aws.Int64(int64(len(chunk))),
		})
		if err != nil {
			// Leave no half-uploaded parts behind to pay for.
			_, _ = s.api.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: up.UploadId})
			return fmt.Errorf("put %s/%s: part %d: %w", bucket, key, n, err)
		}
		// S3 takes the ETag with or without its quotes; without them it
		// survives XML encoders and parsers that treat quotes differently.
		etag := strings.Trim(aws.ToString(out.ETag), `"`)
		parts = append(parts, types.CompletedPart{ETag: &etag, PartNumber: aws.Int32(n)})
	}
	_, err = s.api.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &bucket, Key: &key, UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return fmt.Errorf("put %s/%s: complete upload: %w", bucket, key, err)
	}
	return nil
}
