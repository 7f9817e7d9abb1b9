package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/disclose/disclose/handlers/browsertest"
	"github.com/disclose/disclose/mailin/pgp"
)

// startServeData runs `disclose serve` in-process on the data dir given,
// and returns its URL and what it printed.
func startServeData(t *testing.T, data string) (string, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, logs := &lockedBuffer{}, &lockedBuffer{}
	ready := make(chan string, 1)
	env := &environment{stdout: stdout, stderr: logs, stdin: strings.NewReader(""), getenv: func(string) string { return "" },
		ready: func(u string) { ready <- u }}
	done := make(chan error, 1)
	go func() { done <- run(ctx, env, []string{"serve", "--addr", "127.0.0.1:0", "--data", data}) }()
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

// TestBrowserTeamKey: serve starts with a locked team key; the dashboard
// says so; an admin unlocks it in the browser (a wrong passphrase is
// refused with a message next to the field) and locks it again.
func TestBrowserTeamKey(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	data := t.TempDir()
	const keyPass = "team key passphrase"
	key, err := pgp.Generate(pgp.GenerateOptions{Name: "Security", Email: "security@example.org", Lifetime: 10 * 24 * time.Hour}, []byte(keyPass), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := key.Save(filepath.Join(data, pgp.KeyFile)); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	base, stdout := startServeData(t, data)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("%s: %v (at %s)", what, err, loc)
		}
	}
	page := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(css("body")))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	const pass = "admin passphrase for tests"
	step("create the first admin and sign in",
		chromedp.Navigate(setupLinkRE.FindString(stdout.String())),
		chromedp.SendKeys(css("#f-email"), "admin@example.org"),
		chromedp.SendKeys(css("#f-password"), pass),
		chromedp.SendKeys(css("#f-password2"), pass),
		chromedp.Click(css("[data-testid=setup-submit]")),
		chromedp.WaitVisible(css("[data-testid=notice]")),
		chromedp.Navigate(base+"/login?next=/admin/key"),
		chromedp.SendKeys(css("#f-email"), "admin@example.org"),
		chromedp.SendKeys(css("#f-password"), pass),
		chromedp.Click(css("[data-testid=login-submit]")),
		chromedp.WaitVisible(css("[data-testid=unlock-form]")),
	)
	body := page()
	for _, want := range []string{key.Info().Fingerprint, "team OpenPGP key is locked", "expires on", "Locked:"} {
		if !strings.Contains(body, want) {
			t.Errorf("key page lacks %q:\n%s", want, body)
		}
	}
	step("a wrong passphrase",
		chromedp.SendKeys(css("#f-passphrase"), "not the passphrase"),
		chromedp.Submit(css("#f-passphrase")),
		chromedp.WaitVisible(css("#e-passphrase")),
	)
	if body := page(); !strings.Contains(body, "This passphrase is wrong") {
		t.Fatalf("after a wrong passphrase:\n%s", body)
	}
	step("the right one",
		chromedp.SendKeys(css("#f-passphrase"), keyPass),
		chromedp.Submit(css("#f-passphrase")),
		chromedp.WaitVisible(css("[data-testid=lock-form]")),
	)
	if body := page(); !strings.Contains(body, "The key is unlocked") || strings.Contains(body, "team OpenPGP key is locked") {
		t.Fatalf("after unlocking:\n%s", body)
	}
	step("lock it again", chromedp.Click(css("[data-testid=lock-form] button")), chromedp.WaitVisible(css("[data-testid=unlock-form]")))
	if body := page(); !strings.Contains(body, "team OpenPGP key is locked") {
		t.Fatalf("after locking, no banner:\n%s", body)
	}
}
