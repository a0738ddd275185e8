package sms_test

import (
	"os"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/frontdesk/frontdesk/shared/sms"
)

func TestParseEnv(t *testing.T) {
	good := map[string]string{
		"TABLE_NAME": "t", "DEFAULT_PHONE_REGION": "CN", "BUSINESS_TIME_ZONE": "Asia/Shanghai",
		"SMS_THREAD_WINDOW": "72h", "SMS_ACK_EVERY": "5m", "SMS_ORIGINATION_NUMBER": "+8610690000",
		"TWILIO_PUBLIC_URL": "https://api.example.com/sms/twilio", "TWILIO_TOKENS_PARAMETER": "/frontdesk/dev/twilio",
	}
	lookup := func(env map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	}
	c, err := sms.ParseEnv(lookup(good), true)
	if err != nil {
		t.Fatalf("ParseEnv(good) = %v", err)
	}
	if c.ThreadWindow.Hours() != 72 || c.AckEvery.Minutes() != 5 || c.Keywords == nil || c.Rules == nil {
		t.Errorf("ParseEnv(good) = %+v", c)
	}
	bad := map[string]string{
		"DEFAULT_PHONE_REGION": "china", "BUSINESS_TIME_ZONE": "Mars/Base",
		"SMS_THREAD_WINDOW": "a week", "SMS_ORIGINATION_NUMBER": "10690000", "SMS_KEYWORDS": "{",
		"TWILIO_PUBLIC_URL": "http://insecure.example.com",
	}
	_, err = sms.ParseEnv(lookup(bad), true)
	if err == nil {
		t.Fatal("ParseEnv(bad) = nil error")
	}
	for _, want := range []string{"TABLE_NAME", "DEFAULT_PHONE_REGION", "BUSINESS_TIME_ZONE", "SMS_THREAD_WINDOW", "SMS_ORIGINATION_NUMBER", "SMS_KEYWORDS", "TWILIO_PUBLIC_URL", "TWILIO_TOKENS_PARAMETER"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ParseEnv(bad) error does not name %s: %v", want, err)
		}
	}
	if _, err := sms.Tokens(" a , b "); err != nil {
		t.Errorf("Tokens(two) = %v", err)
	}
	for _, list := range []string{"", " , ", "a,b,c"} {
		if _, err := sms.Tokens(list); err == nil {
			t.Errorf("Tokens(%q) = nil error", list)
		}
	}
}

// TestTemplateSetsEveryVariable keeps template.yaml and the functions'
// configuration in step: every variable ParseEnv reads is set for the
// function that reads it.
func TestTemplateSetsEveryVariable(t *testing.T) {
	data, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type env struct {
		Variables map[string]yaml.Node `yaml:"Variables"`
	}
	var tpl struct {
		Globals struct {
			Function struct {
				Environment env `yaml:"Environment"`
			} `yaml:"Function"`
		} `yaml:"Globals"`
		Resources map[string]struct {
			Properties struct {
				Environment env `yaml:"Environment"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(data, &tpl); err != nil {
		t.Fatalf("read template: %v", err)
	}
	for _, fn := range []struct {
		name   string
		twilio bool
	}{{"SmsFunction", false}, {"TwilioFunction", true}} {
		var read []string
		_, _ = sms.ParseEnv(func(k string) (string, bool) { read = append(read, k); return "", false }, fn.twilio)
		set := map[string]bool{}
		for k := range tpl.Globals.Function.Environment.Variables {
			set[k] = true
		}
		res, ok := tpl.Resources[fn.name]
		if !ok {
			t.Errorf("template has no %s", fn.name)
			continue
		}
		for k := range res.Properties.Environment.Variables {
			set[k] = true
		}
		sort.Strings(read)
		for _, k := range read {
			if !set[k] {
				t.Errorf("%s reads %s, which the template does not set", fn.name, k)
			}
		}
	}
}
