package env

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// AWS returns the SDK configuration Lambda's environment describes: the
// region and the function role's credentials, which Lambda sets as
// variables for the life of the execution environment. Reading them
// directly keeps the SDK's full credential chain (SSO, STS, IMDS) out of
// the binaries, which makes them smaller and faster to start.
func (r *Reader) AWS() aws.Config {
	region := r.String("AWS_REGION")
	key := r.String("AWS_ACCESS_KEY_ID")
	secret := r.String("AWS_SECRET_ACCESS_KEY")
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, strings.TrimSpace(r.Get("AWS_SESSION_TOKEN"))),
		// Lambda's own retries cover more; a few quick SDK retries smooth
		// over throttling without eating the function's timeout.
		RetryMaxAttempts: 3,
	}
}

// Endpoint returns the endpoint override for a service ("DYNAMODB", "SNS",
// …) from AWS_ENDPOINT_URL_<SERVICE>, or nil for the AWS default. Local
// runs point the functions at the emulators this way.
func (r *Reader) Endpoint(service string) *string {
	if v := strings.TrimSpace(r.Get("AWS_ENDPOINT_URL_" + service)); v != "" {
		return aws.String(v)
	}
	return nil
}
