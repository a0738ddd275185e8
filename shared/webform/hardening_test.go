package webform_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/webform"
)

// errorsOf decodes a JSON error answer.
func errorsOf(tb testing.TB, resp events.APIGatewayV2HTTPResponse) map[string]string {
	tb.Helper()
	var body struct{ Errors map[string]string }
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		tb.Fatalf("body %q is not the errors JSON: %v", resp.Body, err)
	}
	return body.Errors
}

// TestHardeningRejections: input that used to be taken silently — a phone
// spelled with letters, an extension, a premium-rate number, an address
// with hidden characters, a message of nothing but hidden characters, a
// repeated key or field, a consent that says no — is refused with a
// message that says why, and stores nothing.
func TestHardeningRejections(t *testing.T) {
	r := newRig(t, webform.Config{})
	json := func(body string) []byte {
		return withBody(t, "post-json.json", "application/json", body, map[string]string{"idempotency-key": "hard-" + hashKey(body)})
	}
	tests := []struct {
		name       string
		payload    []byte
		wantStatus int
		wantErrors map[string]string // field → part of the message
	}{
		{"vanity number", fixture(t, "post-json-vanity.json"), 422, map[string]string{"phone": "digits only"}},
		{"extension", json(`{"phone":"010 6552 9988 转 99","message":"hi","consent":true}`), 422, map[string]string{"phone": "extensions"}},
		{"premium rate", json(`{"phone":"+44 901 234 5678","message":"hi","consent":true}`), 422, map[string]string{"phone": "Premium-rate and shared-cost"}},
		{"shared cost, in Chinese", withBody(t, "post-json.json", "application/json", `{"phone":"400 123 4567","message":"你好","consent":true}`,
			map[string]string{"accept-language": "zh-CN", "idempotency-key": "hard-400-number"}), 422, map[string]string{"phone": "400 号码"}},
		{"email with a zero-width space", fixture(t, "post-json-hidden-email.json"), 422, map[string]string{"email": "hidden characters"}},
		{"message of hidden characters only", json(`{"phone":"13800138000","message":"\u200b\u0000\ufeff","consent":true}`), 422, map[string]string{"message": "required"}},
		{"repeated JSON key, in another case", fixture(t, "post-json-repeated-key.json"), 400, map[string]string{"Phone": "more than once"}},
		{"repeated key inside callback", fixture(t, "post-json-repeated-callback-date.json"), 400, map[string]string{"callback.date": "more than once"}},
		{"repeated form field", withBody(t, "post-form.json", "application/x-www-form-urlencoded",
			"phone=13800138000&phone=13912345678&message=hi&consent=yes", map[string]string{"accept": "application/json"}), 400, nil},
		{"JSON consent false", json(`{"phone":"13800138000","message":"hi","consent":false}`), 422, map[string]string{"consent": "agree"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := r.do(t, tt.payload)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d (%s), want %d", resp.StatusCode, resp.Body, tt.wantStatus)
			}
			if tt.wantErrors == nil {
				return
			}
			errs := errorsOf(t, resp)
			for field, part := range tt.wantErrors {
				if !strings.Contains(errs[field], part) {
					t.Errorf("errors[%q] = %q, want it to say %q (all: %v)", field, errs[field], part, errs)
				}
			}
			if len(errs) != len(tt.wantErrors) {
				t.Errorf("errors = %v, want exactly the fields %v", errs, tt.wantErrors)
			}
		})
	}
	if list, _ := r.store.Recent(context.Background(), 10, 2); len(list) != 0 {
		t.Fatalf("rejected posts made %d tickets", len(list))
	}
}

func hashKey(s string) string {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	const digits = "0123456789abcdefghijklmnopqrstuv"
	var b [13]byte
	for i := range b {
		b[i] = digits[h%32]
		h /= 32
	}
	return string(b[:])
}

