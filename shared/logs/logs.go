// Package logs gives every function the same structured log: JSON lines
// through log/slog, each carrying the function and, for intake functions,
// the channel; the provider's message ID under one name whatever the
// channel calls it; and one "invocation handled" line per invocation with
// its duration. Messages are constant and values are references, IDs,
// counts and reasons — never a message body, a phone number or an email
// address.
package logs

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// The fields every function's lines use.
const (
	// KeyFunction names the function ("webform", "sms", "twilio",
	// "notifier", "email"); on every line.
	KeyFunction = "function"
	// KeyChannel is the intake channel ("web", "sms", "email"); on every
	// line of an intake function.
	KeyChannel = "channel"
	// KeyRef is the ticket's reference (FD-XXXXXX).
	KeyRef = "ref"
	// KeyProviderID is the provider's ID of the delivery or of a message
	// sent: End User Messaging's inboundMessageId, Twilio's MessageSid,
	// the SES message ID.
	KeyProviderID = "providerId"
	// KeyDuration is an invocation's duration in milliseconds.
	KeyDuration = "durationMs"
	// KeyRequestID is Lambda's request ID of the invocation.
	KeyRequestID = "requestId"
)

// providerKeys are the names the channels' own code gives the provider's
// message ID; they are written as KeyProviderID.
var providerKeys = map[string]bool{"source": true, "messageSid": true, "sesMessageId": true}

// New returns a JSON logger writing to w whose every line names function
// and, when it is not empty, channel.
func New(w io.Writer, function string, channel ticket.Channel) *slog.Logger {
	fixed := []slog.Attr{slog.String(KeyFunction, function)}
	if channel != "" {
		fixed = append(fixed, slog.String(KeyChannel, string(channel)))
	}
	return slog.New(&handler{next: slog.NewJSONHandler(w, nil).WithAttrs(fixed)})
}

// handler renames the channels' provider-ID keys on the way through.
type handler struct{ next slog.Handler }

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(rename(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	renamed := make([]slog.Attr, len(as))
	for i, a := range as {
		renamed[i] = rename(a)
	}
	return &handler{next: h.next.WithAttrs(renamed)}
}

func (h *handler) WithGroup(name string) slog.Handler { return &handler{next: h.next.WithGroup(name)} }

func rename(a slog.Attr) slog.Attr {
	if providerKeys[a.Key] {
		a.Key = KeyProviderID
	}
	return a
}

// Invocations wraps a Lambda handler so that each invocation ends with one
// "invocation handled" line: its duration, Lambda's request ID, and the
// error when it returned one.
func Invocations[In, Out any](log *slog.Logger, h func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	return func(ctx context.Context, in In) (Out, error) {
		start := time.Now()
		out, err := h(ctx, in)
		attrs := []slog.Attr{slog.Int64(KeyDuration, time.Since(start).Milliseconds())}
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			attrs = append(attrs, slog.String(KeyRequestID, lc.AwsRequestID))
		}
		level := slog.LevelInfo
		if err != nil {
			level = slog.LevelError
			attrs = append(attrs, slog.String("err", err.Error()))
		}
		log.LogAttrs(ctx, level, "invocation handled", attrs...)
		return out, err
	}
}
