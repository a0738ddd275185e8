package console_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

func get(t testing.TB, c *http.Client, u string) (string, *http.Response) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp
}

func post(t testing.TB, c *http.Client, u string, v url.Values) (string, *http.Response) {
	t.Helper()
	resp, err := c.PostForm(u, v)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp
}

// formOf returns the hidden fields of the action form for action on page.
func formOf(t testing.TB, page, action string) url.Values {
	t.Helper()
	i := strings.Index(page, `id="act-`+action+`"`)
	if i < 0 {
		t.Fatalf("the page has no %s form", action)
	}
	part := page[i:]
	part = part[:strings.Index(part, "</form>")]
	v := url.Values{}
	for _, m := range regexp.MustCompile(`type="hidden" name="(\w+)" value="([^"]*)"`).FindAllStringSubmatch(part, -1) {
		v.Set(m[1], m[2])
	}
	return v
}

const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"`

func TestSecurityHeadersAndEscaping(t *testing.T) {
	r := newRig(t)
	tickets := []*ticket.Ticket{
		r.text(t, "h1", "+8613800138001", "停电了 "+hostile),
		r.receive(t, ticket.Web, "h2", ticket.Contact{Name: `<b>Wang</b>`, Phone: "+8613800138002"}, "", "web "+hostile),
		r.receive(t, ticket.Email, "h3", ticket.Contact{Email: "li@example.cn"}, `<i>subject</i>`, "mail "+hostile),
	}
	admin := r.client(t, "local-admin")
	pages := []string{"/console/queue", "/console/report", "/console/report.csv", "/console/nowhere"}
	for _, tk := range tickets {
		pages = append(pages, "/console/tickets/"+string(tk.Ref))
	}
	for _, p := range pages {
		body, resp := get(t, admin, r.srv.URL+p)
		h := resp.Header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("GET %s: Content-Security-Policy = %q", p, csp)
		}
		if h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: Referrer-Policy %q, X-Content-Type-Options %q", p, h.Get("Referrer-Policy"), h.Get("X-Content-Type-Options"))
		}
		for _, raw := range []string{"<script>alert", "<img src=x", "<b>Wang", "<i>subject"} {
			if strings.Contains(body, raw) {
				t.Errorf("GET %s shows %q as markup", p, raw)
			}
		}
		for _, m := range regexp.MustCompile(`(?:href|action)="([^"]*)"`).FindAllStringSubmatch(body, -1) {
			if strings.Contains(m[1], "138001") || strings.Contains(m[1], "%2B86") || strings.Contains(m[1], "example.cn") {
				t.Errorf("GET %s links to %q: personal data in a URL", p, m[1])
			}
		}
	}
	for _, tk := range tickets {
		body, _ := get(t, admin, r.srv.URL+"/console/tickets/"+string(tk.Ref))
		if !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
			t.Errorf("ticket %s (%s) does not show the customer's script as text", tk.Ref, tk.Channel)
		}
	}
}

// TestHome: /console and /console/ send the browser to the queue page,
// query kept, with the console's security headers, signed in or not; a
// signed-in browser following them lands on the queue.
func TestHome(t *testing.T) {
	r := newRig(t)
	agent := r.client(t, "local-agent")
	for _, tt := range []struct{ path, want string }{
		{"/console", "/console/queue"},
		{"/console/", "/console/queue"},
		{"/console?lang=zh", "/console/queue?lang=zh"},
		{"/console/?mine=1&kind=repair", "/console/queue?mine=1&kind=repair"},
	} {
		for name, c := range map[string]*http.Client{"signed out": {}, "signed in": {Jar: agent.Jar}} {
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			_, resp := get(t, c, r.srv.URL+tt.path)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tt.want {
				t.Errorf("%s: GET %s = %d → %q, want 303 to %q", name, tt.path, resp.StatusCode, resp.Header.Get("Location"), tt.want)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || resp.Header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s: GET %s carries no console security headers: %v", name, tt.path, resp.Header)
			}
		}
		body, resp := get(t, agent, r.srv.URL+tt.path)
		if resp.StatusCode != http.StatusOK || resp.Request.URL.RequestURI() != tt.want || !strings.Contains(body, `id="counts-h"`) {
			t.Errorf("following GET %s ended at %s with %d, want the queue at %s", tt.path, resp.Request.URL, resp.StatusCode, tt.want)
		}
	}
}

