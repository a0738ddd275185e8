package webform_test

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/webform"
)

var update = flag.Bool("update", false, "rewrite golden files")

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// now is Monday 2026-11-23 10:00 in Shanghai, inside business hours.
var now = time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)

type rig struct {
	store   *dynamo.Store
	handler *webform.Handler
	invoke  lambda.Handler
}

func newRig(tb testing.TB, cfg webform.Config) *rig {
	tb.Helper()
	store, _ := testenv.Table(tb)
	store.Now = func() time.Time { return now }
	rules := ticket.MustDefaultRules(shanghai)
	svc := &intake.Service{Store: store, Rules: rules, Region: "CN", Now: func() time.Time { return now }}
	cfg.Calendar = rules.Calendar
	cfg.Region = "CN"
	cfg.Now = func() time.Time { return now }
	cfg.Finder = store
	if cfg.PerIP == 0 {
		cfg.PerIP, cfg.Global = 100, 1000
	}
	if cfg.Deadline == 0 {
		// A loaded machine running with -race is slow, not stalled: the
		// tests of the deadline itself set a short one.
		cfg.Deadline = 30 * time.Second
	}
	h := webform.New(svc, cfg)
	return &rig{store: store, handler: h, invoke: lambda.NewHandler(httpadapter.NewV2(h).ProxyWithContext)}
}

