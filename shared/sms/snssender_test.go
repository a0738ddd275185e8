package sms_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/frontdesk/frontdesk/shared/sms"
)

type publisher struct {
	in  *sns.PublishInput
	err error
}

func (p *publisher) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	p.in = in
	if p.err != nil {
		return nil, p.err
	}
	return &sns.PublishOutput{MessageId: aws.String("0f1e2d3c-sns-id")}, nil
}

func TestSNSSender(t *testing.T) {
	tests := []struct {
		name         string
		origin, from string
		wantAttrs    map[string]string
	}{
		{"plain", "", "", map[string]string{"AWS.SNS.SMS.SMSType": "Transactional"}},
		{"origination number and sender ID", "+8610690000", "Frontdesk", map[string]string{
			"AWS.SNS.SMS.SMSType": "Transactional", "AWS.MM.SMS.OriginationNumber": "+8610690000", "AWS.SNS.SMS.SenderID": "Frontdesk",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &publisher{}
			s := &sms.SNSSender{Client: p, OriginationNumber: tt.origin, SenderID: tt.from}
			id, err := s.Send(context.Background(), "+8613800138000", "已收到")
			if err != nil || id != "0f1e2d3c-sns-id" {
				t.Fatalf("Send = %q, %v", id, err)
			}
			if aws.ToString(p.in.PhoneNumber) != "+8613800138000" || aws.ToString(p.in.Message) != "已收到" || p.in.TopicArn != nil {
				t.Errorf("Publish input = %+v, want the number and text, no topic", p.in)
			}
			if len(p.in.MessageAttributes) != len(tt.wantAttrs) {
				t.Errorf("attributes = %d, want %d", len(p.in.MessageAttributes), len(tt.wantAttrs))
			}
			for k, v := range tt.wantAttrs {
				if got := p.in.MessageAttributes[k]; aws.ToString(got.StringValue) != v || aws.ToString(got.DataType) != "String" {
					t.Errorf("attribute %s = %+v, want String %q", k, got, v)
				}
			}
		})
	}
	p := &publisher{err: errors.New("connection reset")}
	if _, err := (&sms.SNSSender{Client: p}).Send(context.Background(), "+8613800138000", "x"); err == nil {
		t.Errorf("Send with a failing client = nil error")
	}
	p.err = &smithy.GenericAPIError{Code: "InvalidParameter", Message: "Invalid parameter: PhoneNumber Reason: +8613800138000 is not valid", Fault: smithy.FaultClient}
	_, err := (&sms.SNSSender{Client: p}).Send(context.Background(), "+8613800138000", "x")
	if err == nil || strings.Contains(err.Error(), "138") || !strings.Contains(err.Error(), "InvalidParameter") {
		t.Errorf("Send error = %v, want the code without the number", err)
	}
}
