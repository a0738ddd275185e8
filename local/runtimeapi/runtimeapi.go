// Package runtimeapi runs a function's bootstrap binary the way Lambda
// does, for local runs: each execution environment is one process that
// pulls its events from a local implementation of the Lambda Runtime API
// (GET /2018-06-01/runtime/invocation/next, POST …/invocation/{id}/response,
// …/invocation/{id}/error, …/init/error), one event at a time, with the
// Lambda-Runtime-* headers and the deadline the function's timeout sets.
// More processes start under load, up to a limit; a process that exceeds
// its timeout is stopped, as Lambda stops the environment.
package runtimeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Path prefix of the Runtime API.
const apiPrefix = "/2018-06-01/runtime"

// Function is one function: its binary, environment and limits.
type Function struct {
	// Name is the function's name (AWS_LAMBDA_FUNCTION_NAME).
	Name string
	// Path is the bootstrap binary.
	Path string
	// Env is the function's environment, as NAME=value; the Runtime API
	// address and Lambda's own variables are added.
	Env []string
	// Timeout is the function's timeout (3 s when zero); InitTimeout
	// bounds the start of a process up to its first call for an event
	// (10 s when zero).
	Timeout, InitTimeout time.Duration
	// MemoryMB is reported in AWS_LAMBDA_FUNCTION_MEMORY_SIZE.
	MemoryMB int
	// Max is the most processes at once (1 when zero).
	Max int
	// Output receives the processes' standard output and error (discarded
	// when nil).
	Output io.Writer
	// OnInit, when set, is told each process's cold start: from starting
	// the process to its first call for an event.
	OnInit func(time.Duration)

	mu      sync.Mutex
	running int
	idle    chan *process
	closed  bool
	all     map[*process]bool
}

// Error is an error a function reported for an invocation (or its init),
// or the platform's own (a timeout, a process that exited).
type Error struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func (e *Error) Error() string {
	if e.Type == "" {
		return e.Message
	}
	return e.Type + ": " + e.Message
}

// result is an invocation's outcome.
type result struct {
	body []byte
	err  error
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	done     chan result
}

// process is one execution environment.
type process struct {
	f       *Function
	cmd     *exec.Cmd
	srv     *http.Server
	started time.Time
	// ready is closed at the first GET next; initErr carries an init
	// error the runtime reported.
	ready     chan struct{}
	readyOnce sync.Once
	exited    chan struct{}
	mu        sync.Mutex
	readyTime time.Time
	initErr   error
	current   *invocation
	work      chan *invocation
}

// Invoke runs one event on an idle process, starting one if none is idle
// and the limit allows, else waiting for one. It returns the function's
// response, or an *Error the function or the platform reported.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	p, err := f.acquire(ctx)
	if err != nil {
		return nil, err
	}
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	inv := &invocation{id: string(ticket.NewID(time.Now())), payload: payload, deadline: time.Now().Add(timeout), done: make(chan result, 1)}
	select {
	case p.work <- inv:
	case <-p.exited:
		f.drop(p)
		return nil, &Error{Type: "Runtime.ExitError", Message: "the runtime exited before taking the event"}
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-inv.done:
		f.release(p)
		return r.body, r.err
	case <-timer.C:
		p.stop()
		f.drop(p)
		return nil, &Error{Type: "Sandbox.Timedout", Message: fmt.Sprintf("task timed out after %s", timeout)}
	case <-p.exited:
		f.drop(p)
		return nil, &Error{Type: "Runtime.ExitError", Message: "the runtime exited during the invocation"}
	case <-ctx.Done():
		// The caller gave up; the process finishes the event on its own
		// and stays in the pool.
		go func() {
			select {
			case <-inv.done:
				f.release(p)
			case <-p.exited:
				f.drop(p)
			}
		}()
		return nil, ctx.Err()
	}
}

// Warm starts one more process, as a cold start does, and leaves it idle
// for the next event. It returns the process's init time: from starting
// it to its first call for an event.
func (f *Function) Warm(ctx context.Context) (time.Duration, error) {
	f.mu.Lock()
	f.init()
	if f.closed || f.running >= f.max() {
		f.mu.Unlock()
		return 0, errors.New("function closed or at its process limit")
	}
	p, err := f.startLocked(ctx)
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	d := p.readyTime.Sub(p.started)
	p.mu.Unlock()
	f.release(p)
	return d, nil
}

// init makes the pool; f.mu is held.
func (f *Function) init() {
	if f.idle == nil {
		f.idle = make(chan *process, f.max())
		f.all = map[*process]bool{}
	}
}

// startLocked counts a new process and starts it; it is called with f.mu
// held and returns with it released.
func (f *Function) startLocked(ctx context.Context) (*process, error) {
	f.running++
	f.mu.Unlock()
	p, err := f.start(ctx)
	if err != nil {
		f.mu.Lock()
		f.running--
		f.mu.Unlock()
		return nil, err
	}
	return p, nil
}

// acquire returns an idle process, or starts one.
func (f *Function) acquire(ctx context.Context) (*process, error) {
	f.mu.Lock()
	f.init()
	if f.closed {
		f.mu.Unlock()
		return nil, errors.New("function closed")
	}
	select {
	case p := <-f.idle:
		f.mu.Unlock()
		return p, nil
	default:
	}
	if f.running < f.max() {
		return f.startLocked(ctx)
	}
	idle := f.idle
	f.mu.Unlock()
	select {
	case p := <-idle:
		return p, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *Function) max() int {
	if f.Max <= 0 {
		return 1
	}
	return f.Max
}

func (f *Function) release(p *process) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		go p.stop()
		return
	}
	f.idle <- p
}

