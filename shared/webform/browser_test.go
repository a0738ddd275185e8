package webform_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/webform"
)

// browser starts headless Chromium for the test. Chromium is Debian's
// package, which `make test` installs when it is missing.
func browser(tb testing.TB) context.Context {
	tb.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if testing.Short() {
			tb.Skip("browser test skipped under -short: chromium is not installed")
		}
		tb.Fatal("chromium is not installed (make browser installs Debian's package)")
	}
	// Not tb.TempDir: Chromium's helpers may still write to the profile
	// while the test's own cleanup runs.
	profile, err := os.MkdirTemp("", "frontdesk-chromium-")
	if err != nil {
		tb.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	tb.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		_ = os.RemoveAll(profile)
	})
	return ctx
}

func TestFormInBrowser(t *testing.T) {
	r := newRig(t, webform.Config{})
	srv := httptest.NewServer(r.handler)
	defer srv.Close()
	ctx := browser(t)

	// A good contact: fill in, submit, read the reference off the page.
	var ref string
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/?lang=en"),
		chromedp.WaitVisible(`#f-message`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-name`, "Wang Fang", chromedp.ByQuery),
		chromedp.SendKeys(`#f-phone`, "139 1234 5678", chromedp.ByQuery),
		chromedp.SetValue(`#f-kind`, "billing", chromedp.ByQuery),
		chromedp.SendKeys(`#f-message`, "My bill for October is twice the usual amount.", chromedp.ByQuery),
		chromedp.Click(`#f-consent`, chromedp.ByQuery),
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#ref`, chromedp.ByQuery),
		chromedp.Text(`#ref`, &ref, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("submit a good contact: %v", err)
	}
	if !regexp.MustCompile(`^FD-[0-9A-Z]{6}$`).MatchString(ref) {
		t.Fatalf("reference on the page = %q", ref)
	}
	id, err := r.store.ByRef(context.Background(), ticket.Ref(ref))
	if err != nil {
		t.Fatalf("the page shows %s but the table has no such ticket: %v", ref, err)
	}
	tk, err := r.store.View(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Kind != ticket.Billing || tk.Contact.Phone != "+8613912345678" {
		t.Errorf("ticket = %s %q, want billing from +8613912345678", tk.Kind, tk.Contact.Phone)
	}
	if tk.Callback != nil {
		t.Errorf("callback = %+v, want none: no date or time was given", tk.Callback)
	}

	// A bad phone: the message stands next to the field, in the page's
	// language, and the field is marked invalid.
	var phoneErr, invalid, summary string
	err = chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/?lang=zh"),
		chromedp.WaitVisible(`#f-message`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-phone`, "12345", chromedp.ByQuery),
		chromedp.SendKeys(`#f-message`, "停电了", chromedp.ByQuery),
		chromedp.Click(`#f-consent`, chromedp.ByQuery),
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#e-phone`, chromedp.ByQuery),
		chromedp.Text(`#e-phone`, &phoneErr, chromedp.ByQuery),
		chromedp.AttributeValue(`#f-phone`, "aria-invalid", &invalid, nil, chromedp.ByQuery),
		chromedp.Text(`#summary`, &summary, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("submit a bad phone: %v", err)
	}
	if !strings.Contains(phoneErr, "有效的电话号码") {
		t.Errorf("message by the phone field = %q, want the Chinese invalid-phone message", phoneErr)
	}
	if invalid != "true" {
		t.Errorf("phone field aria-invalid = %q, want true", invalid)
	}
	if !strings.Contains(summary, "有效的电话号码") {
		t.Errorf("error summary = %q, want it to list the phone problem", summary)
	}
	if os.Getenv("FRONTDESK_SCREENSHOT") != "" {
		var png []byte
		if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err == nil {
			_ = os.WriteFile(os.Getenv("FRONTDESK_SCREENSHOT"), png, 0o644)
		}
	}
}
