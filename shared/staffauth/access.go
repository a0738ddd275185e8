package staffauth

import "github.com/frontdesk/frontdesk/shared/identity"

// MayAct reports whether s may act on a ticket owned by queue at
// escalation level (0 while not escalated): an agent on the tickets of
// their own queues, a supervisor on those and on every escalated ticket,
// an admin on every ticket.
func MayAct(s identity.Staff, queue string, level int) bool {
	switch {
	case s.Has(identity.Admin):
		return true
	case s.Has(identity.Supervisor) && level >= 1:
		return true
	case s.Has(identity.Supervisor) || s.Has(identity.Agent):
		return queue != "" && s.InQueue(queue)
	default:
		return false
	}
}

// MayBlast reports whether s may create a notification blast: supervisors
// and admins may; an emergency blast, which goes out in quiet hours, only
// an admin.
func MayBlast(s identity.Staff, emergency bool) bool {
	if emergency {
		return s.Has(identity.Admin)
	}
	return s.Has(identity.Supervisor) || s.Has(identity.Admin)
}
