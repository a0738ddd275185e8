package main

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string
	}{
		{"minimal", map[string]string{"TOPIC_ARN": "arn:aws:sns:us-east-1:1:t"}, nil},
		{"everything", map[string]string{"TOPIC_ARN": "arn:aws:sns:us-east-1:1:t", "TICKET_LINK": "https://c.example.com/t/{ref}", "PUBLISH_ATTEMPTS": "5"}, nil},
		{"every problem at once", map[string]string{"TICKET_LINK": "c.example.com", "PUBLISH_ATTEMPTS": "0"},
			[]string{"TOPIC_ARN", "TICKET_LINK", "PUBLISH_ATTEMPTS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"TOPIC_ARN", "TICKET_LINK", "PUBLISH_ATTEMPTS"} {
				t.Setenv(k, tt.env[k])
			}
			_, err := loadConfig()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("loadConfig() = %v, want no error", err)
				}
				return
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("loadConfig() = %v, want it to name %s", err, w)
				}
			}
		})
	}
}

// TestTemplate keeps template.yaml in step with loadConfig and the stream
// mapping the handler relies on.
func TestTemplate(t *testing.T) {
	b, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct {
			Properties struct {
				Environment struct {
					Variables map[string]any `yaml:"Variables"`
				} `yaml:"Environment"`
				Events map[string]struct {
					Type       string         `yaml:"Type"`
					Properties map[string]any `yaml:"Properties"`
				} `yaml:"Events"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &tpl); err != nil {
		t.Fatalf("parse template: %v", err)
	}
	fn, ok := tpl.Resources["NotifierFunction"]
	if !ok {
		t.Fatal("template has no NotifierFunction")
	}
	for _, k := range []string{"TOPIC_ARN", "TICKET_LINK", "PUBLISH_ATTEMPTS"} {
		if _, ok := fn.Properties.Environment.Variables[k]; !ok {
			t.Errorf("NotifierFunction does not set %s", k)
		}
	}
	ev := fn.Properties.Events["Stream"]
	if ev.Type != "DynamoDB" {
		t.Fatalf("stream event type = %q, want DynamoDB", ev.Type)
	}
	for _, k := range []string{"StartingPosition", "BatchSize", "BisectBatchOnFunctionError", "MaximumRetryAttempts", "DestinationConfig", "FunctionResponseTypes", "FilterCriteria"} {
		if _, ok := ev.Properties[k]; !ok {
			t.Errorf("stream event lacks %s", k)
		}
	}
	if got := ev.Properties["FunctionResponseTypes"]; !strings.Contains(strings.TrimSpace(toString(got)), "ReportBatchItemFailures") {
		t.Errorf("FunctionResponseTypes = %v, want ReportBatchItemFailures", got)
	}
}

func toString(v any) string {
	b, _ := yaml.Marshal(v)
	return string(b)
}
