package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/runtimeapi"
)

// coldStart measures each function's init time, from starting its
// bootstrap (built for this machine with the Lambda build's flags) under
// the local runtime API to its first call for an event, n times each,
// next to the floor binary given with -floor. Nothing is invoked, so no
// emulator is needed; Parameter Store is served from local/overrides.yaml
// because two functions read it while starting.
func coldStart(ctx context.Context, root string, args []string) int {
	fs := flag.NewFlagSet("coldstart", flag.ExitOnError)
	n := fs.Int("n", 10, "cold starts per function")
	floor := fs.String("floor", "", "bootstrap of the floor function (make bench builds local/floor)")
	fs.Parse(args)
	if err := runColdStart(ctx, root, *n, *floor); err != nil {
		fmt.Fprintln(os.Stderr, "local coldstart:", err)
		return 1
	}
	return 0
}

func runColdStart(ctx context.Context, root string, n int, floor string) error {
	dep, err := loadDeployment(root)
	if err != nil {
		return err
	}
	if err := dep.build(ctx); err != nil {
		return err
	}
	srvCtx, stop := context.WithCancel(ctx)
	defer stop()
	ssmURL, err := serve(srvCtx, awslocal.Parameters(dep.overrides.SSMParameters))
	if err != nil {
		return err
	}
	// Nothing answers here: a function that called another service while
	// starting would fail, which is worth knowing too.
	const nowhere = "http://127.0.0.1:9"
	dep.endpoints = map[string]string{"DYNAMODB": nowhere, "DYNAMODB_STREAMS": nowhere, "SNS": nowhere, "SQS": nowhere,
		"S3": nowhere, "SESV2": nowhere, "SSM": ssmURL}
	if err := dep.start("http://127.0.0.1:3000"); err != nil {
		return err
	}
	type target struct {
		name     string
		path, fn string
		env      []string
	}
	var targets []target
	if floor != "" {
		targets = append(targets, target{name: "floor (aws-lambda-go + one DynamoDB client)", fn: "floor", path: floor,
			env: runtimeapi.Environ(map[string]string{"AWS_REGION": awslocal.Region, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"})})
	}
	for _, id := range dep.tpl.Functions() {
		f := dep.functions[id]
		targets = append(targets, target{name: id, fn: f.Name, path: f.Path, env: f.Env})
	}
	fmt.Printf("cold start: process start to first call for an event, %d starts each, %s\n", n, hostPlatform())
	for _, t := range targets {
		var ds []time.Duration
		for range n {
			f := &runtimeapi.Function{Name: t.fn, Path: t.path, Env: t.env}
			d, err := f.Warm(ctx)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			ds = append(ds, d)
		}
		slices.Sort(ds)
		size := int64(0)
		if fi, err := os.Stat(t.path); err == nil {
			size = fi.Size()
		}
		fmt.Printf("coldstart %-46s median %7s  min %7s  max %7s  binary %5.2f MB\n", t.name,
			ds[len(ds)/2].Round(10*time.Microsecond), ds[0].Round(10*time.Microsecond), ds[len(ds)-1].Round(10*time.Microsecond), float64(size)/1e6)
	}
	return nil
}

func hostPlatform() string {
	return "binaries built for " + runtime.GOOS + "/" + runtime.GOARCH + " with the Lambda build's flags"
}
