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

func TestActor(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ann", "staff:ann"},
		{"staff:ann", "staff:ann"},
		{"  ann ", "staff:ann"},
		{"auth0|6543", "staff:auth0|6543"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Actor(tt.in); got != tt.want {
			t.Errorf("Actor(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got, want := Actor("ann"), (Staff{Subject: "ann"}).Actor(); got != want {
		t.Errorf("Actor(subject) = %q, Staff.Actor() = %q: want one form", got, want)
	}
}
