package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestExportClock: `disclose export --clock due|overdue` exports the
// reports whose incident clock is due soon or overdue, of every
// organisation (the operator's view), as the queue's clock filter does;
// another value names the flag. Before, --clock was an unknown flag.
func TestExportClock(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	d, err := db.Open(ctx, filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	client, err := d.CreateOrg(ctx, &db.NewOrg{Slug: "client", Name: "Client"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	pr := db.NewProgramDefaults()
	pr.Name, pr.Slug, pr.Prefix, pr.OrgID = "Shop", "shop", "SHOP", client.ID
	shop, err := d.SaveProgram(ctx, pr, nil, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	def, err := d.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	report := func(program int64, title string) int64 {
		rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: program, Source: db.SourceWeb, Title: title, Description: "d",
			Reporter: db.Reporter{Credit: db.CreditAnonymous}})
		if err != nil {
			t.Fatal(err)
		}
		return rc.ReportID
	}
	overdue, running := report(shop.ID, "Card data exposed"), report(def.ID, "Logs exposed")
	report(def.ID, "No incident")
	now := time.Now()
	for _, inc := range []*db.NewIncident{
		{OrgID: client.ID, Title: "Cards", Severity: "high", Reports: []int64{overdue}, AwareAt: now.Add(-7 * time.Hour), AwareSource: "a call", Presets: []string{"cert-in"}},
		{OrgID: def.OrgID, Title: "Logs", Severity: "low", Reports: []int64{running}, AwareAt: now.Add(-time.Hour), AwareSource: "a call", Presets: []string{"gdpr"}},
	} {
		if _, err := d.CreateIncident(ctx, inc, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()
	titles := func(args ...string) string {
		t.Helper()
		out, err := runStdout(t, append([]string{"export", "--data", data}, args...)...)
		if err != nil {
			t.Fatalf("export %v: %v", args, err)
		}
		var reports []struct{ Title string }
		if err := json.Unmarshal([]byte(out), &reports); err != nil {
			t.Fatalf("export %v: not JSON: %v", args, err)
		}
		var out2 []string
		for _, r := range reports {
			out2 = append(out2, r.Title)
		}
		return strings.Join(out2, "; ")
	}
	if got := titles("--state", "all"); strings.Count(got, ";") != 2 {
		t.Fatalf("every report: %q", got)
	}
	for _, flag := range []string{"due", "overdue"} {
		if got := titles("--clock", flag); got != "Card data exposed" {
			t.Errorf("--clock %s: %q, want only the report of the overdue incident", flag, got)
		}
	}
	if _, err := runStdout(t, "export", "--data", data, "--clock", "soon"); err == nil || !strings.Contains(err.Error(), "--clock") {
		t.Errorf("--clock soon: %v, want an error naming --clock", err)
	}
}
