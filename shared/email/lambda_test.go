package email_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/outbound"
)

func TestFromEnv(t *testing.T) {
	ssm := httptest.NewServer(awslocal.Parameters{
		"/aws/reference/secretsmanager/frontdesk/dev/reply-token-keys": "0123456789abcdef0123,fedcba98765432100123",
		"/aws/reference/secretsmanager/frontdesk/dev/short":            "short",
	})
	defer ssm.Close()
	good := map[string]string{
		"TABLE_NAME": "t", "DEFAULT_PHONE_REGION": "CN", "MAIL_FROM": "Frontdesk <support@example.com>",
		"BUSINESS_TIME_ZONE": "Asia/Shanghai", "MAIL_MAX_ATTACHMENT_BYTES": "1000", "ACK_MAX_PER_HOUR": "3",
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
	tests := []struct {
		name    string
		env     func(string) string
		wantErr []string
	}{
		{"keys in the environment", with(map[string]string{"REPLY_TOKEN_KEYS": "0123456789abcdef0123"}), nil},
		{"keys from the secret", with(map[string]string{"REPLY_TOKEN_SECRET": "frontdesk/dev/reply-token-keys"}), nil},
		{"secret missing", with(map[string]string{"REPLY_TOKEN_SECRET": "frontdesk/dev/none"}), []string{"REPLY_TOKEN_SECRET frontdesk/dev/none", "ParameterNotFound"}},
		{"secret too short", with(map[string]string{"REPLY_TOKEN_SECRET": "frontdesk/dev/short"}), []string{"at least 16 characters"}},
		{"every problem at once", func(k string) string {
			return map[string]string{"MAIL_MAX_ATTACHMENT_BYTES": "lots", "CUSTOMER_DIRECTORY": "maybe"}[k]
		},
			[]string{"TABLE_NAME", "DEFAULT_PHONE_REGION", "MAIL_FROM", "BUSINESS_TIME_ZONE", "REPLY_TOKEN_KEYS", "MAIL_MAX_ATTACHMENT_BYTES", "CUSTOMER_DIRECTORY", "AWS_REGION"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := email.HandlerFromEnv(context.Background(), tt.env)
			if len(tt.wantErr) == 0 {
				if err != nil || h == nil || len(h.Signer.Keys) == 0 || h.Limits.MaxAttachment != 1000 || h.Outbound.(*outbound.Service).MailAcks != 3 {
					t.Fatalf("HandlerFromEnv() = %+v, %v; want a handler with keys and the limits given", h, err)
				}
				return
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("HandlerFromEnv() = %v, want it to name %s", err, w)
				}
			}
		})
	}
}
