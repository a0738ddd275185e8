package env

import (
	"strings"
	"testing"
	"time"
)

func TestReaderReportsEverythingAtOnce(t *testing.T) {
	vars := map[string]string{
		"RATE": "many", "WINDOW": "-3m", "ZONE": "Mars/Base", "REGION": "China", "RULES": "/nonexistent/rules.json",
		"ORIGINS": " https://a.example , ,https://b.example", "FROM": "support at example", "KEYS": "0123456789abcdef, short",
	}
	r := New(func(k string) string { return vars[k] })
	r.String("TABLE_NAME")
	r.Int("RATE", 5)
	r.Duration("WINDOW", time.Minute)
	zone := r.Zone("ZONE")
	r.Region("REGION")
	r.Rules("RULES", zone)
	r.Mailbox("FROM")
	if keys := r.Keys("KEYS", 16); keys != nil {
		t.Errorf("Keys(one too short) = %q, want none", keys)
	}
	if got := r.List("ORIGINS"); len(got) != 2 || got[1] != "https://b.example" {
		t.Errorf("List = %q, want the two origins", got)
	}
	err := r.Err()
	if err == nil {
		t.Fatal("Err() = nil, want every problem")
	}
	if strings.Contains(err.Error(), "0123456789abcdef") {
		t.Errorf("Err() shows a secret key:\n%v", err)
	}
	for _, want := range []string{"TABLE_NAME: is not set", `RATE: "many"`, `WINDOW: "-3m"`, `ZONE: "Mars/Base"`, `REGION: "CHINA"`, "RULES: read rules file", `FROM: "support at example" is not a mailbox`, "KEYS: every key needs at least 16 characters"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Err() does not report %q:\n%v", want, err)
		}
	}
}

func TestReaderDefaults(t *testing.T) {
	r := New(func(k string) string {
		return map[string]string{"TABLE_NAME": "t", "ZONE": "Asia/Shanghai", "REGION": "cn"}[k]
	})
	if r.String("TABLE_NAME") != "t" || r.Int("RATE", 5) != 5 || r.Duration("WINDOW", time.Minute) != time.Minute ||
		r.Zone("ZONE").String() != "Asia/Shanghai" || r.Region("REGION") != "CN" || r.Rules("RULES", time.UTC) == nil {
		t.Error("defaults and good values were not returned as given")
	}
	if err := r.Err(); err != nil {
		t.Errorf("Err() = %v, want nil", err)
	}
}

func TestParseKeys(t *testing.T) {
	keys, err := ParseKeys(" 0123456789abcdef , fedcba9876543210xyz", 16)
	if err != nil || len(keys) != 2 || string(keys[1]) != "fedcba9876543210xyz" {
		t.Errorf("ParseKeys(two) = %q, %v", keys, err)
	}
	for _, list := range []string{"", "0123456789abcdef,", "short-secret-key,0123456789abcdef"} {
		if _, err := ParseKeys(list, 17); err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseKeys(%q) = %v, want an error that does not show the keys", list, err)
		}
	}
}

func TestReaderChecksAndRecords(t *testing.T) {
	vars := map[string]string{"ATTEMPTS": "11", "GOOD": "4", "LINK": "x"}
	rec := NewRecorder(func(k string) string { return vars[k] })
	r := New(rec.Getenv)
	if got := r.IntBetween("GOOD", 3, 1, 10); got != 4 {
		t.Errorf("IntBetween(GOOD) = %d, want 4", got)
	}
	if got := r.IntBetween("UNSET", 3, 1, 10); got != 3 {
		t.Errorf("IntBetween(UNSET) = %d, want the default 3", got)
	}
	r.IntBetween("ATTEMPTS", 3, 1, 10)
	r.Fail("LINK", "%q is not a URL", r.Get("LINK"))
	r.Get("GOOD")
	err := r.Err()
	for _, want := range []string{`ATTEMPTS: "11" is not a whole number from 1 to 10`, `LINK: "x" is not a URL`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Err() = %v, want it to say %s", err, want)
		}
	}
	if got, want := strings.Join(rec.Read(), ","), "GOOD,UNSET,ATTEMPTS,LINK"; got != want {
		t.Errorf("Read() = %s, want %s (each once, in order)", got, want)
	}
}

func TestFollowUps(t *testing.T) {
	vars := map[string]string{
		"QUIET_HOURS": "22:00-07:30", "CALLBACK_AGENT_LEAD": "10m", "CALLBACK_RETRY_AFTER": "3h", "CALLBACK_ATTEMPTS": "5",
		"SURVEY_DELAY": "2bd", "SURVEY_ANSWER_WITHIN": "48h", "SURVEY_EVERY": "1440h",
	}
	r := New(func(k string) string { return vars[k] })
	rules := r.Rules("RULES_FILE", time.UTC)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	cb, v := rules.CallbackPolicy(), rules.VisitPolicy()
	if cb.Quiet.String() != "22:00–07:30" || v.Quiet != cb.Quiet || cb.AgentLead != 10*time.Minute || cb.RetryAfter != 3*time.Hour || cb.MaxAttempts != 5 {
		t.Errorf("callback policy = %+v", cb)
	}
	if v.Delay.String() != "2bd" || v.AnswerWithin != 48*time.Hour || v.Every != 1440*time.Hour {
		t.Errorf("visit policy = %+v", v)
	}
	// Unset: the defaults.
	r = New(func(string) string { return "" })
	if p := r.Rules("RULES_FILE", time.UTC).CallbackPolicy(); p.MaxAttempts != 3 || p.AgentLead != 15*time.Minute {
		t.Errorf("default callback policy = %+v", p)
	}
	bad := map[string]string{"QUIET_HOURS": "late", "CALLBACK_ATTEMPTS": "0", "SURVEY_DELAY": "soon", "SURVEY_EVERY": "a month"}
	r = New(func(k string) string { return bad[k] })
	r.Rules("RULES_FILE", time.UTC)
	err := r.Err()
	for name := range bad {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Err() = %v, want it to name %s", err, name)
		}
	}
}
