package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/frontdesk/frontdesk/local/emulator"
	"github.com/frontdesk/frontdesk/local/testenv"
)

func rootDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return emulator.FindRoot(wd)
}

// with starts a fresh set of emulators on free ports, runs the command with
// their endpoints in FRONTDESK_TEST_*, stops them and returns the command's
// exit code. A fresh DynamoDB Local per run keeps stream records from
// piling up between runs.
func with(ctx context.Context, root string, args []string) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		usage()
	}
	emus, err := startAll(ctx, emulator.Paths{Root: root}, 0, 0, 0)
	defer emus.stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "local with:", err)
		return 1
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(),
		testenv.EnvDynamoDB+"="+emus.dynamo.URL,
		testenv.EnvFauxqs+"="+emus.fauxqs.URL,
		testenv.EnvSES+"="+emus.ses.URL,
	)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "local with:", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = cmd.Process.Signal(syscall.SIGINT)
		err = <-done
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "local with:", err)
		return 1
	}
	return 0
}

type emulators struct {
	dynamo, fauxqs, ses *emulator.Process
}

func (e *emulators) stop() {
	for _, p := range []*emulator.Process{e.ses, e.fauxqs, e.dynamo} {
		p.Stop()
	}
}

// startAll starts the three emulators; port 0 picks a free one.
func startAll(ctx context.Context, paths emulator.Paths, dynamoPort, fauxqsPort, sesPort int) (*emulators, error) {
	e := &emulators{}
	var err error
	if e.dynamo, err = emulator.DynamoDB(ctx, paths, dynamoPort); err != nil {
		return e, err
	}
	if e.fauxqs, err = emulator.Fauxqs(ctx, paths, fauxqsPort); err != nil {
		return e, err
	}
	if e.ses, err = emulator.SES(ctx, paths, sesPort); err != nil {
		return e, err
	}
	return e, nil
}
