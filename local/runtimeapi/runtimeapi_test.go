package runtimeapi

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// echo builds testdata/echo, a real aws-lambda-go program.
func echo(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "bootstrap")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/echo").CombinedOutput(); err != nil {
		tb.Fatalf("build echo: %v\n%s", err, out)
	}
	return bin
}

type echoed struct {
	Said, RequestID, FunctionARN string
	Deadline                     time.Time
	PID                          int
}

func invoke(tb testing.TB, f *Function, req string) (echoed, error) {
	tb.Helper()
	out, err := f.Invoke(context.Background(), []byte(req))
	var e echoed
	if err == nil {
		if jerr := json.Unmarshal(out, &e); jerr != nil {
			tb.Fatalf("Invoke(%s) = %q, not the echo's answer: %v", req, out, jerr)
		}
	}
	return e, err
}

func TestInvokeThroughAWSLambdaGo(t *testing.T) {
	bin := echo(t)
	var inits []time.Duration
	var mu sync.Mutex
	f := &Function{Name: "echo", Path: bin, Env: Environ(nil), Timeout: 2 * time.Second, Max: 2,
		OnInit: func(d time.Duration) { mu.Lock(); inits = append(inits, d); mu.Unlock() }}
	defer f.Close()

	before := time.Now()
	got, err := invoke(t, f, `{"Say":"hello"}`)
	if err != nil {
		t.Fatalf("Invoke(hello) = %v", err)
	}
	if got.Said != "hello" || got.RequestID == "" || !strings.HasSuffix(got.FunctionARN, ":function:echo") {
		t.Errorf("Invoke(hello) = %+v, want the echo with a request ID and the function's ARN", got)
	}
	// The deadline the runtime read from Lambda-Runtime-Deadline-Ms is the
	// timeout after the invocation began.
	if d := got.Deadline.Sub(before); d < 1900*time.Millisecond || d > 2*time.Second+time.Minute {
		t.Errorf("deadline %s after the call, want the 2s timeout", d)
	}
	again, err := invoke(t, f, `{"Say":"again"}`)
	if err != nil || again.PID != got.PID || again.RequestID == got.RequestID {
		t.Errorf("second Invoke = %+v, %v; want the same warm process (pid %d) and a new request ID", again, err, got.PID)
	}

	_, err = invoke(t, f, `{"Fail":true}`)
	var fe *Error
	if !errors.As(err, &fe) || fe.Message != "asked to fail" {
		t.Errorf("Invoke(fail) = %v, want the function's error", err)
	}

	// Two at once: a second process starts; a third waits for one of them.
	var wg sync.WaitGroup
	pids := make(chan int, 3)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := invoke(t, f, `{"Sleep":300000000}`)
			if err != nil {
				t.Errorf("concurrent Invoke = %v", err)
			}
			pids <- e.PID
		}()
	}
	wg.Wait()
	close(pids)
	seen := map[int]bool{}
	for p := range pids {
		seen[p] = true
	}
	if len(seen) != 2 {
		t.Errorf("three concurrent invocations ran in %d processes, want 2 (the limit)", len(seen))
	}
	mu.Lock()
	if len(inits) != 2 {
		t.Errorf("%d cold starts reported, want 2", len(inits))
	}
	mu.Unlock()

	_, err = invoke(t, f, `{"Sleep":5000000000}`)
	if !errors.As(err, &fe) || fe.Type != "Sandbox.Timedout" {
		t.Errorf("Invoke(sleep past the timeout) = %v, want a timeout", err)
	}
	_, err = invoke(t, f, `{"Exit":true}`)
	if !errors.As(err, &fe) || fe.Type != "Runtime.ExitError" {
		t.Errorf("Invoke(exit) = %v, want the runtime's exit", err)
	}
	if got, err := invoke(t, f, `{"Say":"after"}`); err != nil || got.Said != "after" {
		t.Errorf("Invoke after a timeout and an exit = %+v, %v; want a fresh process to answer", got, err)
	}
}

func TestInitError(t *testing.T) {
	f := &Function{Name: "echo", Path: echo(t), Env: Environ(map[string]string{"ECHO_INIT": "fail"})}
	defer f.Close()
	_, err := f.Invoke(context.Background(), []byte(`{}`))
	var fe *Error
	if !errors.As(err, &fe) || fe.Message != "bad configuration" || fe.Type != "Runtime.InitError" {
		t.Errorf("Invoke with a failing init = %v, want the init error the runtime posted", err)
	}
}

func TestWarm(t *testing.T) {
	f := &Function{Name: "echo", Path: echo(t), Env: Environ(nil), Max: 1}
	defer f.Close()
	d, err := f.Warm(context.Background())
	if err != nil || d <= 0 {
		t.Fatalf("Warm() = %s, %v; want the init time", d, err)
	}
	if _, err := f.Warm(context.Background()); err == nil {
		t.Error("Warm() past the process limit = nil error")
	}
	if got, err := invoke(t, f, `{"Say":"warm"}`); err != nil || got.Said != "warm" {
		t.Errorf("Invoke after Warm = %+v, %v; want the warm process to answer", got, err)
	}
}
