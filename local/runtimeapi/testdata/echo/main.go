// Command echo is a function for the runtime API's tests, run through
// aws-lambda-go's own client: it answers with what it was given and what
// the runtime told it, fails, sleeps or exits when asked to.
package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type request struct {
	Say   string
	Fail  bool
	Sleep time.Duration
	Exit  bool
}

type response struct {
	Said        string
	RequestID   string
	FunctionARN string
	Deadline    time.Time
	PID         int
}

func main() {
	if os.Getenv("ECHO_INIT") == "fail" {
		// As a runtime reports a failed start, then exits.
		http.Post("http://"+os.Getenv("AWS_LAMBDA_RUNTIME_API")+"/2018-06-01/runtime/init/error", "application/json",
			strings.NewReader(`{"errorMessage":"bad configuration","errorType":"Runtime.InitError"}`))
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context, r request) (response, error) {
		if r.Exit {
			os.Exit(3)
		}
		if r.Fail {
			return response{}, errors.New("asked to fail")
		}
		time.Sleep(r.Sleep)
		lc, _ := lambdacontext.FromContext(ctx)
		d, _ := ctx.Deadline()
		return response{Said: r.Say, RequestID: lc.AwsRequestID, FunctionARN: lc.InvokedFunctionArn, Deadline: d, PID: os.Getpid()}, nil
	})
}
