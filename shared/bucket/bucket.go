// Package bucket keeps objects in S3: the raw mail SES stores, and the
// attachments Frontdesk takes out of it.
package bucket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// API is the part of the S3 client the store uses.
type API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

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

// Put stores data under key.
func (s *Store) Put(ctx context.Context, bucket, key, contentType string, data []byte) error {
	_, err := s.api.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: &key, Body: bytes.NewReader(data),
		ContentType: aws.String(contentType), ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		return fmt.Errorf("put %s/%s: %w", bucket, key, err)
	}
	return nil
}
