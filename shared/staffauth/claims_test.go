package staffauth

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/identity"
)

func TestList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  ", nil},
		{"agent", []string{"agent"}},
		{"[agent supervisor]", []string{"agent", "supervisor"}},
		{"[agent]", []string{"agent"}},
		{"[]", nil},
		{`["agent","admin"]`, []string{"agent", "admin"}},
		{`[ "agent" , "" ]`, []string{"agent"}},
		{"customer-service,field-service", []string{"customer-service", "field-service"}},
		{"customer-service, field-service  complaints", []string{"customer-service", "field-service", "complaints"}},
		{",,a,,", []string{"a"}},
		{"[a,b]", []string{"a", "b"}},
		{"[unclosed", []string{"[unclosed"}},
		{"客服,投诉", []string{"客服", "投诉"}},
	}
	for _, tt := range tests {
		if got := List(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("List(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFlatten(t *testing.T) {
	var claims map[string]any
	if err := json.Unmarshal([]byte(`{"s":"x","n":1764626400,"f":1.5,"b":true,"a":["agent","supervisor"],"e":[],"o":{"k":"v"},"z":null}`), &claims); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"s": "x", "n": "1764626400", "f": "1.5", "b": "true", "a": "[agent supervisor]", "e": "[]", "o": `{"k":"v"}`, "z": ""}
	if got := Flatten(claims); !reflect.DeepEqual(got, want) {
		t.Errorf("Flatten = %q, want %q", got, want)
	}
}

func TestClaimsStaff(t *testing.T) {
	tests := []struct {
		name   string
		claims Claims
		in     map[string]string
		want   identity.Staff
		err    error
	}{
		{
			name: "cognito id token through API Gateway",
			in:   map[string]string{"sub": "u1", "name": "Wang Fang", "email": "w@example.com", "cognito:groups": "[supervisor readers]", "custom:queues": "complaints,billing"},
			want: identity.Staff{Subject: "u1", Name: "Wang Fang", Roles: []identity.Role{identity.Supervisor}, Queues: []string{"complaints", "billing"}},
		},
		{
			name: "name falls back to the user name, then email",
			in:   map[string]string{"sub": "u1", "cognito:username": "li.wei", "email": "l@example.com", "cognito:groups": "[agent]"},
			want: identity.Staff{Subject: "u1", Name: "li.wei", Roles: []identity.Role{identity.Agent}},
		},
		{
			name: "email as last resort",
			in:   map[string]string{"sub": "u1", "email": "l@example.com", "cognito:groups": "agent"},
			want: identity.Staff{Subject: "u1", Name: "l@example.com", Roles: []identity.Role{identity.Agent}},
		},
		{
			name: "several roles, repeated and in capitals",
			in:   map[string]string{"sub": "u1", "cognito:groups": `["Agent","admin","agent"]`, "custom:queues": "a a b"},
			want: identity.Staff{Subject: "u1", Roles: []identity.Role{identity.Agent, identity.Admin}, Queues: []string{"a", "b"}},
		},
		{
			name:   "configured claims",
			claims: Claims{Role: "roles", Queue: "queues"},
			in:     map[string]string{"sub": "u1", "roles": "[admin]", "queues": "[x y]", "cognito:groups": "[agent]"},
			want:   identity.Staff{Subject: "u1", Roles: []identity.Role{identity.Admin}, Queues: []string{"x", "y"}},
		},
		{
			name:   "configured role claim ignores the default",
			claims: Claims{Role: "roles"},
			in:     map[string]string{"sub": "u1", "cognito:groups": "[agent]"},
			err:    ErrNoRole,
		},
		{name: "no subject", in: map[string]string{"cognito:groups": "[agent]"}, err: ErrNoSubject},
		{name: "blank subject", in: map[string]string{"sub": " ", "cognito:groups": "[agent]"}, err: ErrNoSubject},
		{name: "no role", in: map[string]string{"sub": "u1"}, err: ErrNoRole},
		{name: "unknown roles only", in: map[string]string{"sub": "u1", "cognito:groups": "[staff agents]"}, err: ErrNoRole},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.claims.Staff(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Staff(%v) error = %v, want %v", tt.in, err, tt.err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Staff(%v) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestMayAct(t *testing.T) {
	agent := identity.Staff{Subject: "a", Roles: []identity.Role{identity.Agent}, Queues: []string{"customer-service", "field-service"}}
	sup := identity.Staff{Subject: "s", Roles: []identity.Role{identity.Supervisor}, Queues: []string{"complaints"}}
	admin := identity.Staff{Subject: "r", Roles: []identity.Role{identity.Admin}}
	none := identity.Staff{Subject: "n", Queues: []string{"complaints"}}
	tests := []struct {
		name  string
		s     identity.Staff
		queue string
		level int
		want  bool
	}{
		{"agent, own queue", agent, "field-service", 0, true},
		{"agent, own queue escalated", agent, "field-service", 2, true},
		{"agent, other queue", agent, "complaints", 0, false},
		{"agent, other queue escalated", agent, "complaints", 1, false},
		{"agent, no queue", agent, "", 0, false},
		{"supervisor, own queue", sup, "complaints", 0, true},
		{"supervisor, other queue", sup, "billing", 0, false},
		{"supervisor, other queue escalated", sup, "billing", 1, true},
		{"supervisor, other queue escalated twice", sup, "billing", 2, true},
		{"admin, any queue", admin, "billing", 0, true},
		{"admin, no queue", admin, "", 0, true},
		{"no role, listed queue", none, "complaints", 0, false},
		{"no role, escalated", none, "complaints", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MayAct(tt.s, tt.queue, tt.level); got != tt.want {
				t.Errorf("MayAct(%v, %q, %d) = %v, want %v", tt.s.Roles, tt.queue, tt.level, got, tt.want)
			}
		})
	}
}

func TestMayBlast(t *testing.T) {
	role := func(r ...identity.Role) identity.Staff { return identity.Staff{Subject: "x", Roles: r} }
	tests := []struct {
		name      string
		s         identity.Staff
		emergency bool
		want      bool
	}{
		{"agent", role(identity.Agent), false, false},
		{"agent, emergency", role(identity.Agent), true, false},
		{"supervisor", role(identity.Supervisor), false, true},
		{"supervisor, emergency", role(identity.Supervisor), true, false},
		{"admin", role(identity.Admin), false, true},
		{"admin, emergency", role(identity.Admin), true, true},
		{"agent and supervisor", role(identity.Agent, identity.Supervisor), false, true},
		{"no role", role(), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MayBlast(tt.s, tt.emergency); got != tt.want {
				t.Errorf("MayBlast(%v, %v) = %v, want %v", tt.s.Roles, tt.emergency, got, tt.want)
			}
		})
	}
}

func TestClaimsFromEnv(t *testing.T) {
	tests := []struct {
		vars map[string]string
		want Claims
	}{
		{map[string]string{}, Claims{Role: "cognito:groups", Queue: "custom:queues"}},
		{map[string]string{"STAFF_ROLE_CLAIM": " roles ", "STAFF_QUEUE_CLAIM": "queues"}, Claims{Role: "roles", Queue: "queues"}},
	}
	for _, tt := range tests {
		r := env.New(func(k string) string { return tt.vars[k] })
		if got := ClaimsFromEnv(r); got != tt.want || r.Err() != nil {
			t.Errorf("ClaimsFromEnv(%v) = %+v, %v; want %+v", tt.vars, got, r.Err(), tt.want)
		}
	}
}
