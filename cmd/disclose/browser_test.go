package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/disclose/disclose/handlers/browsertest"
)

// noScript switches JavaScript off in the tab, so the test proves the pages
// work without it.
var noScript = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	return err
})

// TestBrowserReportFlow is what a researcher does, in a real browser with
// JavaScript disabled: fill the form with a file, read the receipt, open the
// status page with the code and send a follow-up message.
func TestBrowserReportFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	ctx := browsertest.New(t)
	s := startServer(t)
	poc := filepath.Join(t.TempDir(), "poc.html")
	os.WriteFile(poc, []byte("<script>alert(document.domain)</script>"), 0o600)

	err := chromedp.Do(ctx,
		noScript,
		chromedp.Navigate(s.URL+"/report"),
		chromedp.SendKeys(chromedp.CSS("#f-title"), "Reflected XSS in <search>"),
		chromedp.SendKeys(chromedp.CSS("#f-description"), "The q parameter is echoed without encoding."),
		chromedp.SendKeys(chromedp.CSS("#f-steps"), "1. Open /search?q=<script>alert(1)</script>"),
		chromedp.SendKeys(chromedp.CSS("#f-cvss"), "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "mallory"),
		chromedp.Click(chromedp.CSS(`input[name=credit][value=handle]`)),
		chromedp.SetUploadFiles(chromedp.CSS("#f-attachments"), []string{poc}),
		chromedp.Click(chromedp.CSS(`form[action="/report"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=code]`)),
	)
	if err != nil {
		t.Fatalf("submit the form: %v\n%s", err, s.logs.String())
	}
	ref, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=ref]`)))
	if err != nil || ref != "SEC-1" {
		t.Fatalf("ref=%q err=%v", ref, err)
	}
	code, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=code]`)))
	if err != nil {
		t.Fatal(err)
	}

	err = chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/status"),
		chromedp.SendKeys(chromedp.CSS("#f-code"), strings.ToLower(code)),
		chromedp.Click(chromedp.CSS(`form[action="/status"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=state]`)),
	)
	if err != nil {
		t.Fatalf("open the status page: %v", err)
	}
	title, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if !strings.Contains(title, "Reflected XSS in <search>") {
		t.Fatalf("status page title %q", title)
	}
	timeline, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=timeline]`)))
	if !strings.Contains(timeline, "poc.html") {
		t.Fatalf("attachment not on the timeline: %q", timeline)
	}

	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#f-body"), "A simpler payload: \"><svg onload=alert(1)>"),
		chromedp.Click(chromedp.CSS(`form[action="/status/reply"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=sent]`)),
	)
	if err != nil {
		t.Fatalf("send a follow-up: %v", err)
	}
	timeline, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=timeline]`)))
	if !strings.Contains(timeline, `A simpler payload: "><svg onload=alert(1)>`) {
		t.Fatalf("follow-up not on the timeline: %q", timeline)
	}
}
