package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

func TestEditFields(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		in := db.FieldEdit{Asset: "api.example.org", CWE: "CWE-89", CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
			CVEID: "cve-2026-12345", DisclosureDate: "2026-06-01", DisclosureTime: "10:00", DisclosureZone: "Europe/Paris", Credit: "Alice Example"}
		if err := f.DB.EditFields(ctx, r.ID, r.Version, f.Actor, in); err != nil {
			t.Fatal(err)
		}
		got := f.fresh(t, r.ID)
		if got.Asset != "api.example.org" || got.CWE != "CWE-89" || got.CVEID != "CVE-2026-12345" {
			t.Fatalf("fields=%q %q %q", got.Asset, got.CWE, got.CVEID)
		}
		if got.CVSSScore != 9.8 || got.Severity != db.SeverityCritical {
			t.Fatalf("cvss score=%v severity=%q, want 9.8 critical", got.CVSSScore, got.Severity)
		}
		d, _ := f.DB.Details(ctx, r.ID)
		if want := "2026-06-01T08:00:00Z"; d.DisclosureAt.Format("2006-01-02T15:04:05Z07:00") != want || d.DisclosureTZ != "Europe/Paris" {
			t.Fatalf("disclosure=%v %q, want %s Europe/Paris", d.DisclosureAt, d.DisclosureTZ, want)
		}
		if d.Credit != "Alice Example" {
			t.Fatalf("credit=%q", d.Credit)
		}
		all, _ := f.DB.Timeline(ctx, r.ID, false)
		var edits int
		for _, m := range all {
			if strings.HasPrefix(m.Event, "edit:") {
				edits++
				if m.Public {
					t.Fatalf("edit %q is public", m.Event)
				}
			}
		}
		if edits != 6 {
			t.Fatalf("edit entries=%d, want 6 (one per changed field)", edits)
		}
		var audits int
		for _, a := range auditActions(t, f.DB, r.Ref()) {
			if a == "report.edit" {
				audits++
			}
		}
		if audits != 6 {
			t.Fatalf("report.edit audit rows=%d, want 6", audits)
		}
		// The same form again changes nothing and writes nothing.
		if err := f.DB.EditFields(ctx, got.ID, got.Version, f.Actor, in); err != nil {
			t.Fatal(err)
		}
		if again := f.fresh(t, r.ID); again.Version != got.Version {
			t.Fatalf("an unchanged form bumped the version %d -> %d", got.Version, again.Version)
		}
	})
	t.Run("CVSS40", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		in := db.FieldEdit{CVSSVector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}
		if err := f.DB.EditFields(ctx, r.ID, r.Version, f.Actor, in); err != nil {
			t.Fatal(err)
		}
		// The specification's calculator gives 9.3 (critical) for this vector.
		if got := f.fresh(t, r.ID); got.CVSSScore != 9.3 || got.Severity != db.SeverityCritical {
			t.Fatalf("score=%v severity=%q, want 9.3 critical", got.CVSSScore, got.Severity)
		}
	})
	t.Run("ErrInvalidFields", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		err := f.DB.EditFields(ctx, r.ID, r.Version, f.Actor, db.FieldEdit{CWE: "CWE-0", CVSSVector: "CVSS:3.1/AV:N",
			CVEID: "CVE-26-1", DisclosureDate: "2026-06-01", DisclosureZone: "Mars/Olympus"})
		for _, field := range []string{"cwe", "cvss", "cve", "disclosure"} {
			if fieldError(err, field) == "" {
				t.Errorf("no error for %s (err=%v)", field, err)
			}
		}
		if got := f.fresh(t, r.ID); got.Version != r.Version {
			t.Fatal("a refused edit changed the report")
		}
	})
	t.Run("ErrStaleVersion", func(t *testing.T) {
		f := newTriageFixture(t)
		r := f.report(t, f.P1.ID, "XSS", "desc")
		if err := f.DB.EditFields(ctx, r.ID, r.Version, f.Actor, db.FieldEdit{Asset: "a.example.org"}); err != nil {
			t.Fatal(err)
		}
		err := f.DB.EditFields(ctx, r.ID, r.Version, f.Actor, db.FieldEdit{Asset: "b.example.org"})
		if got, want := db.ErrorCode(err), db.ECONFLICT; got != want {
			t.Fatalf("code=%q, want %q", got, want)
		}
		if got := f.fresh(t, r.ID).Asset; got != "a.example.org" {
			t.Fatalf("asset=%q, want the first writer's a.example.org", got)
		}
	})
}
