package template

import (
	"strings"
	"testing"
)

const sample = `
Parameters:
  Stage: {Type: String, Default: dev}
  Origins: {Type: CommaDelimitedList, Default: "https://a.example,https://b.example"}
  Tokens: {Type: String, Default: ""}
  NoDefault: {Type: String}
Conditions:
  HasTokens: !Not [!Equals [!Ref Tokens, ""]]
  Both: !And [!Condition HasTokens, !Equals [!Ref Stage, prod]]
Globals:
  Function:
    Timeout: 10
    Environment:
      Variables:
        TABLE_NAME: !Ref Table
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties: {TableName: !Sub "fd-${Stage}-tickets"}
  Topic:
    Type: AWS::SNS::Topic
    Properties: {TopicName: !Sub "fd-${Stage}-notices"}
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: q}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 30
      Environment:
        Variables:
          ORIGINS: !Join [",", !Ref Origins]
          TOPIC: !Ref Topic
          STREAM: !GetAtt Table.StreamArn
          QUEUE_ARN: !GetAtt [Queue, Arn]
          TOKENS: !If [HasTokens, !Ref Tokens, !Sub "/fd/${Stage}/tokens"]
          BOTH: !If [Both, "yes", "no"]
          ARN: !Sub
            - "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Name}"
            - Name: !Ref Tokens
          FIXED: "3"
`

func TestEnvironment(t *testing.T) {
	tpl, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got := tpl.Functions(); len(got) != 1 || got[0] != "Fn" {
		t.Fatalf("Functions() = %v, want [Fn]", got)
	}
	tests := []struct {
		name   string
		params map[string]string
		known  map[string]string
		want   map[string]string
	}{
		{"defaults", nil, nil, map[string]string{
			"TABLE_NAME": "fd-dev-tickets", "ORIGINS": "https://a.example,https://b.example",
			"TOPIC": "arn:aws:sns:us-east-1:000000000000:fd-dev-notices", "STREAM": "arn:aws:dynamodb:us-east-1:000000000000:table/fd-dev-tickets/stream/local",
			"QUEUE_ARN": "arn:aws:sqs:us-east-1:000000000000:q", "TOKENS": "/fd/dev/tokens", "BOTH": "no",
			"ARN": "arn:aws:ssm:us-east-1:000000000000:parameter", "FIXED": "3",
		}},
		{"overrides and known values", map[string]string{"Stage": "prod", "Tokens": "/t"}, map[string]string{"Table.StreamArn": "real-stream", "Topic": "real-topic"},
			map[string]string{"TABLE_NAME": "fd-prod-tickets", "TOPIC": "real-topic", "STREAM": "real-stream", "TOKENS": "/t", "BOTH": "yes",
				"ARN": "arn:aws:ssm:us-east-1:000000000000:parameter/t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Resolver{T: tpl, Params: tt.params, Known: tt.known, Region: "us-east-1", Account: "000000000000"}
			env, err := r.Environment("Fn")
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.want {
				if env[k] != want {
					t.Errorf("Environment()[%s] = %q, want %q", k, env[k], want)
				}
			}
			if got, _ := r.Property("Fn", "Timeout"); got != "30" {
				t.Errorf("Property(Timeout) = %q, want the function's 30", got)
			}
		})
	}
	r := &Resolver{T: tpl}
	if _, err := r.Param("NoDefault"); err == nil || !strings.Contains(err.Error(), "no default") {
		t.Errorf("Param(NoDefault) = %v, want an error", err)
	}
	if _, err := r.String(map[string]any{"Ref": "Missing"}); err == nil {
		t.Error("Ref of a missing name = nil error")
	}
}

func TestOverridesCheck(t *testing.T) {
	tpl, _ := Parse([]byte(sample))
	if err := (Overrides{Parameters: map[string]string{"Stage": "local"}}).Check(tpl); err != nil {
		t.Errorf("Check(Stage) = %v", err)
	}
	if err := (Overrides{Parameters: map[string]string{"Stag": "local"}}).Check(tpl); err == nil {
		t.Error("Check(a misspelt parameter) = nil error")
	}
}