// TestBrowserRefusals: a browser post is answered with the form again, in
// its language, with what was typed kept, and the refused field marked.
func TestBrowserRefusals(t *testing.T) {
	r := newRig(t, webform.Config{})
	tests := []struct {
		name, fixture      string
		wantStatus         int
		wantLang           string
		wantField          string
		wantText, wantKept string
	}{
		{"consent=no is no consent", "post-form-consent-no.json", 422, "zh-Hans", "consent", "请勾选同意", "十月账单金额是平时的两倍。"},
		{"repeated phone", "post-form-repeated-phone.json", 400, "en", "phone", "This field was sent more than once", "The engineer never came."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := r.do(t, fixture(t, tt.fixture))
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Headers["Content-Type"], "text/html") {
				t.Fatalf("post = %d %s, want %d text/html", resp.StatusCode, resp.Headers["Content-Type"], tt.wantStatus)
			}
			for _, want := range []string{`<html lang="` + tt.wantLang + `">`, `id="e-` + tt.wantField + `">` + tt.wantText, tt.wantKept} {
				if !strings.Contains(resp.Body, want) {
					t.Errorf("page lacks %q", want)
				}
			}
		})
	}
	// Each explicit "no" is no consent; each explicit yes is.
	for _, v := range []string{"no", "false", "0", "off", "NO", ""} {
		resp := r.do(t, withBody(t, "post-form.json", "application/x-www-form-urlencoded", "phone=13800138000&message=hi&consent="+v, map[string]string{"accept": "application/json"}))
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(resp.Body, `id="e-consent"`) {
			t.Errorf("consent=%q = %d, want 422 asking for consent", v, resp.StatusCode)
		}
	}
	if list, _ := r.store.Recent(context.Background(), 10, 2); len(list) != 0 {
		t.Fatalf("refused posts made %d tickets", len(list))
	}
	for i, v := range []string{"yes", "on", "true", "1"} {
		body := "phone=13800138000&message=consent+" + v + "&consent=" + v + "&token=01KAQZ8Y5N3J7M9P2R4T6V8XC" + string(rune('A'+i))
		if resp := r.do(t, withBody(t, "post-form.json", "application/x-www-form-urlencoded", body, nil)); resp.StatusCode != http.StatusCreated {
			t.Errorf("consent=%q = %d, want 201", v, resp.StatusCode)
		}
	}
}

// TestHiddenCharactersNeverStored: a JSON contact full of byte order
// marks, zero-width characters, bidirectional controls and a NUL is taken
// with all of them removed, its line break kept.
func TestHiddenCharactersNeverStored(t *testing.T) {
	r := newRig(t, webform.Config{})
	resp := r.do(t, fixture(t, "post-json-hidden.json"))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("post = %d %s, want 201", resp.StatusCode, resp.Body)
	}
	var v webform.TicketView
	if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
		t.Fatal(err)
	}
	id, err := r.store.ByRef(context.Background(), v.Ref)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := r.store.View(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Contact.Name != "陈小姐" || tk.Contact.Phone != "+8613800138000" {
		t.Errorf("contact = %+q, want 陈小姐 +8613800138000", tk.Contact)
	}
	if len(tk.Messages) != 1 || tk.Messages[0].Body != "账单金额不对\n请核实。" {
		t.Errorf("messages = %+v, want the one clean body", tk.Messages)
	}
	if ticket.HasHidden(tk.Summary) {
		t.Errorf("summary %q keeps a hidden character", tk.Summary)
	}
}

