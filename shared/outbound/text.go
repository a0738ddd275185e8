package outbound

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Text is one SMS to a number outside any ticket whose caller claims and
// records it itself: a blast recipient, claimed per recipient and
// recorded under the blast (its SENT entry names the blast, so that
// replies join the blast's incident).
type Text struct {
	// To is the number, E.164.
	To      string
	Body    string
	Purpose Purpose
	// OptedOut, when set, is the number's opt-out state the caller read
	// moments ago, saving a read.
	OptedOut *bool
	// Urgent sends a purpose that keeps quiet hours anyway (an emergency
	// blast).
	Urgent bool
	// Quiet, when set, are the quiet hours the caller keeps (a blast's
	// own, which may be none); the service's otherwise. Zone is the
	// recipient's zone (the service's when nil).
	Quiet *ticket.QuietHours
	Zone  *time.Location
}

// SendText sends one text through the service's SMS sender, refusing,
// sending nothing, an opted-out number (ErrOptedOut, keyword answers
// excepted) and a purpose that keeps quiet hours in them (*QuietError).
// It neither claims nor records: the caller's claim must be taken before
// and its record written after, with the provider ID returned.
func (s *Service) SendText(ctx context.Context, t Text) (providerID string, err error) {
	switch {
	case !t.Purpose.Valid():
		return "", fmt.Errorf("text: purpose %q is not known", t.Purpose)
	case t.To == "":
		return "", fmt.Errorf("text: %w", ErrNoContact)
	case s.Texts == nil:
		return "", fmt.Errorf("text: %w", ErrNoChannel)
	}
	if t.Purpose.Quiet() && !t.Urgent {
		q := s.Quiet
		if t.Quiet != nil {
			q = *t.Quiet
		} else if q == (ticket.QuietHours{}) {
			q = ticket.DefaultQuietHours
		}
		zone := t.Zone
		if zone == nil {
			zone = s.zone(nil)
		}
		at := s.now()
		if _, next := q.Next(at, zone); !next.Equal(at) {
			return "", &QuietError{Until: next}
		}
	}
	if err := s.reachable(ctx, Request{Purpose: t.Purpose, OptedOut: t.OptedOut}, ticket.SMS, ticket.Contact{Phone: t.To}); err != nil {
		return "", fmt.Errorf("text: %w", err)
	}
	pid, err := s.Texts.Send(ctx, t.To, t.Body)
	if err != nil {
		return "", fmt.Errorf("text by sms: %w", err)
	}
	slog.InfoContext(ctx, "customer texted", "purpose", t.Purpose)
	return pid, nil
}
