package webform_test

import (
	"context"
	"strings"
	"testing"

	"github.com/frontdesk/frontdesk/shared/webform"
)

func TestFromEnv(t *testing.T) {
	good := map[string]string{
		"TABLE_NAME": "t", "DEFAULT_PHONE_REGION": "CN", "BUSINESS_TIME_ZONE": "Asia/Shanghai",
		"ALLOWED_ORIGINS": "https://www.example.com", "RATE_LIMIT_PER_IP": "5", "RATE_LIMIT_WINDOW": "10m",
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s",
		"MAIL_FROM": "Frontdesk <support@example.com>", "REPLY_TOKEN_KEYS": "survey-links-key-0123456789",
	}
	if h, err := webform.FromEnv(context.Background(), func(k string) string { return good[k] }); err != nil || h == nil {
		t.Fatalf("FromEnv(good) = %v, want a handler", err)
	}
	bad := map[string]string{"DEFAULT_PHONE_REGION": "China", "BUSINESS_TIME_ZONE": "Mars/Base", "RULES_FILE": "/nonexistent/rules.json",
		"RATE_LIMIT_PER_IP": "0", "RATE_LIMIT_GLOBAL": "lots", "RATE_LIMIT_WINDOW": "a while", "CUSTOMER_DIRECTORY": "maybe", "SMS_ACK_EVERY": "never"}
	_, err := webform.FromEnv(context.Background(), func(k string) string { return bad[k] })
	for _, w := range []string{"TABLE_NAME", "DEFAULT_PHONE_REGION", "BUSINESS_TIME_ZONE", "RULES_FILE", "RATE_LIMIT_PER_IP", "RATE_LIMIT_GLOBAL", "RATE_LIMIT_WINDOW", "CUSTOMER_DIRECTORY", "AWS_REGION", "MAIL_FROM", "SMS_ACK_EVERY", "REPLY_TOKEN_KEYS"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("FromEnv(bad) = %v, want it to name %s", err, w)
		}
	}
}
