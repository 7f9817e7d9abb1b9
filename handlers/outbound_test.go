package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/mailin"
)

// outboundEnv has one queued ack (mail 1) and one webhook (1) with a
// delivery.
func outboundEnv(t *testing.T) *portal {
	t.Helper()
	env := newPortal(t)
	ctx := context.Background()
	base, _ := url.Parse(env.Server.URL)
	if _, err := env.DB.CreateWebhook(ctx, &db.NewWebhook{ProgramID: 1, URL: "https://hooks.example.org/x", Format: db.WebhookGeneric, Enabled: true}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.CreateReport(ctx, &db.NewReport{ProgramID: 1, Source: db.SourceWeb, Title: "Stored XSS", Description: "x",
		Reporter: db.Reporter{Email: "alice@example.net"}}); err != nil {
		t.Fatal(err)
	}
	composeMail(t, env.DB, &mailin.Notifier{BaseURL: base, Domain: "portal.example.org"})
	return env
}

// composeMail composes the mail of the events recorded so far, as serve's
// event worker does right after each commit.
func composeMail(t testing.TB, d *db.DB, n *mailin.Notifier) {
	t.Helper()
	if _, err := (&mailin.Events{Store: d, Notifier: n}).Drain(context.Background()); err != nil {
		t.Fatalf("compose events: %v", err)
	}
}

func TestAdminOutbox(t *testing.T) {
	ctx := context.Background()
	env := outboundEnv(t)
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	b := env.browser(t)
	b.mustLogin("admin@example.org")
	t.Run("OK", func(t *testing.T) {
		p := b.get("/admin/outbox")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "alice@example.net") || !strings.Contains(p.Body, ">pending<") {
			t.Fatalf("status %d:\n%s", p.Status, p.Body)
		}
		if p := b.get("/admin/outbox?status=failed"); !strings.Contains(p.Body, `data-testid="outbox-empty"`) {
			t.Fatal("the failed filter lists a pending mail")
		}
		p = b.get("/admin/outbox/1")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "We received it and filed it as SEC-1") {
			t.Fatalf("mail page %d:\n%s", p.Status, p.Body)
		}
		if strings.Contains(p.Body, `data-testid="retry"`) {
			t.Fatal("a pending mail offers a retry")
		}
	})
	t.Run("RetryFailed", func(t *testing.T) {
		if err := env.DB.MailFailed(ctx, 1, "smtp RCPT TO: SMTP error 550: <script>No such user</script>"); err != nil {
			t.Fatal(err)
		}
		p := b.get("/admin/outbox?status=failed")
		if !strings.Contains(p.Body, ">failed<") {
			t.Fatalf("failed mail not listed:\n%s", p.Body)
		}
		p = b.get("/admin/outbox/1")
		if !strings.Contains(p.Body, `data-testid="retry"`) || strings.Contains(p.Body, "<script>No such") {
			t.Fatalf("failed mail page:\n%s", p.Body)
		}
		if p := b.post("/admin/outbox/1/retry", url.Values{"csrf": {"forged"}}); p.Status != http.StatusForbidden {
			t.Fatalf("retry without the CSRF token: %d", p.Status)
		}
		if p := b.post("/admin/outbox/1/retry", nil); p.Status != http.StatusSeeOther {
			t.Fatalf("retry: %d", p.Status)
		}
		m, _ := env.DB.MailByID(ctx, 1)
		if m.Status != db.OutboxPending {
			t.Fatalf("status after retry %s", m.Status)
		}
		if p := b.post("/admin/outbox/1/retry", nil); p.Status != http.StatusConflict {
			t.Fatalf("retrying a pending mail: %d, want 409", p.Status)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if p := b.get("/admin/outbox/999"); p.Status != http.StatusNotFound {
			t.Fatalf("status %d", p.Status)
		}
	})
}

func TestAdminWebhooks(t *testing.T) {
	ctx := context.Background()
	env := outboundEnv(t)
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	b := env.browser(t)
	b.mustLogin("admin@example.org")
	t.Run("OK", func(t *testing.T) {
		p := b.get("/admin/programs/1/webhooks")
		hooks, _ := env.DB.Webhooks(ctx, 1)
		if p.Status != http.StatusOK || !strings.Contains(p.Body, hooks[0].Secret) || !strings.Contains(p.Body, "report.created") {
			t.Fatalf("status %d:\n%s", p.Status, p.Body)
		}
		p = b.post("/admin/programs/1/webhooks", url.Values{"url": {"https://hooks.slack.com/services/T/B/X"}, "format": {"slack"}, "enabled": {"on"}})
		if p.Status != http.StatusSeeOther {
			t.Fatalf("create: %d", p.Status)
		}
		hooks, _ = env.DB.Webhooks(ctx, 1)
		if len(hooks) != 2 || hooks[1].Format != db.WebhookSlack || !hooks[1].Enabled || hooks[1].IncludeContent {
			t.Fatalf("hooks %+v", hooks)
		}
		p = b.post("/admin/webhooks/2", url.Values{"url": {"https://hooks.slack.com/services/T/B/Y"}, "format": {"slack"}})
		if h, _ := env.DB.WebhookByID(ctx, 2); p.Status != http.StatusSeeOther || h.Enabled || !strings.HasSuffix(h.URL, "/Y") {
			t.Fatalf("update: %d %+v", p.Status, h)
		}
		if p := b.post("/admin/webhooks/2/delete", nil); p.Status != http.StatusSeeOther {
			t.Fatalf("delete: %d", p.Status)
		}
		if _, err := env.DB.WebhookByID(ctx, 2); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatal("webhook not deleted")
		}
	})
	t.Run("ErrBadURL", func(t *testing.T) {
		p := b.post("/admin/programs/1/webhooks", url.Values{"url": {"javascript:alert(1)"}, "format": {"generic"}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "absolute https://") || !strings.Contains(p.Body, `value="javascript:alert(1)"`) {
			t.Fatalf("status %d:\n%s", p.Status, p.Body)
		}
	})
	t.Run("ErrDeliveryOfAnotherWebhook", func(t *testing.T) {
		other, _ := env.DB.CreateWebhook(ctx, &db.NewWebhook{ProgramID: 1, URL: "https://hooks.example.org/o", Format: db.WebhookGeneric}, db.ActorSystem)
		if p := b.post("/admin/webhooks/"+itoa(other.ID)+"/deliveries/1/retry", nil); p.Status != http.StatusNotFound {
			t.Fatalf("status %d", p.Status)
		}
	})
}

