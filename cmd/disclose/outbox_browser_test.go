package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers/browsertest"
	"github.com/disclose/disclose/mailin/mailtest"
)

// startServeEnv runs `disclose serve` in-process with the given settings
// (DISCLOSE_* variables; nil for none) on a fresh data dir, and returns its
// URL and what it printed once it listens.
func startServeEnv(t *testing.T, settings map[string]string) (string, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, logs := &lockedBuffer{}, &lockedBuffer{}
	ready := make(chan string, 1)
	env := &environment{stdout: stdout, stderr: logs, stdin: strings.NewReader(""), getenv: func(k string) string { return settings[k] },
		ready: func(u string) { ready <- u }}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, env, []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case u := <-ready:
		return strings.TrimRight(u, "/"), stdout
	case err := <-done:
		t.Fatalf("serve exited: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start:\n%s", logs.String())
	}
	return "", nil
}

// TestBrowserOutbox is the mail path through the real binary and a real
// browser: a researcher reports through the web form with an email, the
// acknowledgement is refused by the mail server (550), the admin finds it
// failed in the outbox, reads it and sends it again, and it arrives, with
// the reference and the status link and without the receipt code.
func TestBrowserOutbox(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	sink := mailtest.NewSink(t)
	sink.Reply(mailtest.Permanent)
	ctx := browsertest.New(t)
	base, stdout := startServeEnv(t, map[string]string{"DISCLOSE_SMTP_ADDR": sink.Addr, "DISCLOSE_SMTP_TLS": "none",
		"DISCLOSE_SECURITY_EMAIL": "security@example.org"})
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Step(ctx, t, what, actions...)
	}
	text := func(sel string) string {
		t.Helper()
		return browsertest.Text(ctx, t, sel)
	}

	step("report through the web form",
		chromedp.Navigate(base+"/report"),
		chromedp.SendKeys(css("#f-title"), "Stored XSS in search"),
		chromedp.SendKeys(css("#f-asset"), "www.example.org"),
		chromedp.SendKeys(css("#f-description"), "The query is reflected without escaping."),
		chromedp.SendKeys(css("#f-email"), "alice@example.net"),
		chromedp.Submit(css("#f-title")),
		chromedp.WaitVisible(css("[data-testid=code]")),
	)
	code := db.NormalizeReceiptCode(text("[data-testid=code]"))
	sink.WaitTried(t, 1, 20*time.Second) // the worker polls every few seconds

	const pass = "admin passphrase for tests"
	step("create the first admin and sign in",
		chromedp.Navigate(setupLinkRE.FindString(stdout.String())),
		chromedp.SendKeys(css("#f-email"), "admin@example.org"),
		chromedp.SendKeys(css("#f-password"), pass),
		chromedp.SendKeys(css("#f-password2"), pass),
		chromedp.Click(css("[data-testid=setup-submit]")),
		chromedp.WaitVisible(css("[data-testid=notice]")),
		chromedp.Navigate(base+"/login?next=/admin/outbox"),
		chromedp.SendKeys(css("#f-email"), "admin@example.org"),
		chromedp.SendKeys(css("#f-password"), pass),
		chromedp.Click(css("[data-testid=login-submit]")),
		chromedp.WaitVisible(css("[data-testid=outbox-filter]")),
	)
	// The refusal is marked right after the server answered: look again a
	// bounded number of times.
	for i := 0; ; i++ {
		step("open the failed mail", chromedp.Navigate(base+"/admin/outbox?status=failed"), chromedp.WaitVisible(css("main h1")))
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=outbox-row]").length`))
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		} else if i == 50 {
			t.Fatal("the refused acknowledgement is not listed as failed")
		}
	}
	step("read it", chromedp.Click(css("[data-testid=outbox-row] a")), chromedp.WaitVisible(css("[data-testid=mail-body]")))
	body := text("[data-testid=mail-body]")
	if !strings.Contains(body, "SEC-1") || strings.Contains(db.NormalizeReceiptCode(body), code) {
		t.Fatalf("mail body (must name SEC-1, never the receipt code):\n%s", body)
	}
	if e := text("[data-testid=mail-error]"); !strings.Contains(e, "550") {
		t.Fatalf("last error %q", e)
	}
	step("send it again", chromedp.Click(css("[data-testid=retry]")), chromedp.WaitNotPresent(css("[data-testid=retry]")))
	if s := text("[data-testid=mail-facts] [data-testid=mail-status]"); s != "pending" && s != "sending" && s != "sent" {
		t.Fatalf("status after retry %q", s)
	}
	msgs := sink.Wait(t, 1, 20*time.Second)
	raw, _ := io.ReadAll(msgs[0].Parse(t).Body)
	if len(msgs[0].To) != 1 || msgs[0].To[0] != "alice@example.net" || strings.Contains(db.NormalizeReceiptCode(string(raw)), code) {
		t.Fatalf("delivered to %v:\n%s", msgs[0].To, raw)
	}
}
