package identity

import (
	"context"
	"testing"
)

func TestStaff(t *testing.T) {
	agent := Staff{Subject: "a1", Roles: []Role{Agent}, Queues: []string{"billing"}}
	admin := Staff{Subject: "root", Roles: []Role{Admin}}
	tests := []struct {
		name  string
		s     Staff
		queue string
		want  bool
	}{
		{"agent in own queue", agent, "billing", true},
		{"agent in other queue", agent, "complaints", false},
		{"admin anywhere", admin, "complaints", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.InQueue(tt.queue); got != tt.want {
				t.Errorf("InQueue(%q) = %v, want %v", tt.queue, got, tt.want)
			}
		})
	}
	if _, ok := From(context.Background()); ok {
		t.Error("From(empty context) found an identity")
	}
	got, ok := From(With(context.Background(), agent))
	if !ok || got.Subject != "a1" || got.Actor() != "staff:a1" {
		t.Errorf("From(With(agent)) = %+v, %v", got, ok)
	}
}
