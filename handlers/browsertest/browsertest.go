// Package browsertest starts the headless Chromium that the browser tests of
// several packages drive, so the skip rule, the flags and the timeout are
// written once.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Timeout bounds one browser test from the moment Chromium is up, so a page
// that never shows what a step waits for fails the test instead of hanging it.
const Timeout = 90 * time.Second

// names are the executables tried in order: Debian's chromium, the name some
// other distributions use, and Google's build.
var names = []string{"chromium", "chromium-browser", "google-chrome"}

// New starts headless Chromium for one test and returns a tab context that
// ends with the test. Without a browser on PATH the test skips with a message
// saying so, unless DISCLOSE_E2E=1 makes the browser mandatory (CI), then it
// fails.
func New(t testing.TB) context.Context {
	t.Helper()
	path := ""
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("DISCLOSE_E2E") == "1" {
			t.Fatal("DISCLOSE_E2E=1 but no Chromium on PATH (apt-get install chromium)")
		}
		t.Skip("no Chromium on PATH: skipping the browser test (set DISCLOSE_E2E=1 to make it fail instead)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "chrome")),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start the browser before any timeout applies
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancel := context.WithTimeout(ctx, Timeout)
	t.Cleanup(cancel)
	return tctx
}

// Step runs one step of a browser test in the tab and, when it fails, ends
// the test with the step's name and the address the tab was on, which is
// usually enough to see which page went wrong.
func Step(ctx context.Context, t testing.TB, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s: %v (at %s)", what, err, loc)
	}
}

// Text returns the text of the element sel, trimmed, as a user reads it; the
// test fails when there is none.
func Text(ctx context.Context, t testing.TB, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}
