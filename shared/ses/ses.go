// Package ses sends mail through Amazon SES v2.
package ses

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// API is the part of the SES v2 client the mailer uses.
type API interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Mailer sends raw MIME messages.
type Mailer struct {
	api API
	// ConfigurationSet names the SES configuration set, if any.
	ConfigurationSet string
}

// New returns a mailer over an SES v2 client.
func New(api API) *Mailer { return &Mailer{api: api} }

// SendRaw sends raw, a complete MIME message, from from to to, and returns
// the message ID SES gave it.
func (m *Mailer) SendRaw(ctx context.Context, from string, to []string, raw []byte) (string, error) {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(from),
		Destination:      &types.Destination{ToAddresses: to},
		Content:          &types.EmailContent{Raw: &types.RawMessage{Data: raw}},
	}
	if m.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(m.ConfigurationSet)
	}
	out, err := m.api.SendEmail(ctx, in)
	if err != nil {
		return "", fmt.Errorf("send mail: %w", err)
	}
	return aws.ToString(out.MessageId), nil
}
