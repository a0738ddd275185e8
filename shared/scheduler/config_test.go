package scheduler

import (
	"encoding/json"
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
