package notice_test

import (
	"context"
	"strings"
	"testing"

	"github.com/frontdesk/frontdesk/shared/notice"
)

func TestFromEnv(t *testing.T) {
	creds := map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string
	}{
		{"minimal", map[string]string{"TOPIC_ARN": "arn:aws:sns:us-east-1:1:t"}, nil},
		{"everything", map[string]string{"TOPIC_ARN": "arn:aws:sns:us-east-1:1:t", "TICKET_LINK": "https://c.example.com/t/{ref}", "PUBLISH_ATTEMPTS": "5"}, nil},
		{"every problem at once", map[string]string{"TICKET_LINK": "c.example.com", "PUBLISH_ATTEMPTS": "11"},
			[]string{"TOPIC_ARN", "TICKET_LINK", "PUBLISH_ATTEMPTS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := notice.FromEnv(context.Background(), func(k string) string {
				if v, ok := tt.env[k]; ok {
					return v
				}
				return creds[k]
			})
			if len(tt.wantErr) == 0 {
				if err != nil || h == nil {
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