// TestLimitedShowsEmergencyLine: when everyone's limit is reached the
// answer does not blame "here", and gives the emergency line; the per-IP
// answer gives it too.
func TestLimitedShowsEmergencyLine(t *testing.T) {
	r := newRig(t, webform.Config{PerIP: 100, Global: 1, EmergencyLine: "95598"})
	post := func(key, contentType, body string, headers map[string]string) events.APIGatewayV2HTTPResponse {
		t.Helper()
		h := map[string]string{"idempotency-key": key}
		for k, v := range headers {
			h[k] = v
		}
		return r.do(t, withBody(t, "post-json.json", contentType, body, h))
	}
	if resp := post("global-aaaaaaaa", "application/json", `{"phone":"13800138000","message":"first","consent":true}`, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("first post = %d, want 201", resp.StatusCode)
	}
	resp := post("global-bbbbbbbb", "application/json", `{"phone":"13912345678","message":"gas smell","consent":true}`, map[string]string{"x-forwarded-for": "203.0.113.9"})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Headers["Retry-After"] == "" {
		t.Fatalf("post over the global limit = %d Retry-After %q, want 429 with Retry-After", resp.StatusCode, resp.Headers["Retry-After"])
	}
	errs := errorsOf(t, resp)
	if strings.Contains(errs["rate"], "from here") || !strings.Contains(errs["rate"], "more messages than we can take") {
		t.Errorf("rate message = %q, want the busy message, not \"from here\"", errs["rate"])
	}
	if !strings.Contains(errs["emergency"], "call 95598") {
		t.Errorf("emergency = %q, want the emergency line", errs["emergency"])
	}

	page := r.do(t, withBody(t, "post-form.json", "application/x-www-form-urlencoded",
		"phone=13912345678&message=%E7%87%83%E6%B0%94%E5%91%B3&consent=yes&lang=zh&token=01KAQZ8Y5N3J7M9P2R4T6V8XGL", nil))
	if page.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("browser post over the global limit = %d, want 429", page.StatusCode)
	}
	for _, want := range []string{"当前留言过多", `<a href="tel:95598">如遇燃气泄漏等危及生命安全的情况，请勿等待，立即拨打 95598。</a>`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("429 page lacks %q", want)
		}
	}
	if strings.Contains(page.Body, "提交过于频繁") {
		t.Errorf("429 page blames this client for everyone's limit")
	}
}

// TestStalledStorageAnswers503: with DynamoDB accepting connections and
// never answering, a post is answered 503 with Retry-After within the
// form's deadline instead of hanging until API Gateway gives up: JSON for
// JSON clients, and for browsers the form again in their language with
// what they typed, the same token (so sending again is one contact) and a
// message to try again.
func TestStalledStorageAnswers503(t *testing.T) {
	store := dynamo.New(awslocal.DynamoDB(testenv.Stalled(t)), "frontdesk-test-tickets")
	rules := ticket.MustDefaultRules(shanghai)
	svc := &intake.Service{Store: store, Rules: rules, Region: "CN", Now: func() time.Time { return now }}
	h := webform.New(svc, webform.Config{Calendar: rules.Calendar, Region: "CN", PerIP: 10, Global: 10, Finder: store,
		Now: func() time.Time { return now }, Deadline: 300 * time.Millisecond, EmergencyLine: "95598"})
	r := &rig{handler: h, invoke: lambda.NewHandler(httpadapter.NewV2(h).ProxyWithContext)}

	// The test's own bound: a handler that hangs fails the test rather
	// than the run.
	within := func(name string, payload []byte) events.APIGatewayV2HTTPResponse {
		t.Helper()
		done := make(chan events.APIGatewayV2HTTPResponse, 1)
		go func() { done <- r.do(t, payload) }()
		select {
		case resp := <-done:
			return resp
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: no answer while storage stalls", name)
			return events.APIGatewayV2HTTPResponse{}
		}
	}

	resp := within("JSON post", fixture(t, "post-json.json"))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Headers["Retry-After"] == "" || !strings.HasPrefix(resp.Headers["Content-Type"], "application/json") {
		t.Fatalf("JSON post = %d %s Retry-After %q, want 503 JSON with Retry-After", resp.StatusCode, resp.Headers["Content-Type"], resp.Headers["Retry-After"])
	}
	if errs := errorsOf(t, resp); !strings.Contains(errs["save"], "send it again") || !strings.Contains(errs["emergency"], "95598") {
		t.Errorf("503 errors = %v, want a message to try again and the emergency line", errs)
	}

	page := within("browser post", withBody(t, "post-form.json", "application/x-www-form-urlencoded",
		"name=%E7%8E%8B%E8%8A%B3&phone=139+1234+5678&kind=repair&message=%E6%A5%BC%E9%81%93%E7%81%AF%E5%9D%8F%E4%BA%86&consent=yes&lang=zh&token=01KAQZ8Y5N3J7M9P2R4T6V8X5T", nil))
	if page.StatusCode != http.StatusServiceUnavailable || page.Headers["Retry-After"] == "" || !strings.Contains(page.Headers["Content-Type"], "text/html") {
		t.Fatalf("browser post = %d %s Retry-After %q, want 503 text/html with Retry-After", page.StatusCode, page.Headers["Content-Type"], page.Headers["Retry-After"])
	}
	for _, want := range []string{
		`<html lang="zh-Hans">`, "您的留言暂时未能保存", "您填写的内容仍保留在下方表单中",
		`value="王芳"`, `value="139 1234 5678"`, ">楼道灯坏了</textarea>", `<option value="repair" selected>`,
		`name="token" value="01KAQZ8Y5N3J7M9P2R4T6V8X5T"`, `name="consent" value="yes" checked`, `href="tel:95598"`,
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("503 page lacks %q", want)
		}
	}

	status := within("status", withPath(t, "/contacts/FD-7K3MQ9"))
	if status.StatusCode != http.StatusServiceUnavailable || status.Headers["Retry-After"] == "" {
		t.Errorf("GET status = %d Retry-After %q, want 503 with Retry-After", status.StatusCode, status.Headers["Retry-After"])
	}
}

