package email

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Quarantined lists and settles quarantined deliveries.
type Quarantined interface {
	Quarantined(ctx context.Context, ch ticket.Channel, all bool) ([]ticket.Quarantined, error)
	MarkReplayed(ctx context.Context, ch ticket.Channel, id string, at time.Time) error
}

// ReplayResult counts what a replay did.
type ReplayResult struct {
	Replayed int
	Failed   int
}

// Replay runs every quarantined email delivery through Process again,
// SES verdicts aside, and marks the ones that now go through. Replaying
// twice is harmless: the source claim makes the second run a duplicate,
// and replayed records are not listed again. Deliveries that still fail
// stay in quarantine with their first reason.
func (h *Handler) Replay(ctx context.Context, q Quarantined) (ReplayResult, error) {
	var res ReplayResult
	list, err := q.Quarantined(ctx, ticket.Email, false)
	if err != nil {
		return res, err
	}
	for _, item := range list {
		if err := h.replayOne(ctx, item); err != nil {
			res.Failed++
			slog.ErrorContext(ctx, "email replay failed", "id", item.ID, "err", err)
			continue
		}
		if err := q.MarkReplayed(ctx, ticket.Email, item.ID, h.now()); err != nil {
			return res, err
		}
		res.Replayed++
		slog.InfoContext(ctx, "email replayed", "id", item.ID)
	}
	return res, nil
}

func (h *Handler) replayOne(ctx context.Context, item ticket.Quarantined) error {
	if len(item.Payload) == 0 {
		return fmt.Errorf("replay %s: no notification kept", item.ID)
	}
	n, err := DecodeNotification(item.Payload)
	if err != nil {
		return fmt.Errorf("replay %s: %w", item.ID, err)
	}
	if n == nil {
		return nil
	}
	return h.Process(ctx, n, true)
}
