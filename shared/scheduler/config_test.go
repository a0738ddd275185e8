package scheduler

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestRequest(t *testing.T) {
	at := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		payload string
		job     string
		at      time.Time
		bad     bool
	}{
		{`{"job":"day"}`, DayJob, time.Time{}, false},
		{`{"job":"planner","at":"2026-11-24T10:00:00+08:00"}`, PlannerJob, at, false},
		{`{"at":"2026-11-24T02:00:00Z"}`, Job, at, false},
		{`{"version":"0","detail-type":"Scheduled Event","time":"2026-11-24T02:00:00Z","detail":{}}`, Job, time.Time{}, false},
		{`""`, Job, time.Time{}, false},
		{``, Job, time.Time{}, false},
		{`{"job":"all"}`, AllJobs, time.Time{}, false},
		{`{"job":"nightly"}`, "", time.Time{}, true},
		{`{"at":"tomorrow"}`, "", time.Time{}, true},
	}
	for _, tt := range tests {
		job, got, err := request(json.RawMessage(tt.payload))
		if (err != nil) != tt.bad || job != tt.job || !got.Equal(tt.at) {
			t.Errorf("request(%s) = %q, %s, %v; want %q, %s, error %v", tt.payload, job, got, err, tt.job, tt.at, tt.bad)
		}
	}
}

// FuzzRequest: a payload is refused, or names a known job.
func FuzzRequest(f *testing.F) {
	for _, s := range []string{`{"job":"day"}`, `{"job":"planner","at":"2026-11-24T10:00:00+08:00"}`, `{"at":"2026-11-24T02:00:00Z"}`, `{}`, `{"job":"all"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		job, _, err := request(payload)
		if err != nil {
			return
		}
		switch job {
		case Job, DayJob, PlannerJob, AllJobs:
		default:
			t.Errorf("request(%q) = job %q", payload, job)
		}
	})
}

func TestPublicURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://abc123.execute-api.eu-west-1.amazonaws.com", true},
		{"https://contact.example.com/", true},
		{"https://contact.example.com/help", true},
		{"http://127.0.0.1:3000", true},
		{"contact.example.com", false},
		{"ftp://contact.example.com", false},
		{"https://", false},
		{"https://contact.example.com/?x=1", false},
		{"https://contact.example.com/#top", false},
		{"https://contact.example.com?", false},
		{"${LocalURL}", false},
	}
	for _, tt := range tests {
		if err := publicURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("publicURL(%q) = %v, want ok %v", tt.url, err, tt.ok)
		}
	}
}

// TestFromEnvReportsPublicURL: a missing or malformed PUBLIC_URL is
// reported with every other problem, before any client is built.
func TestFromEnvReportsPublicURL(t *testing.T) {
	for _, tt := range []struct{ public, want string }{
		{"", "PUBLIC_URL: is not set"},
		{"contact.example.com", `PUBLIC_URL: "contact.example.com" is not a base URL`},
	} {
		vars := map[string]string{"PUBLIC_URL": tt.public, "PLANNER_TIME": "25:00"}
		_, err := FromEnv(context.Background(), func(k string) string { return vars[k] })
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "PLANNER_TIME") || !strings.Contains(err.Error(), "TABLE_NAME") {
			t.Errorf("FromEnv with PUBLIC_URL %q = %v, want %q among the other problems", tt.public, err, tt.want)
		}
	}
}
