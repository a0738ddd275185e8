package awslocal

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Parameters serves SSM Parameter Store's GetParameter from a fixed map of
// names to values, for local runs: the Twilio function's auth tokens and
// the email function's reply-token keys (read through the
// /aws/reference/secretsmanager/ path, as on AWS). Point a function at it
// with AWS_ENDPOINT_URL_SSM. Any other action is refused.
type Parameters map[string]string

// ServeHTTP answers one SSM JSON-protocol request.
func (p Parameters) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, kind, msg string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": kind, "message": msg})
	}
	if target := r.Header.Get("X-Amz-Target"); target != "AmazonSSM.GetParameter" {
		fail(http.StatusBadRequest, "InvalidAction", "the local parameter store serves GetParameter only, not "+target)
		return
	}
	var in struct{ Name string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil {
		fail(http.StatusBadRequest, "ValidationException", "unreadable request")
		return
	}
	v, ok := p[in.Name]
	if !ok {
		fail(http.StatusBadRequest, "ParameterNotFound", "no local parameter "+in.Name)
		return
	}
	typ := "SecureString"
	if strings.HasPrefix(in.Name, "/aws/reference/secretsmanager/") {
		typ = "String"
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{
		"Name": in.Name, "Value": v, "Type": typ, "Version": 1, "ARN": "arn:aws:ssm:" + Region + ":" + Account + ":parameter" + in.Name,
	}})
}
