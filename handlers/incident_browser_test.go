package handlers_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/disclose/disclose/handlers/browsertest"
)

// TestBrowserIncident is the browser test of incidents: a triager
// escalates a report marked exploited from its page, records awareness,
// sees the three CRA clocks, marks the early warning sent with a
// reference, and exports the evidence bundle (a zip download).
func TestBrowserIncident(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	ctx := browsertest.New(t)
	e := newIncidentEnv(t)
	base := e.env.Server.URL
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			body, _ := chromedp.Run(ctx, chromedp.Text(css("main")))
			t.Fatalf("%s: %v (at %s)\n%.3000s", what, err, loc, body)
		}
	}
	text := func(sel string) string {
		t.Helper()
		return browsertest.Text(ctx, t, sel)
	}
	downloads := t.TempDir()
	events := true
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &events}); err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 1)
	if err := chromedp.ListenBrowser(ctx, func(ev any) {
		if p, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && p.State == cdpbrowser.DownloadProgressStateCompleted {
			select {
			case done <- filepath.Join(downloads, p.GUID):
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}

	step("sign in as the client's triager",
		chromedp.Navigate(base+"/login?next=/triage/reports/"+e.exploited.Ref()),
		chromedp.SendKeys(css("#f-email"), "tri@client.example"),
		chromedp.SendKeys(css("#f-password"), testPassword),
		chromedp.Click(css("[data-testid=login-submit]")),
		chromedp.WaitVisible(css("[data-testid=escalate-suggested]")),
	)
	step("escalate the exploited report",
		chromedp.Click(css("[data-testid=escalate]")),
		chromedp.WaitVisible(css("[data-testid=incident-form]")),
	)
	if !strings.Contains(text("[data-testid=presets]"), "suggested") {
		t.Fatal("the CRA preset is not suggested")
	}
	aware := e.env.DB.Now().Add(-30 * time.Minute).UTC().Format("2006-01-02T15:04")
	step("open the incident without awareness yet",
		chromedp.Click(css("[data-testid=open-incident]")),
		chromedp.WaitVisible(css("[data-testid=no-awareness]")),
	)
	step("record awareness",
		chromedp.SetValue(css("#f-aware_at"), aware),
		chromedp.SendKeys(css("#f-aware_source"), "The report "+e.exploited.Ref()+": orders of other customers"),
		chromedp.Click(css("[data-testid=record-awareness]")),
		chromedp.WaitVisible(css("[data-testid=aware]")),
	)
	for stage, clock := range map[string]string{"early-warning": "running", "notification": "running", "final-report": "waiting"} {
		if got := text(`[data-obligation="cra-exploited/` + stage + `"] [data-clock]`); got == "" {
			t.Errorf("no CRA %s clock", stage)
		} else if clock == "waiting" && !strings.Contains(got, "corrective measure") {
			t.Errorf("the CRA final report's clock says %q", got)
		} else if clock == "running" && !strings.Contains(got, "left") {
			t.Errorf("the CRA %s clock says %q", stage, got)
		}
	}
	step("mark the early warning sent with a reference",
		chromedp.Click(css(`[data-obligation-forms="cra-exploited/early-warning"] summary`)),
		chromedp.SetValue(css(`[data-obligation-forms="cra-exploited/early-warning"] input[name=sent_at]`), e.env.DB.Now().UTC().Format("2006-01-02T15:04")),
		chromedp.SendKeys(css(`[data-obligation-forms="cra-exploited/early-warning"] input[name=reference]`), "ENISA-SRP-7731"),
		chromedp.Click(css(`[data-obligation-forms="cra-exploited/early-warning"] [data-testid=mark-sent-button]`)),
		chromedp.WaitVisible(css(`[data-obligation="cra-exploited/early-warning"][data-state=sent]`)),
	)
	if got := text(`[data-obligation="cra-exploited/early-warning"] [data-sent]`); !strings.Contains(got, "ENISA-SRP-7731") {
		t.Errorf("the sent early warning shows %q", got)
	}
	step("export evidence",
		chromedp.Click(css("[data-testid=export-evidence]")),
	)
	var zipName string
	select {
	case zipName = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("no evidence zip was downloaded")
	}
	body, err := os.ReadFile(zipName)
	if err != nil {
		t.Fatal(err)
	}
	names := unzipTo(t, body, t.TempDir())
	if !strings.Contains(strings.Join(names, " "), "MANIFEST.sha256.asc") {
		t.Errorf("the downloaded bundle holds %v", names)
	}
}
