package sms

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Reject quarantines a delivery that could not be used, with the reason,
// so it can be replayed; deliveryID names it when the text's own ID is
// unknown. The raw delivery is kept as received.
func (s *Service) Reject(ctx context.Context, m Message, deliveryID string, raw []byte, cause error) error {
	reason := cause.Error()
	var ie *InputError
	if errors.As(cause, &ie) {
		reason = ie.Reason
		if ie.Detail != "" {
			reason += ": " + ie.Detail
		}
	}
	// The record's key must always be valid, or the delivery is never
	// kept and the queue retries it for ever: an ID that is missing or
	// was refused (too long, not UTF-8) gives way to the delivery's own
	// ID, or to a hash of the bytes received.
	id := m.ID
	if !usableID(id) {
		if usableID(deliveryID) {
			id = "delivery-" + deliveryID
		} else {
			sum := sha256.Sum256(raw)
			id = "received-" + hex.EncodeToString(sum[:16])
		}
	}
	if !usableID(deliveryID) {
		deliveryID = id
	}
	q := ticket.Quarantined{
		Channel: ticket.SMS, ID: id, Source: string(m.Provider) + ":" + deliveryID,
		Reason: reason, At: s.now(), Payload: raw,
	}
	if err := s.Quarantiner.Quarantine(ctx, q); err != nil {
		return fmt.Errorf("quarantine sms %s: %w", id, err)
	}
	slog.WarnContext(ctx, "sms quarantined", "id", id, "delivery", deliveryID, "reason", reason)
	return nil
}

// usableID reports whether a provider's ID can name a record as it is:
// present, valid UTF-8, printable and no longer than the limit on fields.
func usableID(id string) bool {
	if id == "" || len(id) > maxField || !utf8.ValidString(id) {
		return false
	}
	return !strings.ContainsFunc(id, func(r rune) bool { return !unicode.IsPrint(r) })
}
