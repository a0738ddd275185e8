package testenv

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser starts headless Chromium (Debian's package, which `make test`
// installs when it is missing) for the test and returns the context of
// its first tab, cancelled after timeout and at the end of the test. Each
// call is a browser of its own: its own profile, its own cookies.
func Browser(tb testing.TB, timeout time.Duration, opts ...chromedp.ExecAllocatorOption) context.Context {
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
	all := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		// Chromium prints its DevTools address once started; on a busy
		// machine (the whole suite, its emulators and a dev stack at once)
		// that can take longer than chromedp's 20 s default.
		chromedp.WSURLReadTimeout(90*time.Second),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(all, opts...)...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	tb.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		_ = os.RemoveAll(profile)
	})
	return ctx
}
