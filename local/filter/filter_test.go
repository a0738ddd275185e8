package filter

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestMatchNotifierPattern(t *testing.T) {
	// The notifier's pattern in template.yaml.
	ps, err := Parse([]string{`{"eventName":["INSERT"],"dynamodb":{"Keys":{"SK":{"S":[{"prefix":"EVENT#"}]}}}}`})
	if err != nil {
		t.Fatal(err)
	}
	rec := func(name, sk string) events.DynamoDBEventRecord {
		return events.DynamoDBEventRecord{EventName: name, Change: events.DynamoDBStreamRecord{
			Keys: map[string]events.DynamoDBAttributeValue{"PK": events.NewStringAttribute("T#1"), "SK": events.NewStringAttribute(sk)}}}
	}
	tests := []struct {
		name string
		rec  events.DynamoDBEventRecord
		want bool
	}{
		{"event insert", rec("INSERT", "EVENT#0001"), true},
		{"event modify", rec("MODIFY", "EVENT#0001"), false},
		{"ticket insert", rec("INSERT", "TICKET"), false},
		{"prefix elsewhere", rec("INSERT", "X#EVENT#"), false},
		{"event remove", rec("REMOVE", "EVENT#0001"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := ps.Match(tt.rec); err != nil || got != tt.want {
				t.Errorf("Match(%s %s) = %v, %v; want %v", tt.rec.EventName, tt.rec.Change.Keys["SK"].String(), got, err, tt.want)
			}
		})
	}
}

func TestMatchers(t *testing.T) {
	tests := []struct {
		pattern string
		doc     map[string]any
		want    bool
	}{
		{`{"a":["x","y"]}`, map[string]any{"a": "y"}, true},
		{`{"a":["x"]}`, map[string]any{"a": []any{"z", "x"}}, true},
		{`{"a":["x"]}`, map[string]any{}, false},
		{`{"a":[{"exists":false}]}`, map[string]any{}, true},
		{`{"a":[{"exists":true}]}`, map[string]any{"a": 1}, true},
		{`{"a":[{"anything-but":["x"]}]}`, map[string]any{"a": "y"}, true},
		{`{"a":[{"anything-but":"x"}]}`, map[string]any{"a": "x"}, false},
		{`{"a":[{"suffix":".eml"}]}`, map[string]any{"a": "m.eml"}, true},
		{`{"a":[{"equals-ignore-case":"STOP"}]}`, map[string]any{"a": "stop"}, true},
		{`{"n":[{"numeric":[">",0,"<=",5]}]}`, map[string]any{"n": 5}, true},
		{`{"n":[{"numeric":[">",0,"<=",5]}]}`, map[string]any{"n": 6}, false},
		{`{"n":[3]}`, map[string]any{"n": 3}, true},
		{`{"b":{"c":[true]}}`, map[string]any{"b": map[string]any{"c": true}}, true},
		{`{"b":{"c":[true]}}`, map[string]any{"b": "c"}, false},
	}
	for _, tt := range tests {
		ps, err := Parse([]string{tt.pattern})
		if err != nil {
			t.Fatalf("Parse(%s) = %v", tt.pattern, err)
		}
		if got, err := ps.Match(tt.doc); err != nil || got != tt.want {
			t.Errorf("Match(%s, %v) = %v, %v; want %v", tt.pattern, tt.doc, got, err, tt.want)
		}
	}
	if ps, _ := Parse(nil); !must(ps.Match(map[string]any{"a": 1})) {
		t.Error("no patterns must let everything through")
	}
	for _, bad := range []string{`{"a":"x"}`, `{"a":[{"wildcard":"*"}]}`, `not json`} {
		if _, err := Parse([]string{bad}); err == nil {
			t.Errorf("Parse(%s) = nil error", bad)
		}
	}
}

func must(ok bool, err error) bool { return ok && err == nil }
