// Package identity is who a member of staff is, as the staff API and the
// staff console see them: a subject, a display name, roles and queues, taken
// from a verified token (the HTTP API's JWT authorizer in AWS, the local
// authorizer in development) or from a console session. Handlers receive an
// Identity, never a raw token; the domain records the subject as the actor.
package identity

import (
	"context"
	"slices"
	"strings"
)

// Role is what a member of staff may do.
type Role string

// The roles.
const (
	// Agent acts on tickets of their own queues.
	Agent Role = "agent"
	// Supervisor acts on tickets of their queues and on escalations.
	Supervisor Role = "supervisor"
	// Admin acts everywhere.
	Admin Role = "admin"
)

// Staff is a signed-in member of staff.
type Staff struct {
	// Subject is the token's stable subject ("sub"); history records it.
	Subject string `json:"subject"`
	// Name is for display only.
	Name   string   `json:"name,omitempty"`
	Roles  []Role   `json:"roles"`
	Queues []string `json:"queues,omitempty"`
}

// Has reports whether s holds role r.
func (s Staff) Has(r Role) bool { return slices.Contains(s.Roles, r) }

// InQueue reports whether queue q is one of s's queues. Admins are in
// every queue.
func (s Staff) InQueue(q string) bool { return s.Has(Admin) || slices.Contains(s.Queues, q) }

// Actor is how history records s.
func (s Staff) Actor() string { return actorPrefix + s.Subject }

const actorPrefix = "staff:"

// Actor is the one form a member of staff is stored in wherever a ticket
// names one (history's actor, the agent an acknowledgement or an
// assignment makes owner): "staff:<subject>". It takes the subject bare
// or already in that form; "" stays "".
func Actor(subject string) string {
	subject = strings.TrimSpace(subject)
	if subject == "" || strings.HasPrefix(subject, actorPrefix) {
		return subject
	}
	return actorPrefix + subject
}

type ctxKey struct{}

// With returns ctx carrying s.
func With(ctx context.Context, s Staff) context.Context { return context.WithValue(ctx, ctxKey{}, s) }

// From returns the identity ctx carries, if any.
func From(ctx context.Context) (Staff, bool) {
	s, ok := ctx.Value(ctxKey{}).(Staff)
	return s, ok
}
