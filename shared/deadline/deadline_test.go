package deadline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestWithin(t *testing.T) {
	parentEnd := time.Now().Add(10 * time.Second)
	withParent, cancel := context.WithDeadline(context.Background(), parentEnd)
	defer cancel()

	// The caller's deadline is sooner: keep Reserve back from it.
	ctx, cancel := Within(withParent, time.Hour)
	defer cancel()
	if got, ok := ctx.Deadline(); !ok || !got.Equal(parentEnd.Add(-Reserve)) {
		t.Errorf("Within(parent ending at %v, 1h) ends at %v, %v; want %v", parentEnd, got, ok, parentEnd.Add(-Reserve))
	}

	// Our own bound is sooner: it wins.
	before := time.Now()
	ctx, cancel = Within(withParent, time.Second)
	defer cancel()
	if got, ok := ctx.Deadline(); !ok || got.Before(before.Add(time.Second)) || !got.Before(parentEnd.Add(-Reserve)) {
		t.Errorf("Within(parent ending at %v, 1s) ends at %v, %v; want about a second from %v", parentEnd, got, ok, before)
	}

	// No bound anywhere: none is made up.
	ctx, cancel = Within(context.Background(), 0)
	defer cancel()
	if got, ok := ctx.Deadline(); ok {
		t.Errorf("Within(background, 0) ends at %v, want no deadline", got)
	}
}

func TestHandlerBoundsTheRequest(t *testing.T) {
	var got time.Time
	var ok bool
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok = r.Context().Deadline()
	}), 3*time.Second)
	before := time.Now()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if !ok || got.Before(before.Add(3*time.Second)) {
		t.Errorf("request context ends at %v, %v; want 3 s after %v", got, ok, before)
	}
}

func TestExceeded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("open ticket for web:k: %w", ctx.Err()), true},
		{context.Canceled, false},
		{errors.New("ValidationException"), false},
		{nil, false},
	} {
		if got := Exceeded(tt.err); got != tt.want {
			t.Errorf("Exceeded(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
