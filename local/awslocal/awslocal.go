// Package awslocal builds AWS SDK clients pointed at the local emulators:
// dummy static credentials, a fixed region, path-style S3.
package awslocal

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Region is the region every local client uses.
const Region = "us-east-1"

// Account is the account ID the emulators report.
const Account = "000000000000"

// Config returns an SDK configuration with dummy credentials.
func Config() aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		// Emulators do not send the checksums AWS does; skip the check
		// rather than log a warning on every error response.
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RetryMaxAttempts:           3,
	}
}

// DynamoDB returns a client for the DynamoDB emulator at endpoint.
func DynamoDB(endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(Config(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.DisableValidateResponseChecksum = true
	})
}

// SNS returns a client for the SNS emulator at endpoint.
func SNS(endpoint string) *sns.Client {
	return sns.NewFromConfig(Config(), func(o *sns.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// SQS returns a client for the SQS emulator at endpoint.
func SQS(endpoint string) *sqs.Client {
	return sqs.NewFromConfig(Config(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// S3 returns a path-style client for the S3 emulator at endpoint.
func S3(endpoint string) *s3.Client {
	return s3.NewFromConfig(Config(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
}

// SES returns a client for the SES v2 emulator at endpoint.
func SES(endpoint string) *sesv2.Client {
	return sesv2.NewFromConfig(Config(), func(o *sesv2.Options) { o.BaseEndpoint = aws.String(endpoint) })
}