func TestNotificationPrefs(t *testing.T) {
	ctx := context.Background()
	env := outboundEnv(t)
	u := env.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	b := env.browser(t)
	b.mustLogin("tri@example.org")
	if p := b.get("/account/notifications"); p.Status != http.StatusOK || !strings.Contains(p.Body, `value="every" checked`) {
		t.Fatalf("status %d:\n%s", p.Status, p.Body)
	}
	if p := b.post("/account/notifications", url.Values{"mode": {"digest"}, "title": {"on"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", p.Status)
	}
	prefs, _ := env.DB.NotifyPrefsOf(ctx, u.ID)
	if prefs.Mode != db.NotifyDigest || !prefs.IncludeTitle {
		t.Fatalf("prefs %+v", prefs)
	}
	if p := b.post("/account/notifications", url.Values{"mode": {"hourly"}}); p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad mode: %d", p.Status)
	}
	anon := env.browser(t)
	anon.get("/login")
	if p := anon.post("/account/notifications", url.Values{"mode": {"none"}}); p.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous save: %d", p.Status)
	}
}

// TestReportPageShowsMail: the staff report page says whether the reporter
// was told, and a failed mail links to the outbox.
func TestReportPageShowsMail(t *testing.T) {
	env := outboundEnv(t)
	env.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	b := env.browser(t)
	b.mustLogin("tri@example.org")
	p := b.get("/triage/reports/SEC-1")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `data-testid="report-mails"`) || !strings.Contains(p.Body, ">pending<") {
		t.Fatalf("status %d:\n%s", p.Status, p.Body)
	}
	if err := env.DB.MailFailed(context.Background(), 1, "smtp RCPT TO: SMTP error 550: no such user"); err != nil {
		t.Fatal(err)
	}
	p = b.get("/triage/reports/SEC-1")
	if !strings.Contains(p.Body, ">failed<") || !strings.Contains(p.Body, `href="/admin/outbox/1"`) || !strings.Contains(p.Body, "could not be delivered") {
		t.Fatalf("failed mail not on the report page:\n%s", p.Body)
	}
}

// TestAdminWebhookReach: a URL naming an address the portal may not post to
// gets a field error, in the operator's reach.
func TestAdminWebhookReach(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrPrivateByDefault", func(t *testing.T) {
		env := outboundEnv(t)
		env.mustUser(t, "admin@example.org", db.RoleAdmin)
		b := env.browser(t)
		b.mustLogin("admin@example.org")
		p := b.post("/admin/programs/1/webhooks", url.Values{"url": {"http://10.0.0.5:8065/hooks/x"}, "format": {"generic"}, "enabled": {"on"}})
		want := "Refused: 10.0.0.5 is a private address; set DISCLOSE_WEBHOOK_ALLOW_PRIVATE to allow it."
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, want) || !strings.Contains(p.Body, `value="http://10.0.0.5:8065/hooks/x"`) {
			t.Fatalf("status %d:\n%s", p.Status, p.Body)
		}
		p = b.post("/admin/webhooks/1", url.Values{"url": {"http://169.254.169.254/latest/meta-data/"}, "format": {"generic"}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "cloud metadata address") {
			t.Fatalf("update: status %d:\n%s", p.Status, p.Body)
		}
		if hooks, _ := env.DB.Webhooks(ctx, 1); len(hooks) != 1 || hooks[0].URL != "https://hooks.example.org/x" {
			t.Fatalf("hooks %+v", hooks)
		}
	})
	t.Run("OKPrivateAllowed", func(t *testing.T) {
		env := newPortal(t, configure(func(c *handlers.Config) { c.WebhookReach = db.WebhookReachPrivate }))
		env.mustUser(t, "admin@example.org", db.RoleAdmin)
		b := env.browser(t)
		b.mustLogin("admin@example.org")
		p := b.post("/admin/programs/1/webhooks", url.Values{"url": {"http://10.0.0.5:8065/hooks/x"}, "format": {"generic"}, "enabled": {"on"}})
		if p.Status != http.StatusSeeOther {
			t.Fatalf("status %d:\n%s", p.Status, p.Body)
		}
		p = b.post("/admin/programs/1/webhooks", url.Values{"url": {"http://169.254.169.254/latest/meta-data/"}, "format": {"generic"}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "cloud metadata address and never allowed") {
			t.Fatalf("metadata: status %d:\n%s", p.Status, p.Body)
		}
		if hooks, _ := env.DB.Webhooks(ctx, 1); len(hooks) != 1 || hooks[0].URL != "http://10.0.0.5:8065/hooks/x" {
			t.Fatalf("hooks %+v", hooks)
		}
	})
}