func TestActionsConflictAndLanguage(t *testing.T) {
	r := newRig(t)
	tk := r.text(t, "a1", "+8613800138010", "水管爆了，楼道里全是水")
	agent := r.client(t, "local-agent")
	other := r.client(t, "local-agent-2")

	queue, _ := get(t, agent, r.srv.URL+"/console/queue")
	if !strings.Contains(queue, `data-ref="`+string(tk.Ref)+`"`) {
		t.Fatalf("the queue page does not list %s", tk.Ref)
	}
	page, _ := get(t, agent, r.srv.URL+"/console/tickets/"+string(tk.Ref))
	ack := formOf(t, page, "acknowledge")
	if _, ok := ack["csrf"]; !ok {
		t.Fatal("the acknowledge form carries no CSRF token")
	}
	body, resp := post(t, agent, r.srv.URL+"/console/tickets/"+string(tk.Ref), ack)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="done"`) {
		t.Fatalf("acknowledge: %d, want the ticket page with a done notice", resp.StatusCode)
	}
	// The same form again is the same action, replayed.
	body, _ = post(t, agent, r.srv.URL+"/console/tickets/"+string(tk.Ref), ack)
	if !strings.Contains(body, "nothing was done twice") {
		t.Error("the acknowledge form sent twice was not replayed")
	}
	// Without the CSRF token, nothing is done.
	noCSRF := formOf(t, body, "note")
	noCSRF.Del("csrf")
	noCSRF.Set("text", "no token")
	if _, resp := post(t, agent, r.srv.URL+"/console/tickets/"+string(tk.Ref), noCSRF); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a form without its CSRF token = %d, want 403", resp.StatusCode)
	}

	// Both agents read the same version; the second acts first.
	mine := formOf(t, body, "note")
	theirs, _ := get(t, other, r.srv.URL+"/console/tickets/"+string(tk.Ref))
	tf := formOf(t, theirs, "note")
	tf.Set("text", "second agent's note")
	if _, resp := post(t, other, r.srv.URL+"/console/tickets/"+string(tk.Ref), tf); resp.StatusCode != http.StatusOK {
		t.Fatalf("the second agent's note = %d", resp.StatusCode)
	}
	typed := "我先联系了物业 <b>not bold</b>"
	mine.Set("text", typed)
	body, resp = post(t, agent, r.srv.URL+"/console/tickets/"+string(tk.Ref), mine)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `id="conflict"`) {
		t.Fatalf("a note on an old version = %d, want the conflict page", resp.StatusCode)
	}
	if !strings.Contains(body, "我先联系了物业 &lt;b&gt;not bold&lt;/b&gt;</textarea>") {
		t.Error("the conflict page lost what the agent typed")
	}
	if !strings.Contains(body, "staff:local-agent-2") {
		t.Error("the conflict page does not say who changed the ticket")
	}
	retry := url.Values{}
	for _, m := range regexp.MustCompile(`type="hidden" name="(\w+)" value="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		retry.Set(m[1], m[2])
	}
	retry.Set("text", typed)
	if v, _ := strconv.Atoi(retry.Get("version")); v <= tk.Version {
		t.Errorf("the retry form carries version %d, want the current one", v)
	}
	body, resp = post(t, agent, r.srv.URL+"/console/tickets/"+string(tk.Ref), retry)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "我先联系了物业 &lt;b&gt;not bold&lt;/b&gt;") {
		t.Fatalf("retry = %d, want the note on the ticket", resp.StatusCode)
	}

	// Assigned to the second agent by subject: theirs now, under "only mine".
	assign := formOf(t, body, "assign")
	assign.Set("agent", "local-agent-2")
	if _, resp = post(t, agent, r.srv.URL+"/console/tickets/"+string(tk.Ref), assign); resp.StatusCode != http.StatusOK {
		t.Fatalf("assign = %d", resp.StatusCode)
	}
	if mine, _ := get(t, other, r.srv.URL+"/console/queue?mine=1"); !strings.Contains(mine, `data-ref="`+string(tk.Ref)+`"`) {
		t.Error("the second agent's own tickets do not list the ticket assigned to them")
	}
	body, _ = get(t, agent, r.srv.URL+"/console/queue?mine=1")
	if strings.Contains(body, `data-ref="`+string(tk.Ref)+`"`) {
		t.Error("the first agent's own tickets still list the ticket assigned away")
	}
	body, _ = get(t, agent, r.srv.URL+"/console/tickets/"+string(tk.Ref))

	// A reply goes through the SMS texter; an empty one is refused with
	// the problem stated.
	reply := formOf(t, body, "reply")
	reply.Set("text", "")
	body, resp = post(t, agent, r.srv.URL+"/console/tickets/"+string(tk.Ref), reply)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "text is required") {
		t.Errorf("an empty reply = %d, want 422 saying the text is required", resp.StatusCode)
	}
	reply = formOf(t, body, "reply")
	reply.Set("text", "师傅 30 分钟内到")
	if _, resp = post(t, agent, r.srv.URL+"/console/tickets/"+string(tk.Ref), reply); resp.StatusCode != http.StatusOK {
		t.Fatalf("reply = %d", resp.StatusCode)
	}
	if got := r.box.bodies(); len(got) == 0 || !strings.Contains(got[len(got)-1], "师傅 30 分钟内到") {
		t.Errorf("texts sent = %q, want the reply", got)
	}

	// Chinese by Accept-Language, English by the switch.
	req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/console/queue", nil)
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")
	resp, err := agent.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `<html lang="zh-CN">`) || !strings.Contains(string(b), "队列统计") {
		t.Error("Accept-Language zh did not give the Chinese page")
	}
	body, _ = get(t, agent, r.srv.URL+"/console/queue?lang=en&kind=repair")
	if !strings.Contains(body, `<html lang="en">`) {
		t.Error("?lang=en did not give the English page")
	}
	if !strings.Contains(body, `href="/console/queue?kind=repair&amp;lang=zh"`) {
		t.Error("the language switch loses the page's filters")
	}

	// Acting on what someone already did: the conflict page says the
	// action no longer applies and offers no retry.
	fresh := r.text(t, "a2", "+8613800138011", "电表又坏了")
	page, _ = get(t, agent, r.srv.URL+"/console/tickets/"+string(fresh.Ref))
	theirs, _ = get(t, other, r.srv.URL+"/console/tickets/"+string(fresh.Ref))
	if _, resp := post(t, other, r.srv.URL+"/console/tickets/"+string(fresh.Ref), formOf(t, theirs, "acknowledge")); resp.StatusCode != http.StatusOK {
		t.Fatalf("the second agent's acknowledgement = %d", resp.StatusCode)
	}
	body, resp = post(t, agent, r.srv.URL+"/console/tickets/"+string(fresh.Ref), formOf(t, page, "acknowledge"))
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `id="not-allowed"`) || strings.Contains(body, `id="retry-button"`) {
		t.Errorf("acknowledging what was acknowledged = %d; want the conflict page saying it no longer applies, without a retry", resp.StatusCode)
	}

	// Reports are for supervisors.
	if _, resp := get(t, agent, r.srv.URL+"/console/report"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an agent's report = %d, want 403", resp.StatusCode)
	}
	sup := r.client(t, "local-supervisor")
	body, resp = get(t, sup, r.srv.URL+"/console/report")
	if resp.StatusCode != http.StatusOK || strings.Count(body, "<svg class=\"chart\"") != 3 {
		t.Errorf("the supervisor's report = %d with %d charts, want 3", resp.StatusCode, strings.Count(body, "<svg class=\"chart\""))
	}
	csv, resp := get(t, sup, r.srv.URL+"/console/report.csv")
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || len(lines) != 15 {
		t.Fatalf("CSV: %q with %d lines, want a header and 14 days", resp.Header.Get("Content-Type"), len(lines))
	}
	last := strings.Split(lines[14], ",")
	if last[1] != "2" || last[13] != "2" {
		t.Errorf("today's CSV row = %v, want two SMS contacts, both acknowledged", last)
	}
}
