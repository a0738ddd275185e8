// Command local runs Frontdesk on a laptop.
//
//	go run ./local dev            the whole system: emulators, table, topics, queues and every handler
//	go run ./local with -- CMD    start fresh emulators, run CMD with FRONTDESK_TEST_* set, stop them
//	go run ./local coldstart      each function's cold start under the local runtime API (make bench)
//
// Both start only what they need from the fetched emulators (make
// emulators), bind everything to 127.0.0.1, and stop what they started.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		usage()
	}
	root, err := rootDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
	var code int
	switch os.Args[1] {
	case "dev":
		code = dev(ctx, root, os.Args[2:])
	case "with":
		code = with(ctx, root, os.Args[2:])
	case "coldstart":
		code = coldStart(ctx, root, os.Args[2:])
	default:
		usage()
	}
	os.Exit(code)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: go run ./local dev | with -- COMMAND [ARGS] | coldstart [-n N] [-floor BOOTSTRAP]")
	os.Exit(2)
}
