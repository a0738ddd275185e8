// Package deadline bounds how long a handler waits on its dependencies
// (DynamoDB, S3, SNS, SES) for one request or event, so that a stalled
// dependency becomes a clear answer the caller can retry — a 503 with
// Retry-After, a record reported as failed — before the caller gives up
// on its own (API Gateway after 30 s, Twilio after 15 s, Lambda at the
// function's timeout).
//
// Every AWS call takes the handler's context, so bounding that context
// bounds every call made for the request, retries and backoff included:
//
//	ctx, cancel := deadline.Within(ctx, 5*time.Second)
//	defer cancel()
//	… store.Apply(ctx, …) …
//	if deadline.Exceeded(err) { answer "try again" }
//
// HTTP handlers can take the whole request's bound from Handler.
package deadline

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Reserve is kept back from the caller's own deadline (a Lambda
// invocation's, which aws-lambda-go puts on the context) so that the
// handler still has time to answer after its work was cut short.
const Reserve = time.Second

// Within returns a context that ends d from now, or Reserve before ctx's
// own deadline when that comes sooner. A d of zero or less sets no bound
// of its own.
func Within(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	end, ok := ctx.Deadline()
	if ok {
		end = end.Add(-Reserve)
	}
	if d > 0 {
		if mine := time.Now().Add(d); !ok || mine.Before(end) {
			end, ok = mine, true
		}
	}
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, end)
}

// Handler runs h with every request's context bounded by Within(d).
func Handler(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := Within(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Exceeded reports whether err is a deadline running out: work cut short
// because a dependency did not answer in time, which is worth trying
// again.
func Exceeded(err error) bool {
	return errors.Is(err, context.DeadlineExceeded)
}
