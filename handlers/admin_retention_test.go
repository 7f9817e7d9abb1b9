package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

func TestAdminRetention(t *testing.T) {
	ctx := context.Background()
	env := newPortal(t)
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	env.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	p, _ := env.DB.DefaultProgram(ctx)
	in := &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "Held", Description: "d"}
	rc, err := env.DB.CreateReport(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	admin := env.browser(t)
	admin.mustLogin("admin@example.org")
	rulePath := "/admin/retention/" + itoa(p.ID)

	t.Run("ErrNotAdmin", func(t *testing.T) {
		tri := env.browser(t)
		tri.mustLogin("tri@example.org")
		for _, r := range []struct{ method, path string }{{"GET", "/admin/retention"}, {"POST", rulePath},
			{"POST", "/admin/retention/hold"}, {"POST", "/admin/retention/release"}} {
			var pg page
			if r.method == "GET" {
				pg = tri.get(r.path)
			} else {
				pg = tri.post(r.path, url.Values{"anonymise_days": {"1"}, "ref": {rc.Ref}, "reason": {"x"}})
			}
			if pg.Status != http.StatusForbidden {
				t.Fatalf("triager %s %s: status %d, want 403", r.method, r.path, pg.Status)
			}
		}
		if held, _ := env.DB.LegalHold(ctx, rc.ReportID); held {
			t.Fatal("a triager's refused request set a legal hold")
		}
		rules, _ := env.DB.RetentionRules(ctx)
		if rules[0].AnonymiseDays != 0 {
			t.Fatal("a triager's refused request changed a rule")
		}
	})
	t.Run("OK", func(t *testing.T) {
		if pg := admin.get("/admin/retention"); pg.Status != http.StatusOK || !strings.Contains(pg.Body, `data-testid="rule-default"`) {
			t.Fatalf("status %d", pg.Status)
		}
		pg := admin.post(rulePath, url.Values{"attachments_days": {"90"}, "anonymise_days": {"365"}, "spam_days": {"30"}})
		if pg.Status != http.StatusSeeOther {
			t.Fatalf("save: status %d", pg.Status)
		}
		rules, _ := env.DB.RetentionRules(ctx)
		if got := *rules[0]; got.AttachmentsDays != 90 || got.AnonymiseDays != 365 || got.SpamDeleteDays != 30 {
			t.Fatalf("rule = %+v", got)
		}
	})
	t.Run("ErrBadDays", func(t *testing.T) {
		pg := admin.post(rulePath, url.Values{"attachments_days": {"ninety"}, "anonymise_days": {"365"}, "spam_days": {"30"}})
		if pg.Status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", pg.Status)
		}
		if !strings.Contains(pg.Body, `value="ninety"`) || !strings.Contains(pg.Body, "whole number of days") {
			t.Fatal("the page does not keep the input and say what is wrong")
		}
	})
	t.Run("LegalHold", func(t *testing.T) {
		admin.get("/admin/retention")
		if pg := admin.post("/admin/retention/hold", url.Values{"ref": {rc.Ref}}); pg.Status != http.StatusUnprocessableEntity {
			t.Fatalf("hold without a reason: status %d, want 422", pg.Status)
		}
		if pg := admin.post("/admin/retention/hold", url.Values{"ref": {"SEC-999"}, "reason": {"case 1"}}); pg.Status != http.StatusUnprocessableEntity {
			t.Fatalf("hold of an unknown report: status %d, want 422", pg.Status)
		}
		if pg := admin.post("/admin/retention/hold", url.Values{"ref": {rc.Ref}, "reason": {"case 1"}}); pg.Status != http.StatusSeeOther {
			t.Fatalf("hold: status %d", pg.Status)
		}
		if held, _ := env.DB.LegalHold(ctx, rc.ReportID); !held {
			t.Fatal("not on hold")
		}
		if pg := admin.get("/admin/retention"); !strings.Contains(pg.Body, rc.Ref) {
			t.Fatal("the held report is not listed")
		}
		if pg := admin.post("/admin/retention/release", url.Values{"ref": {rc.Ref}}); pg.Status != http.StatusSeeOther {
			t.Fatalf("release: status %d", pg.Status)
		}
		if held, _ := env.DB.LegalHold(ctx, rc.ReportID); held {
			t.Fatal("still on hold after release")
		}
	})
}

// TestProblemBanner checks that a problem a worker reports reaches admins on
// the dashboard, and only admins.
func TestProblemBanner(t *testing.T) {
	p := newPortal(t)
	p.mustUser(t, "admin@example.org", db.RoleAdmin, 1)
	p.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	admin, tri := p.browser(t), p.browser(t)
	admin.mustLogin("admin@example.org")
	tri.mustLogin("tri@example.org")
	p.problems.Set("smtp", "the SMTP server mail.example.org:587 is unreachable: mail waits in the outbox")
	if got := parse(t, admin.get("/admin")).Find("[data-testid=problem-smtp]").Text(); !strings.Contains(got, "unreachable") {
		t.Fatalf("admin banner = %q", got)
	}
	if parse(t, tri.get("/account/2fa")).Find("[data-testid=problems]").Length() != 0 {
		t.Fatal("a triager sees the admin banner")
	}
	p.problems.Clear("smtp")
	if parse(t, admin.get("/admin")).Find("[data-testid=problems]").Length() != 0 {
		t.Fatal("banner stays after the problem cleared")
	}
}