// do pushes a raw API Gateway v2 payload through the Lambda handler, as the
// runtime would, and decodes the response.
func (r *rig) do(tb testing.TB, payload []byte) events.APIGatewayV2HTTPResponse {
	tb.Helper()
	out, err := r.invoke.Invoke(context.Background(), payload)
	if err != nil {
		tb.Fatalf("Invoke: %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		tb.Fatalf("decode response: %v", err)
	}
	return resp
}

func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// withBody returns the fixture with its body (and content type) replaced.
func withBody(tb testing.TB, name, contentType, body string, headers map[string]string) []byte {
	tb.Helper()
	var ev map[string]any
	if err := json.Unmarshal(fixture(tb, name), &ev); err != nil {
		tb.Fatal(err)
	}
	ev["body"] = body
	h := ev["headers"].(map[string]any)
	h["content-type"] = contentType
	h["content-length"] = strconv.Itoa(len(body))
	for k, v := range headers {
		h[k] = v
	}
	b, _ := json.Marshal(ev)
	return b
}

func TestPostJSONCreatesThenRepeats(t *testing.T) {
	r := newRig(t, webform.Config{})
	first := r.do(t, fixture(t, "post-json.json"))
	if first.StatusCode != http.StatusCreated {
		t.Fatalf("POST = %d %s, want 201", first.StatusCode, first.Body)
	}
	var got webform.TicketView
	if err := json.Unmarshal([]byte(first.Body), &got); err != nil {
		t.Fatal(err)
	}
	if loc := first.Headers["Location"]; loc != "/contacts/"+string(got.Ref) {
		t.Errorf("Location = %q, want /contacts/%s", loc, got.Ref)
	}
	want := webform.TicketView{
		Ref: got.Ref, Status: ticket.New, Channel: ticket.Web, Kind: ticket.Repair, Priority: "P2", Owner: "field-service",
		Contact: ticket.Contact{Name: "陈小姐", Phone: "+8613800138000", Email: "Chen.Li@example.com"},
		Callback: &ticket.Callback{
			Start: time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 25, 3, 30, 0, 0, time.UTC), Zone: "Asia/Shanghai",
			// Booked as the first attempt: the agent reminded 15 minutes
			// before, the customer as their quiet hours end (08:00).
			Attempts: 1, AgentAt: time.Date(2026, 11, 25, 1, 45, 0, 0, time.UTC), RemindAt: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		},
	}
	if got.Kind != want.Kind || got.Priority != want.Priority || got.Owner != want.Owner || got.Contact != want.Contact || got.Status != want.Status || got.Channel != want.Channel {
		t.Errorf("ticket = %+v, want %+v", got, want)
	}
	if got.Callback == nil || *got.Callback != *want.Callback {
		t.Errorf("callback = %+v, want %+v", got.Callback, want.Callback)
	}
	// Repair: acknowledge within 4 business hours (10:00 → 14:00 Shanghai),
	// resolve within 24 hours.
	if wantAck := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC); !got.AckBy.Equal(wantAck) {
		t.Errorf("ackBy = %v, want %v", got.AckBy, wantAck)
	}
	if got.ResolveBy == nil || !got.ResolveBy.Equal(now.Add(24*time.Hour)) {
		t.Errorf("resolveBy = %v, want %v", got.ResolveBy, now.Add(24*time.Hour))
	}
	if !regexp.MustCompile(`"ackBy":"2026-11-23T06:00:00Z"`).MatchString(first.Body) {
		t.Errorf("body %s does not carry ackBy in RFC 3339 UTC", first.Body)
	}

	again := r.do(t, fixture(t, "post-json.json"))
	if again.StatusCode != http.StatusOK || !strings.Contains(again.Body, string(got.Ref)) {
		t.Fatalf("repeat POST = %d %s, want 200 with %s", again.StatusCode, again.Body, got.Ref)
	}

	// Location names where the contact stands, without personal details.
	rec := httptest.NewRecorder()
	r.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, first.Headers["Location"], nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"new"`) || strings.Contains(rec.Body.String(), "8613800138000") {
		t.Errorf("GET %s = %d %s, want the status without the phone", first.Headers["Location"], rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	r.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/contacts/FD-ZZZZZZ", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("GET an unknown reference = %d, want 404", rec.Code)
	}
	list, err := r.store.Recent(context.Background(), 10, 2)
	if err != nil || len(list) != 1 {
		t.Fatalf("table holds %d tickets (%v), want 1", len(list), err)
	}
}

func TestPostRejections(t *testing.T) {
	r := newRig(t, webform.Config{})
	tests := []struct {
		name       string
		payload    []byte
		wantStatus int
		wantErrors map[string]string // field → part of the message
	}{
		{
			name: "every bad field at once, in Chinese", payload: fixture(t, "post-json-invalid-zh.json"), wantStatus: 422,
			wantErrors: map[string]string{
				"phone": "有效的电话号码", "email": "有效的电子邮箱", "message": "必填", "kind": "类别",
				"consent": "同意", "callback.date": "该时间已过",
			},
		},
		{
			name: "callback outside business hours", payload: fixture(t, "post-json-callback-after-hours.json"), wantStatus: 422,
			wantErrors: map[string]string{"callback.from": "08:30–17:30 (Asia/Shanghai), Monday to Friday"},
		},
		{
			name: "callback too far ahead",
			payload: withBody(t, "post-json.json", "application/json",
				`{"phone":"13800138000","message":"call me","consent":true,"callback":{"date":"2026-12-10","from":"10:00","to":"11:00","timeZone":"Asia/Shanghai"}}`, nil),
			wantStatus: 422, wantErrors: map[string]string{"callback.date": "up to 14 days ahead"},
		},
		{
			name:       "neither phone nor email",
			payload:    withBody(t, "post-json.json", "application/json", `{"name":"Ann","message":"hello","consent":true}`, nil),
			wantStatus: 422, wantErrors: map[string]string{"contact": "phone number or an email"},
		},
		{
			name:       "unknown JSON field",
			payload:    withBody(t, "post-json.json", "application/json", `{"phon":"13800138000","message":"hi","consent":true}`, nil),
			wantStatus: 422, wantErrors: map[string]string{"phon": "not part of the form"},
		},
		{
			name:       "malformed JSON",
			payload:    withBody(t, "post-json.json", "application/json", `{"message":`, nil),
			wantStatus: 400, wantErrors: map[string]string{"body": "not valid JSON"},
		},
		{
			name:       "wrong type",
			payload:    withBody(t, "post-json.json", "application/json", `{"phone":"13800138000","message":"hi","consent":"yes"}`, nil),
			wantStatus: 422, wantErrors: map[string]string{"consent": "expected bool"},
		},
		{
			name: "other content type", payload: fixture(t, "post-xml.json"), wantStatus: 415,
			wantErrors: map[string]string{"body": "application/json"},
		},
		{
			name:       "body over 64 KB",
			payload:    withBody(t, "post-json.json", "application/json", `{"message":"`+strings.Repeat("x", 70<<10)+`"}`, nil),
			wantStatus: 413, wantErrors: map[string]string{"body": "over 64 KB"},
		},
		{
			name:       "bad idempotency key",
			payload:    withBody(t, "post-json.json", "application/json", `{"phone":"13800138000","message":"hi","consent":true}`, map[string]string{"idempotency-key": "short"}),
			wantStatus: 400, wantErrors: map[string]string{"Idempotency-Key": "8 to 128"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := r.do(t, tt.payload)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d (%s), want %d", resp.StatusCode, resp.Body, tt.wantStatus)
			}
			var body struct{ Errors map[string]string }
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatalf("body %q is not the errors JSON: %v", resp.Body, err)
			}
			for field, part := range tt.wantErrors {
				if !strings.Contains(body.Errors[field], part) {
					t.Errorf("errors[%q] = %q, want it to say %q (all: %v)", field, body.Errors[field], part, body.Errors)
				}
			}
			if len(body.Errors) != len(tt.wantErrors) {
				t.Errorf("errors = %v, want exactly the fields %v", body.Errors, tt.wantErrors)
			}
		})
	}
	if list, _ := r.store.Recent(context.Background(), 10, 2); len(list) != 0 {
		t.Fatalf("rejected posts made %d tickets", len(list))
	}
}

func TestBrowserFormPost(t *testing.T) {
	r := newRig(t, webform.Config{})
	resp := r.do(t, fixture(t, "post-form.json"))
	if resp.StatusCode != http.StatusCreated || !strings.Contains(resp.Headers["Content-Type"], "text/html") {
		t.Fatalf("form post = %d %s, want 201 text/html", resp.StatusCode, resp.Headers["Content-Type"])
	}
	ref := regexp.MustCompile(`id="ref">(FD-[0-9A-Z]{6})<`).FindStringSubmatch(resp.Body)
	if ref == nil {
		t.Fatalf("thank-you page shows no reference:\n%s", resp.Body)
	}
	id, err := r.store.ByRef(context.Background(), ticket.Ref(ref[1]))
	if err != nil {
		t.Fatalf("ByRef(%s): %v", ref[1], err)
	}
	tk, err := r.store.View(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Kind != ticket.Complaint || tk.Contact.Phone != "+442079460958" || tk.Callback != nil {
		t.Errorf("ticket = %s %q callback %v, want a complaint from +442079460958 without callback", tk.Kind, tk.Contact.Phone, tk.Callback)
	}
	// The hidden token makes a resubmitted form the same contact.
	again := r.do(t, fixture(t, "post-form.json"))
	if again.StatusCode != http.StatusOK || !strings.Contains(again.Body, ref[1]) {
		t.Fatalf("resubmitted form = %d, want 200 showing %s", again.StatusCode, ref[1])
	}
}

func TestHoneypotLooksLikeSuccess(t *testing.T) {
	r := newRig(t, webform.Config{})
	resp := r.do(t, fixture(t, "post-form-honeypot.json"))
	if resp.StatusCode != http.StatusCreated || !regexp.MustCompile(`FD-[0-9A-Z]{6}`).MatchString(resp.Body) {
		t.Fatalf("honeypot post = %d, want 201 with a reference", resp.StatusCode)
	}
	if list, _ := r.store.Recent(context.Background(), 10, 2); len(list) != 0 {
		t.Fatalf("honeypot post made %d tickets, want none", len(list))
	}
}

func TestRateLimitPerIP(t *testing.T) {
	r := newRig(t, webform.Config{PerIP: 2, Global: 100, Window: 10 * time.Minute})
	for i, key := range []string{"key-aaaaaaaa", "key-bbbbbbbb", "key-cccccccc"} {
		p := withBody(t, "post-json.json", "application/json", `{"phone":"13800138000","message":"hi","consent":true}`, map[string]string{"idempotency-key": key})
		resp := r.do(t, p)
		switch {
		case i < 2 && resp.StatusCode != http.StatusCreated:
			t.Fatalf("post %d = %d %s, want 201", i, resp.StatusCode, resp.Body)
		case i == 2 && resp.StatusCode != http.StatusTooManyRequests:
			t.Fatalf("post %d = %d, want 429", i, resp.StatusCode)
		case i == 2:
			if ra := resp.Headers["Retry-After"]; ra == "" || ra == "0" {
				t.Errorf("Retry-After = %q, want seconds", ra)
			}
			if !strings.Contains(resp.Body, "try again in") {
				t.Errorf("429 body %s does not say when to retry", resp.Body)
			}
		}
	}
	// A repeat of an accepted key is not a new contact: not limited.
	p := withBody(t, "post-json.json", "application/json", `{"phone":"13800138000","message":"hi","consent":true}`, map[string]string{"idempotency-key": "key-aaaaaaaa"})
	if resp := r.do(t, p); resp.StatusCode != http.StatusOK {
		t.Fatalf("repeat of an accepted key = %d, want 200", resp.StatusCode)
	}
}

func TestCORS(t *testing.T) {
	r := newRig(t, webform.Config{AllowedOrigins: []string{"https://www.example-utility.cn"}})
	for _, tt := range []struct {
		origin string
		want   string
	}{{"https://www.example-utility.cn", "https://www.example-utility.cn"}, {"https://evil.example", ""}} {
		p := withBody(t, "post-json.json", "application/json", `{"phone":"13800138000","message":"hi","consent":true}`,
			map[string]string{"origin": tt.origin, "idempotency-key": "cors-" + strings.Repeat("a", 8) + tt.want})
		resp := r.do(t, p)
		if got := resp.Headers["Access-Control-Allow-Origin"]; got != tt.want {
			t.Errorf("origin %s: Access-Control-Allow-Origin = %q, want %q", tt.origin, got, tt.want)
		}
	}
}

// tokenRE matches the per-page idempotency token, which differs each time.
var tokenRE = regexp.MustCompile(`name="token" value="[0-9A-Z]{26}"`)

func TestFormPageGolden(t *testing.T) {
	r := newRig(t, webform.Config{})
	for _, tt := range []struct{ name, fixture string }{{"form-zh", "get-form-zh.json"}} {
		t.Run(tt.name, func(t *testing.T) {
			resp := r.do(t, fixture(t, tt.fixture))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET / = %d", resp.StatusCode)
			}
			got := tokenRE.ReplaceAllString(resp.Body, `name="token" value="TOKEN"`)
			golden := filepath.Join("testdata", tt.name+".golden.html")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("GET / differs from %s; run with -update if the change is intended", golden)
			}
		})
	}
}

// TestIdempotencyKeyNamesOneSubmission: a key given again with the same
// content is the same contact; with other content (another client reusing
// the key, an edited form sent again) it is a new contact that never sees
// the first one's ticket. A key with a comma survives the adapter, which
// splits header values at commas.
func TestIdempotencyKeyNamesOneSubmission(t *testing.T) {
	r := newRig(t, webform.Config{})
	post := func(key, body string) (int, webform.TicketView) {
		t.Helper()
		resp := r.do(t, withBody(t, "post-json.json", "application/json", body, map[string]string{"idempotency-key": key}))
		var v webform.TicketView
		if resp.StatusCode < 300 {
			if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
				t.Fatalf("decode %s: %v", resp.Body, err)
			}
		}
		return resp.StatusCode, v
	}
	alice := `{"name":"Li Hua","phone":"13800138000","message":"The meter is leaking","consent":true}`
	bob := `{"name":"Wang Fang","email":"wang.fang@example.com","message":"Billing question","consent":true}`
	code, first := post("order-17,retry", alice)
	if code != http.StatusCreated {
		t.Fatalf("first post = %d, want 201", code)
	}
	// The same content again, written a little differently: the same contact.
	if code, again := post("order-17,retry", `{"name":" Li Hua ","phone":"+86 138 0013 8000","message":"The meter is leaking ","consent":true}`); code != http.StatusOK || again.Ref != first.Ref {
		t.Errorf("same key and content = %d %s, want 200 %s", code, again.Ref, first.Ref)
	}
	code, other := post("order-17,retry", bob)
	if code != http.StatusCreated || other.Ref == first.Ref {
		t.Fatalf("same key, other content = %d %s, want 201 and a new reference (first was %s)", code, other.Ref, first.Ref)
	}
	if other.Contact.Phone != "" || other.Contact.Email != "wang.fang@example.com" {
		t.Errorf("second contact = %+v, want only its own details", other.Contact)
	}
	if list, _ := r.store.Recent(context.Background(), 10, 2); len(list) != 2 {
		t.Errorf("%d tickets, want 2", len(list))
	}
}

// TestAcceptLanguage: the form speaks the language the browser rates
// highest, whatever the order, and never one it rates q=0.
func TestAcceptLanguage(t *testing.T) {
	r := newRig(t, webform.Config{})
	for _, c := range []struct{ accept, want string }{
		{"zh-CN,zh;q=0.9", "zh-Hans"},
		{"en-US,en;q=0.9,zh-CN;q=0.8", "en"},
		{"en;q=0.2, zh-TW;q=0.7", "zh-Hans"},
		{"zh;q=0, en", "en"},
		{"fr-FR, zh-HK;q=0.5", "zh-Hans"},
		{"de", "en"},
		{"zh-CN;q=bogus, en;q=0.1", "en"},
		{"en;q=bogus, zh-TW;q=0.3", "zh-Hans"},
		{"zh-Hant-TW;q=0.9, en;q=0.8", "zh-Hans"},
		{"en-GB;q=0, zh;q=0.1", "zh-Hans"},
		{"zh-HK;q=0.5, en;q=0.5", "zh-Hans"},
		{"en;q=0.5, zh-HK;q=0.5", "en"},
		{"*;q=0.5, EN-us;q=0.1", "en"},
		{"", "en"},
	} {
		var ev map[string]any
		if err := json.Unmarshal(fixture(t, "get-form-zh.json"), &ev); err != nil {
			t.Fatal(err)
		}
		ev["headers"].(map[string]any)["accept-language"] = c.accept
		payload, _ := json.Marshal(ev)
		resp := r.do(t, payload)
		if want := `<html lang="` + c.want + `">`; !strings.Contains(resp.Body, want) {
			t.Errorf("Accept-Language %q: page does not start %s", c.accept, want)
		}
	}
}

// TestFramingAndContactErrors: only the business's own origins may frame
// the form; a form sent with neither phone nor email marks both fields
// invalid and ties them to the message that says why.
func TestFramingAndContactErrors(t *testing.T) {
	r := newRig(t, webform.Config{AllowedOrigins: []string{"https://www.example-utility.cn", "bad; script-src *"}})
	page := r.do(t, fixture(t, "get-form-zh.json"))
	if csp := page.Headers["Content-Security-Policy"]; !strings.HasSuffix(csp, "frame-ancestors 'self' https://www.example-utility.cn") {
		t.Errorf("Content-Security-Policy = %q, want frame-ancestors limited to 'self' and the allowed origin", csp)
	}
	resp := r.do(t, withBody(t, "post-form.json", "application/x-www-form-urlencoded", "name=Li&message=hi&consent=on&lang=en", nil))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("form without phone or email = %d, want 422", resp.StatusCode)
	}
	for _, want := range []string{
		`id="f-phone" name="phone" autocomplete="tel" maxlength="32" value="" aria-describedby="f-contact h-phone h-contact" aria-invalid="true"`,
		`aria-describedby="f-contact h-contact" aria-invalid="true"`,
	} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}
