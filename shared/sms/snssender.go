package sms

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
)

// Publisher is the part of the SNS client SNSSender uses.
type Publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// SNSSender sends texts with SNS Publish to a phone number, as
// transactional SMS.
type SNSSender struct {
	Client Publisher
	// OriginationNumber is the number texts come from (E.164), if the
	// account has one; SenderID is the alphanumeric sender ID where the
	// destination country allows one.
	OriginationNumber string
	SenderID          string
}

// Send publishes body to the E.164 number to and returns SNS's message ID.
func (s *SNSSender) Send(ctx context.Context, to, body string) (string, error) {
	attrs := map[string]snstypes.MessageAttributeValue{
		"AWS.SNS.SMS.SMSType": {DataType: aws.String("String"), StringValue: aws.String("Transactional")},
	}
	if s.OriginationNumber != "" {
		attrs["AWS.MM.SMS.OriginationNumber"] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s.OriginationNumber)}
	}
	if s.SenderID != "" {
		attrs["AWS.SNS.SMS.SenderID"] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s.SenderID)}
	}
	out, err := s.Client.Publish(ctx, &sns.PublishInput{
		PhoneNumber: aws.String(to), Message: aws.String(body), MessageAttributes: attrs,
	})
	if err != nil {
		// AWS's message may quote the number; logs get the code only.
		var api smithy.APIError
		if errors.As(err, &api) {
			return "", fmt.Errorf("publish sms: %s (%s fault)", api.ErrorCode(), api.ErrorFault())
		}
		return "", fmt.Errorf("publish sms: %w", err)
	}
	return aws.ToString(out.MessageId), nil
}
