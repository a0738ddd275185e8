package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// EnvScreenshots names a folder for the browser test's screenshots (the
// test's temporary folder otherwise).
const EnvScreenshots = "FRONTDESK_SCREENSHOTS"

// watch records what a tab does that a page must not: console errors,
// uncaught exceptions, requests to another origin.
type watch struct {
	mu       sync.Mutex
	problems []string
}

func (w *watch) add(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.problems = append(w.problems, fmt.Sprintf(format, args...))
}

func (w *watch) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.problems {
		t.Error(p)
	}
}

// tab starts a browser of its own (its own cookies: one signed-in member
// of staff), JavaScript on or off, and watches its tab.
func tab(t *testing.T, origin string, js bool, w *watch) context.Context {
	t.Helper()
	ctx := testenv.Browser(t, 90*time.Second, chromedp.WindowSize(1200, 900))
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeWarning {
				w.add("console %s on a page", ev.Type)
			}
		case *runtime.EventExceptionThrown:
			w.add("uncaught exception: %s", ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			// The conflict page answers 409, as it should: the browser
			// logs that status, the page has no error.
			// Nor is the browser's own favicon.ico guess a page's request.
			expected := ev.Entry.Source == log.SourceNetwork &&
				(strings.Contains(ev.Entry.Text, "status of 409") || strings.HasSuffix(ev.Entry.URL, "/favicon.ico"))
			if ev.Entry.Level == log.LevelError && !expected {
				w.add("browser error on %s: %s", ev.Entry.URL, ev.Entry.Text)
			}
		case *network.EventRequestWillBeSent:
			u, err := url.Parse(ev.Request.URL)
			if err == nil && u.Scheme != "data" && u.Scheme+"://"+u.Host != origin {
				w.add("request to another origin: %s", ev.Request.URL)
			}
		}
	})
	if err := chromedp.Run(ctx, log.Enable(), network.Enable(), emulation.SetScriptExecutionDisabled(!js)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// quoteJS writes s as a JavaScript string literal.
func quoteJS(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func shot(t *testing.T, dir, name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var png []byte
		if err := chromedp.FullScreenshot(&png, 100).Do(ctx); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	})
}

func signIn(base, subject string) chromedp.Action {
	return chromedp.Tasks{
		chromedp.Navigate(base + "/console?lang=en"),
		chromedp.WaitVisible(`form:has(input[name=as][value="`+subject+`"]) button`, chromedp.ByQuery),
		chromedp.Click(`form:has(input[name=as][value="`+subject+`"]) button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#counts-h`, chromedp.ByQuery),
	}
}

// a11y checks the page: every visible form control has a label, headings
// go down one level at a time from one h1, and the focused control shows
// an outline.
const a11y = `(() => {
  const out = [];
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const labelled = (el.id && document.querySelector('label[for="' + el.id + '"]')) || el.getAttribute('aria-label') || el.closest('label');
    if (!labelled) out.push('no label: ' + (el.id || el.name));
  }
  const hs = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1]);
  if (hs.filter(h => h === 1).length !== 1) out.push('h1 count ' + hs.filter(h => h === 1).length);
  for (let i = 1; i < hs.length; i++) if (hs[i] > hs[i-1] + 1) out.push('heading jumps from h' + hs[i-1] + ' to h' + hs[i]);
  const b = document.querySelector('main button, main a, main select');
  if (b) { b.focus(); const s = getComputedStyle(b); if (document.activeElement === b && s.outlineStyle === 'none' && s.boxShadow === 'none') out.push('focus is not visible on ' + b.tagName); }
  return out;
})()`

func checkA11y(t *testing.T, page string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var problems []string
		// Focus visibility needs keyboard focus: a Tab press first.
		if err := chromedp.KeyEvent("\t").Do(ctx); err != nil {
			return err
		}
		if err := chromedp.Evaluate(a11y, &problems).Do(ctx); err != nil {
			return err
		}
		for _, p := range problems {
			t.Errorf("%s: %s", page, p)
		}
		return nil
	})
}

func TestConsoleInBrowser(t *testing.T) {
	for _, js := range []bool{true, false} {
		t.Run(fmt.Sprintf("javascript=%v", js), func(t *testing.T) { browserFlow(t, js) })
	}
}

