package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

var vars = []string{"TABLE_NAME", "DEFAULT_PHONE_REGION", "MAIL_FROM", "BUSINESS_TIME_ZONE", "REPLY_TOKEN_SECRET",
	"MAIL_MAX_MESSAGE_BYTES", "MAIL_MAX_ATTACHMENT_BYTES", "ACK_MAX_PER_HOUR", "ATTACHMENT_PREFIX",
	"RULES_FILE", "CUSTOMER_DIRECTORY", "SES_CONFIGURATION_SET"}

func TestLoadConfigReportsEverything(t *testing.T) {
	_, err := loadConfig(func(k string) string { return map[string]string{"MAIL_MAX_ATTACHMENT_BYTES": "lots"}[k] })
	if err == nil {
		t.Fatal("loadConfig() = nil error, want every missing variable")
	}
	for _, want := range []string{"TABLE_NAME", "DEFAULT_PHONE_REGION", "MAIL_FROM", "BUSINESS_TIME_ZONE", "REPLY_TOKEN_KEYS", "MAIL_MAX_ATTACHMENT_BYTES"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("loadConfig() error = %q, want it to name %s", err, want)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	env := map[string]string{
		"TABLE_NAME": "t", "DEFAULT_PHONE_REGION": "CN", "MAIL_FROM": "Frontdesk <support@example.com>",
		"BUSINESS_TIME_ZONE": "Asia/Shanghai", "REPLY_TOKEN_KEYS": "0123456789abcdef0123, fedcba98765432100123",
		"MAIL_MAX_ATTACHMENT_BYTES": "1000", "ACK_MAX_PER_HOUR": "3",
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s",
	}
	c, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("loadConfig() = %v", err)
	}
	if m := c.email; len(m.Keys) != 2 || m.Limits.MaxAttachment != 1000 || m.AckMaxPerHour != 3 || m.Rules.Calendar.Zone.String() != "Asia/Shanghai" || !m.Directory {
		t.Errorf("loadConfig() = %+v", c.email)
	}
}

// TestTemplateSetsEnvironment: every variable loadConfig reads is set for
// the function by template.yaml (or its Globals).
func TestTemplateSetsEnvironment(t *testing.T) {
	b, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tpl := string(b)
	fn := tpl[strings.Index(tpl, "\n  EmailFunction:"):]
	if i := regexp.MustCompile(`\n  [A-Za-z]+:\n`).FindStringIndex(fn[1:]); i != nil {
		fn = fn[:i[0]+1]
	}
	globals := tpl[strings.Index(tpl, "\nGlobals:"):strings.Index(tpl, "\nResources:")]
	for _, v := range vars {
		if !strings.Contains(fn, v+":") && !strings.Contains(globals, v+":") {
			t.Errorf("template.yaml does not set %s for EmailFunction", v)
		}
	}
	if !strings.Contains(fn, "ReportBatchItemFailures") {
		t.Errorf("EmailFunction's SQS event does not report batch item failures")
	}
}

// TestLoadConfigKeysFromSecret: with REPLY_TOKEN_SECRET (as deployed) the
// keys are not needed in the environment; they are fetched at cold start.
func TestLoadConfigKeysFromSecret(t *testing.T) {
	env := map[string]string{
		"TABLE_NAME": "t", "DEFAULT_PHONE_REGION": "CN", "MAIL_FROM": "Frontdesk <support@example.com>",
		"BUSINESS_TIME_ZONE": "Asia/Shanghai", "REPLY_TOKEN_SECRET": "frontdesk/prod/reply-token-keys",
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s",
	}
	c, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("loadConfig() = %v", err)
	}
	if c.email.KeysSecret != "frontdesk/prod/reply-token-keys" || c.email.Keys != nil {
		t.Errorf("keys %v from secret %q, want none yet from frontdesk/prod/reply-token-keys", c.email.Keys, c.email.KeysSecret)
	}
}
