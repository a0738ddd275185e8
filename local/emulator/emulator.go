// Package emulator starts and stops the local stand-ins for AWS that
// Frontdesk runs against on a laptop and in CI: DynamoDB Local (AWS's own
// jar), fauxqs (SNS, SQS, S3) and aws-ses-v2-local (SES v2). Every one binds
// to 127.0.0.1 and is stopped by its process group. `make emulators`
// fetches them (DynamoDB Local into .cache/, the Node ones with npm ci).
package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is a running emulator.
type Process struct {
	Name string
	Port int
	// URL is the endpoint to point SDK clients at.
	URL string
	Log string
	cmd *exec.Cmd
	// done is closed when the process has exited.
	done chan struct{}
	err  error
}

// Stop ends the emulator and everything it started: SIGTERM to its process
// group, SIGKILL after a grace period.
func (p *Process) Stop() {
	if p == nil || p.cmd == nil || p.cmd.Process == nil {
		return
	}
	pgid := -p.cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-p.done
	}
}

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Pid returns the emulator's process ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Paths says where the fetched emulators live.
type Paths struct {
	// Root is the repository root.
	Root string
}

// DynamoDBDir is where the DynamoDB Local jar is unpacked.
func (p Paths) DynamoDBDir() string { return filepath.Join(p.Root, ".cache", "dynamodb") }

// NodeModules is where the Node emulators are installed.
func (p Paths) NodeModules() string {
	return filepath.Join(p.Root, "local", "emulators", "node_modules")
}

// LogDir is where emulator output goes.
func (p Paths) LogDir() string { return filepath.Join(p.Root, ".cache", "logs") }

// FindRoot walks up from dir to the folder holding go.mod.
func FindRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}

// PortFree reports a clear error when port is taken on 127.0.0.1.
func PortFree(port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d on 127.0.0.1 is already in use (set another port in the environment, or stop what holds it): %w", port, err)
	}
	return l.Close()
}

// FreePort returns a port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func pickPort(port int) (int, error) {
	if port == 0 {
		return FreePort()
	}
	return port, PortFree(port)
}

func start(ctx context.Context, paths Paths, name string, port int, env []string, ready func(string) bool, dir string, argv ...string) (*Process, error) {
	if err := os.MkdirAll(paths.LogDir(), 0o755); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	logPath := filepath.Join(paths.LogDir(), name+"-"+strconv.Itoa(port)+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so Stop ends its children too and a Ctrl-C
	// in the terminal reaches us first, not it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Port: port, URL: "http://127.0.0.1:" + strconv.Itoa(port), Log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if exited, err := p.Exited(); exited {
			return nil, fmt.Errorf("start %s: exited early (%v); see %s", name, err, logPath)
		}
		if ready(p.URL) {
			return p, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.Stop()
			return nil, fmt.Errorf("start %s: not ready on port %d after 60s; see %s", name, port, logPath)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var probe = &http.Client{Timeout: time.Second}

// answers reports whether anything answers HTTP at url.
func answers(url string) bool {
	resp, err := probe.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// DynamoDB starts DynamoDB Local in memory on port (0: any free port).
func DynamoDB(ctx context.Context, paths Paths, port int) (*Process, error) {
	port, err := pickPort(port)
	if err != nil {
		return nil, fmt.Errorf("start dynamodb: %w", err)
	}
	dir := paths.DynamoDBDir()
	if _, err := os.Stat(filepath.Join(dir, "DynamoDBLocal.jar")); err != nil {
		return nil, fmt.Errorf("start dynamodb: DynamoDB Local is not fetched (run make emulators): %w", err)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, errors.New("start dynamodb: java is not on the PATH (DynamoDB Local needs Java 17)")
	}
	ready := func(url string) bool {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		resp, err := probe.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	}
	return start(ctx, paths, "dynamodb", port, nil, ready, dir,
		java, "-Xmx512m", "-Djava.library.path=./DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar",
		"-inMemory", "-sharedDb", "-disableTelemetry", "-port", strconv.Itoa(port))
}

func node(paths Paths, pkg, script string) (string, string, error) {
	bin, err := exec.LookPath("node")
	if err != nil {
		return "", "", errors.New("node is not on the PATH (the SNS/SQS/S3 and SES emulators need Node 20)")
	}
	js := filepath.Join(paths.NodeModules(), pkg, script)
	if _, err := os.Stat(js); err != nil {
		return "", "", fmt.Errorf("%s is not installed (run make emulators): %w", pkg, err)
	}
	return bin, js, nil
}

// Fauxqs starts the SNS, SQS and S3 emulator on port (0: any free port).
func Fauxqs(ctx context.Context, paths Paths, port int) (*Process, error) {
	port, err := pickPort(port)
	if err != nil {
		return nil, fmt.Errorf("start fauxqs: %w", err)
	}
	bin, js, err := node(paths, "fauxqs", "dist/cli.js")
	if err != nil {
		return nil, fmt.Errorf("start fauxqs: %w", err)
	}
	env := []string{"FAUXQS_HOST=127.0.0.1", "FAUXQS_PORT=" + strconv.Itoa(port)}
	return start(ctx, paths, "fauxqs", port, env, answers, paths.Root, bin, js)
}

// SES starts the SES v2 emulator on port (0: any free port).
func SES(ctx context.Context, paths Paths, port int) (*Process, error) {
	port, err := pickPort(port)
	if err != nil {
		return nil, fmt.Errorf("start ses: %w", err)
	}
	bin, js, err := node(paths, "aws-ses-v2-local", "dist/cli.js")
	if err != nil {
		return nil, fmt.Errorf("start ses: %w", err)
	}
	ready := func(url string) bool { return answers(url + "/health-check") }
	return start(ctx, paths, "ses", port, nil, ready, paths.Root, bin, js, "--host", "127.0.0.1", "--port", strconv.Itoa(port))
}