func browserFlow(t *testing.T, js bool) {
	r := newRig(t)
	dir := os.Getenv(EnvScreenshots)
	if dir == "" {
		dir = t.TempDir()
	} else {
		dir = filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "-"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", dir)
	r.receive(t, ticket.Web, "w1", ticket.Contact{Name: "Zhao", Email: "zhao@example.cn"}, "", "请问营业厅几点开门？")
	tk := r.text(t, "s1", "+8613800138123", "电表坏了 <script>alert(1)</script>")
	base := r.srv.URL
	w := &watch{}
	a := tab(t, base, js, w)
	b := tab(t, base, js, w)
	ticketURL := base + "/console/tickets/" + string(tk.Ref)

	// The agent signs in and sees the new SMS ticket at the top.
	var first, status string
	err := chromedp.Run(a,
		signIn(base, "local-agent"),
		chromedp.AttributeValue(`#tickets tbody tr`, "data-ref", &first, nil, chromedp.ByQuery),
		shot(t, dir, "1-queue"),
		checkA11y(t, "queue page"),
	)
	if err != nil {
		t.Fatalf("sign in and read the queue: %v", err)
	}
	if first != string(tk.Ref) {
		t.Fatalf("the top of the queue is %s, want the SMS ticket %s", first, tk.Ref)
	}

	// Open it, acknowledge, reply.
	reply := "您好，师傅今天下午到。Reply STOP to opt out {ok}"
	var segments, msgs string
	err = chromedp.Run(a,
		chromedp.Click(`#tickets a[href="/console/tickets/`+string(tk.Ref)+`"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#act-acknowledge`, chromedp.ByQuery),
		shot(t, dir, "2-ticket"),
		checkA11y(t, "ticket page"),
		chromedp.Text(`#messages`, &msgs, chromedp.ByQuery),
		chromedp.Click(`#act-acknowledge button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#done[data-action=acknowledge]`, chromedp.ByQuery),
		chromedp.SendKeys(`#reply-text`, reply, chromedp.ByQuery),
		chromedp.Text(`#reply-segments`, &segments, chromedp.ByQuery),
		chromedp.Click(`#act-reply button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#done[data-action=reply]`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("acknowledge and reply: %v", err)
	}
	if !strings.Contains(msgs, "<script>alert(1)</script>") {
		t.Errorf("the conversation reads %q, want the customer's words as text", msgs)
	}
	want := sms.Count(reply)
	if !js {
		want = sms.Count("")
	}
	if wantText := fmt.Sprintf("SMS segments: %d · %d characters · %s", want.Parts, want.Units, want.Encoding); segments != wantText {
		t.Errorf("segment count = %q, want %q", segments, wantText)
	}
	if js {
		// The page's count is sms.Count's, whatever the text.
		for _, text := range []string{"", "hello", "price: 5€ [ok]", strings.Repeat("a", 161), strings.Repeat("停", 70), strings.Repeat("停", 71), "👍 thanks", strings.Repeat("{", 80)} {
			var got string
			err := chromedp.Run(a,
				chromedp.Evaluate(fmt.Sprintf(`(() => { const t = document.querySelector('#reply-text'); t.value = %s; t.dispatchEvent(new Event('input')); })()`, quoteJS(text)), nil),
				chromedp.Text(`#reply-segments`, &got, chromedp.ByQuery),
			)
			if err != nil {
				t.Fatal(err)
			}
			c := sms.Count(text)
			if want := fmt.Sprintf("SMS segments: %d · %d characters · %s", c.Parts, c.Units, c.Encoding); got != want {
				t.Errorf("segment count of %q = %q, want %q", text, got, want)
			}
		}
	}
	if got := r.box.bodies(); len(got) == 0 || got[len(got)-1] != reply {
		t.Errorf("local outbox = %q, want the reply last", got)
	}

	// On a phone's screen nothing runs off the side.
	var wide []string
	err = chromedp.Run(a,
		emulation.SetDeviceMetricsOverride(390, 844, 3, true),
		chromedp.Navigate(base+"/console/queue"),
		chromedp.WaitVisible(`#tickets`, chromedp.ByQuery),
		shot(t, dir, "1-queue-phone"),
		chromedp.Evaluate(`document.documentElement.scrollWidth > 390 ? ['queue'] : []`, &wide),
		chromedp.Navigate(ticketURL),
		chromedp.WaitVisible(`#act-note`, chromedp.ByQuery),
		shot(t, dir, "2-ticket-phone"),
		chromedp.Evaluate(`document.documentElement.scrollWidth > 390 ? ['ticket'] : []`, &wide),
		emulation.ClearDeviceMetricsOverride(),
	)
	if err != nil {
		t.Fatalf("read on a phone: %v", err)
	}
	if len(wide) > 0 {
		t.Errorf("the %s page is wider than a phone's screen", wide[0])
	}

	// Another agent acts at the same time: the first sees the conflict,
	// with the note as typed, and retries.
	note := "先联系了物业，等回电"
	var kept, conflict string
	err = chromedp.Run(a, chromedp.Navigate(ticketURL), chromedp.WaitVisible(`#act-note`, chromedp.ByQuery))
	if err == nil {
		err = chromedp.Run(b,
			signIn(base, "local-agent-2"),
			chromedp.Navigate(ticketURL),
			chromedp.WaitVisible(`#act-note`, chromedp.ByQuery),
			chromedp.SendKeys(`#note-text`, "second agent was here", chromedp.ByQuery),
			chromedp.Click(`#act-note button`, chromedp.ByQuery),
			chromedp.WaitVisible(`#done[data-action=note]`, chromedp.ByQuery),
		)
	}
	if err == nil {
		err = chromedp.Run(a,
			chromedp.SendKeys(`#note-text`, note, chromedp.ByQuery),
			chromedp.Click(`#act-note button`, chromedp.ByQuery),
			chromedp.WaitVisible(`#conflict`, chromedp.ByQuery),
			chromedp.Value(`#note-text`, &kept, chromedp.ByQuery),
			chromedp.Text(`#changes`, &conflict, chromedp.ByQuery),
			shot(t, dir, "3-conflict"),
			checkA11y(t, "conflict page"),
			chromedp.Click(`#retry-button`, chromedp.ByQuery),
			chromedp.WaitVisible(`#done[data-action=note]`, chromedp.ByQuery),
			chromedp.Text(`#messages`, &msgs, chromedp.ByQuery),
		)
	}
	if err != nil {
		t.Fatalf("act at the same time: %v", err)
	}
	if kept != note {
		t.Errorf("the conflict page kept %q, want %q", kept, note)
	}
	if !strings.Contains(conflict, "staff:local-agent-2") {
		t.Errorf("the conflict page's changes = %q, want the other agent's note", conflict)
	}
	if !strings.Contains(msgs, note) {
		t.Error("the retried note is not on the ticket")
	}

	// Resolve, then switch to Chinese.
	var lang string
	err = chromedp.Run(a,
		chromedp.SendKeys(`#resolve-resolution`, "更换了电表", chromedp.ByQuery),
		chromedp.SetValue(`#resolve-fault`, "provider", chromedp.ByQuery),
		chromedp.Click(`#act-resolve button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#done[data-action=resolve]`, chromedp.ByQuery),
		chromedp.Text(`#status`, &status, chromedp.ByQuery),
		chromedp.Click(`#lang-switch`, chromedp.ByQuery),
		chromedp.WaitVisible(`html[lang=zh-CN] #act-reopen`, chromedp.ByQuery),
		chromedp.AttributeValue(`html`, "lang", &lang, nil, chromedp.ByQuery),
		shot(t, dir, "4-ticket-zh"),
	)
	if err != nil {
		t.Fatalf("resolve and switch language: %v", err)
	}
	if status != "resolved" || lang != "zh-CN" {
		t.Errorf("after resolving and switching: status %q, lang %q; want resolved, zh-CN", status, lang)
	}

	// A supervisor reads the report.
	var charts int
	err = chromedp.Run(b,
		chromedp.Click(`#signout`, chromedp.ByQuery),
		chromedp.WaitVisible(`a[href="/console/login"]`, chromedp.ByQuery),
		signIn(base, "local-supervisor"),
		chromedp.Navigate(base+"/console/report"),
		chromedp.WaitVisible(`#chart-channel`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('svg.chart').length`, &charts),
		shot(t, dir, "5-report"),
		checkA11y(t, "report page"),
	)
	if err != nil {
		t.Fatalf("read the report: %v", err)
	}
	if charts != 3 {
		t.Errorf("the report shows %d charts, want 3", charts)
	}
	w.check(t)
}
