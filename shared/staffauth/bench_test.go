package staffauth

import (
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkVerify measures the local authorizer's check of one token
// (an RS256 signature with a 2048-bit key, then the claims).
func BenchmarkVerify(b *testing.B) {
	iss := newTestIssuer(b)
	tok, err := iss.Mint(LocalStaff[1], time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	v := iss.Verifier()
	for b.Loop() {
		if _, err := v.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClaimsStaff measures mapping API Gateway's verified claims to
// an identity, what every staff request in AWS pays.
func BenchmarkClaimsStaff(b *testing.B) {
	claims := map[string]string{"sub": "7b1c2d3e", "name": "Wang Fang", "cognito:groups": "[supervisor staff-readers]", "custom:queues": "customer-service,field-service,complaints"}
	for b.Loop() {
		if _, err := (Claims{}).Staff(claims); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSession measures opening a console session cookie, what every
// console request pays.
func BenchmarkSession(b *testing.B) {
	ses := testSessions(b, false)
	w := httptest.NewRecorder()
	if err := ses.start(w, LocalStaff[1]); err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", HomePath, nil)
	r.AddCookie(w.Result().Cookies()[0])
	for b.Loop() {
		if _, err := ses.current(r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(w.Result().Cookies()[0].Value)), "cookie-bytes")
}
