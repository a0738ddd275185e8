package staffauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/frontdesk/frontdesk/shared/identity"
)

// TestGateway pushes API Gateway HTTP API payloads (JWT authorizer claims
// as API Gateway flattens them) through the Lambda runtime's JSON path and
// httpadapter.NewV2, as the staff function runs.
func TestGateway(t *testing.T) {
	tests := []struct {
		file  string
		code  int
		want  identity.Staff
		error string
	}{
		{
			file: "apigw-staff-supervisor.json", code: 200,
			want: identity.Staff{Subject: "7b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", Name: "Wang Fang",
				Roles: []identity.Role{identity.Supervisor}, Queues: []string{"customer-service", "field-service", "complaints"}},
		},
		{file: "apigw-staff-agent.json", code: 403, error: ErrOtherQueue.Error()},
		{file: "apigw-staff-norole.json", code: 403, error: ErrNoRole.Error()},
		{file: "apigw-staff-unauthorized.json", code: 401, error: ErrNotVerified.Error()},
	}
	invoke := lambda.NewHandler(httpadapter.NewV2(Claims{}.Gateway(staffHandler)).ProxyWithContext)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			payload, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			out, err := invoke.Invoke(context.Background(), payload)
			if err != nil {
				t.Fatal(err)
			}
			var resp events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.code {
				t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, tt.code, resp.Body)
			}
			if tt.error != "" {
				var body map[string]string
				if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body["error"] != tt.error {
					t.Errorf("body = %s, want error %q", resp.Body, tt.error)
				}
				if !strings.HasPrefix(resp.Headers["Www-Authenticate"], "Bearer") {
					t.Errorf("headers = %v, want a WWW-Authenticate challenge", resp.Headers)
				}
				return
			}
			var got identity.Staff
			if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("identity = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestGatewayOutsideLambda: served directly (no API Gateway context), the
// gateway middleware lets nobody in, whatever the headers say.
func TestGatewayOutsideLambda(t *testing.T) {
	iss := newTestIssuer(t)
	tok, err := iss.Mint(LocalStaff[2], LocalTTL)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/staff/tickets", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	Claims{}.Gateway(staffHandler).ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", w.Code)
	}
}