func (f *Function) drop(p *process) {
	p.stop()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.all[p] {
		delete(f.all, p)
		f.running--
	}
}

// Close stops every process.
func (f *Function) Close() {
	f.mu.Lock()
	f.closed = true
	var ps []*process
	for p := range f.all {
		ps = append(ps, p)
	}
	f.mu.Unlock()
	for _, p := range ps {
		p.stop()
	}
}

// start starts a process and waits for its first call for an event.
func (f *Function) start(ctx context.Context) (*process, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime api listener: %w", err)
	}
	p := &process{f: f, ready: make(chan struct{}), exited: make(chan struct{}), work: make(chan *invocation)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiPrefix+"/invocation/next", p.next)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/response", p.response)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/error", p.invocationError)
	mux.HandleFunc("POST "+apiPrefix+"/init/error", p.initError)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(l) }()

	mem := f.MemoryMB
	if mem <= 0 {
		mem = 128
	}
	p.cmd = exec.Command(f.Path)
	p.cmd.Env = append(append([]string{}, f.Env...),
		"AWS_LAMBDA_RUNTIME_API="+l.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME="+f.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(mem),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/"+f.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME=local",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"_HANDLER=bootstrap",
	)
	out := f.Output
	if out == nil {
		out = io.Discard
	}
	p.cmd.Stdout, p.cmd.Stderr = out, out
	// Its own process group, so stopping it stops whatever it started.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		_ = p.srv.Close()
		return nil, fmt.Errorf("start %s: %w", f.Name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
		_ = p.srv.Close()
	}()
	f.mu.Lock()
	f.all[p] = true
	f.mu.Unlock()

	initTimeout := f.InitTimeout
	if initTimeout <= 0 {
		initTimeout = 10 * time.Second
	}
	timer := time.NewTimer(initTimeout)
	defer timer.Stop()
	fail := func(err error) (*process, error) {
		p.stop()
		f.mu.Lock()
		delete(f.all, p)
		f.mu.Unlock()
		return nil, err
	}
	select {
	case <-p.ready:
		if f.OnInit != nil {
			p.mu.Lock()
			d := p.readyTime.Sub(p.started)
			p.mu.Unlock()
			f.OnInit(d)
		}
		return p, nil
	case <-p.exited:
		p.mu.Lock()
		err := p.initErr
		p.mu.Unlock()
		if err == nil {
			err = &Error{Type: "Runtime.ExitError", Message: fmt.Sprintf("%s exited during init (%v)", f.Name, p.cmd.ProcessState)}
		}
		return fail(err)
	case <-timer.C:
		return fail(&Error{Type: "Sandbox.Timedout", Message: fmt.Sprintf("%s did not ask for an event within %s of starting", f.Name, initTimeout)})
	case <-ctx.Done():
		return fail(ctx.Err())
	}
}

func (p *process) stop() {
	if p.cmd.Process == nil {
		return
	}
	select {
	case <-p.exited:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
}

// next hands the process its next event, waiting for one.
func (p *process) next(w http.ResponseWriter, r *http.Request) {
	p.readyOnce.Do(func() {
		p.mu.Lock()
		p.readyTime = time.Now()
		p.mu.Unlock()
		close(p.ready)
	})
	var inv *invocation
	select {
	case inv = <-p.work:
	case <-r.Context().Done():
		return
	case <-p.exited:
		return
	}
	p.mu.Lock()
	p.current = inv
	p.mu.Unlock()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:"+p.f.Name)
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-"+strconv.FormatInt(time.Now().Unix(), 16)+"-"+inv.id+";Sampled=0")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

// take returns the invocation id names, once.
func (p *process) take(id string) *invocation {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.current == nil || p.current.id != id {
		return nil
	}
	inv := p.current
	p.current = nil
	return inv
}

func (p *process) response(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 6<<20))
	if err != nil {
		writeStatus(w, http.StatusRequestEntityTooLarge, "response over 6 MB")
		return
	}
	inv := p.take(r.PathValue("id"))
	if inv == nil {
		writeStatus(w, http.StatusBadRequest, "no such invocation")
		return
	}
	inv.done <- result{body: body}
	writeStatus(w, http.StatusAccepted, "")
}

func (p *process) invocationError(w http.ResponseWriter, r *http.Request) {
	inv := p.take(r.PathValue("id"))
	if inv == nil {
		writeStatus(w, http.StatusBadRequest, "no such invocation")
		return
	}
	inv.done <- result{err: readError(r)}
	writeStatus(w, http.StatusAccepted, "")
}

func (p *process) initError(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.initErr = readError(r)
	p.mu.Unlock()
	writeStatus(w, http.StatusAccepted, "")
}

// readError reads the error body a runtime posts, with its
// Lambda-Runtime-Function-Error-Type header as the type when the body
// has none.
func readError(r *http.Request) *Error {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	e := &Error{}
	if json.Unmarshal(b, e) != nil || e.Message == "" {
		e.Message = string(bytes.TrimSpace(b))
	}
	if e.Type == "" {
		e.Type = r.Header.Get("Lambda-Runtime-Function-Error-Type")
	}
	return e
}

func writeStatus(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if msg == "" {
		_, _ = w.Write([]byte(`{"status":"OK"}`))
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"errorMessage": msg, "errorType": "InvalidRequest"})
}

// Environ returns vars as NAME=value lines over base (os.Environ() minus
// what the caller chooses to drop), for Function.Env.
func Environ(vars map[string]string) []string {
	out := make([]string, 0, len(vars)+2)
	// A process needs a PATH and a HOME to find its time zone data and
	// temp directory; nothing else leaks in from the caller.
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			if _, set := vars[k]; !set {
				out = append(out, k+"="+v)
			}
		}
	}
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}
