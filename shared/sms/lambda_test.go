package sms_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/shared/sms"
)

func TestFromEnv(t *testing.T) {
	ssm := httptest.NewServer(awslocal.Parameters{"/frontdesk/dev/twilio": "token-one,token-two", "/frontdesk/dev/three": "a,b,c"})
	defer ssm.Close()
	good := map[string]string{
		"TABLE_NAME": "t", "DEFAULT_PHONE_REGION": "CN", "BUSINESS_TIME_ZONE": "Asia/Shanghai", "TWILIO_TOKENS_PARAMETER": "/frontdesk/dev/twilio",
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_ENDPOINT_URL_SSM": ssm.URL,
	}
	with := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return good[k]
		}
	}
	bad := map[string]string{"TABLE_NAME": "", "DEFAULT_PHONE_REGION": "china", "SMS_ACK_EVERY": "often",
		"SMS_ORIGINATION_NUMBER": "10690000", "CUSTOMER_DIRECTORY": "maybe", "TWILIO_PUBLIC_URL": "http://x.example", "TWILIO_TOKENS_PARAMETER": ""}
	tests := []struct {
		name    string
		twilio  bool
		env     func(string) string
		wantErr []string
	}{
		{"queue", false, with(nil), nil},
		{"queue, every problem at once", false, with(bad), []string{"TABLE_NAME", "DEFAULT_PHONE_REGION", "SMS_ACK_EVERY", "SMS_ORIGINATION_NUMBER", "CUSTOMER_DIRECTORY"}},
		{"webhook", true, with(nil), nil},
		{"webhook, every problem at once", true, with(bad), []string{"TABLE_NAME", "DEFAULT_PHONE_REGION", "CUSTOMER_DIRECTORY", "TWILIO_PUBLIC_URL", "TWILIO_TOKENS_PARAMETER"}},
		{"webhook, three tokens", true, with(map[string]string{"TWILIO_TOKENS_PARAMETER": "/frontdesk/dev/three"}), []string{"twilio auth tokens from /frontdesk/dev/three", "got 3"}},
		{"webhook, no such parameter", true, with(map[string]string{"TWILIO_TOKENS_PARAMETER": "/frontdesk/dev/none"}), []string{"ParameterNotFound"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			var ok bool
			if tt.twilio {
				var h sms.WebhookLambda
				h, err = sms.TwilioFromEnv(context.Background(), tt.env)
				ok = h != nil
			} else {
				var h sms.QueueLambda
				h, err = sms.FromEnv(context.Background(), tt.env)
				ok = h != nil
			}
			if len(tt.wantErr) == 0 {
				if err != nil || !ok {
					t.Fatalf("FromEnv() = %v, want a handler", err)
				}
				return
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("FromEnv() = %v, want it to name %s", err, w)
				}
			}
		})
	}
}