// withPath returns the form page fixture as a GET of path.
func withPath(tb testing.TB, path string) []byte {
	tb.Helper()
	var ev map[string]any
	if err := json.Unmarshal(fixture(tb, "get-form-zh.json"), &ev); err != nil {
		tb.Fatal(err)
	}
	ev["rawPath"] = path
	ev["routeKey"] = "GET /contacts/{ref}"
	ev["requestContext"].(map[string]any)["http"].(map[string]any)["path"] = path
	b, _ := json.Marshal(ev)
	return b
}

// refusingReceiver fails the test if the form hands it anything.
type refusingReceiver struct{ t *testing.T }

func (r refusingReceiver) Receive(context.Context, intake.Inbound) (intake.Receipt, error) {
	r.t.Fatal("a refused contact reached intake")
	return intake.Receipt{}, nil
}

// TestCallbackClockChangeMessages: a callback at a time the customer's
// clocks skip or repeat is refused with a message, in their language, that
// says why. Jerusalem's clocks go forward on Friday 2026-03-27 at 02:00,
// which is 08:00–09:00 in Shanghai: inside business hours.
func TestCallbackClockChangeMessages(t *testing.T) {
	monday := time.Date(2026, 3, 23, 10, 0, 0, 0, shanghai)
	h := webform.New(refusingReceiver{t}, webform.Config{Calendar: ticket.DefaultCalendar(shanghai), Region: "CN", PerIP: 10, Global: 10,
		Now: func() time.Time { return monday }})
	invoke := lambda.NewHandler(httpadapter.NewV2(h).ProxyWithContext)
	r := &rig{handler: h, invoke: invoke}
	for _, tt := range []struct {
		name, lang, body, field, want string
	}{
		{"gap, English", "en", `{"phone":"13800138000","message":"call me","consent":true,"callback":{"date":"2026-03-27","from":"02:30","to":"04:00","timeZone":"Asia/Jerusalem"}}`,
			"callback.from", "02:30 does not exist on 2026-03-27 in Asia/Jerusalem: the clocks go forward then. Choose another time."},
		{"gap, Chinese", "zh-CN", `{"phone":"13800138000","message":"请回电","consent":true,"callback":{"date":"2026-03-27","from":"01:30","to":"02:15","timeZone":"Asia/Jerusalem"}}`,
			"callback.to", "2026-03-27 02:15 在 Asia/Jerusalem 时区不存在（当时时钟拨快），请另选时间。"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := r.do(t, withBody(t, "post-json.json", "application/json", tt.body, map[string]string{"accept-language": tt.lang}))
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status = %d (%s), want 422", resp.StatusCode, resp.Body)
			}
			if errs := errorsOf(t, resp); errs[tt.field] != tt.want || len(errs) != 1 {
				t.Errorf("errors = %v, want only %s: %q", errs, tt.field, tt.want)
			}
		})
	}
}
