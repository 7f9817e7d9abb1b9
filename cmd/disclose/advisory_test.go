package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestAdvisoryCommands: an advisory drafted from the command line, refused
// to its author's and a viewer's approval, approved by a second triager
// for a later moment, and listed as JSON.
func TestAdvisoryCommands(t *testing.T) {
	data := t.TempDir()
	cmd := func(args ...string) string {
		t.Helper()
		out, err := runCmd(t, append(args, "--data", data)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return out
	}
	cmd("org", "add", "--slug", "client", "--name", "Client", "--host", "reports.client.example")
	cmd("program", "add", "--org", "client", "--slug", "shop", "--name", "Shop", "--prefix", "SHOP")
	cmd("user", "add", "--email", "tina@client.example", "--org", "client", "--role", "triager")
	cmd("user", "add", "--email", "anna@client.example", "--org", "client", "--role", "triager")
	cmd("user", "add", "--email", "vic@client.example", "--org", "client", "--role", "viewer")
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.ProgramBySlug(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "XSS", Description: "d",
		Reporter: db.Reporter{Name: "alice", Credit: db.CreditHandle}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := d.ReportByID(ctx, rc.ReportID)
	d.Close()

	if _, err := runCmd(t, "advisory", "add", "--data", data, "--report", r.Ref(), "--title", "T", "--summary", "S", "--product", "Shop",
		"--affected", "< 2", "--author", "vic@client.example"); err == nil || !strings.Contains(err.Error(), "--author") {
		t.Errorf("a viewer drafts: %v", err)
	}
	ident := strings.TrimSpace(cmd("advisory", "add", "--report", r.Ref(), "--title", "Stored XSS", "--summary", "Script runs.",
		"--product", "Shop", "--affected", "< 2.4.1", "--fixed", "2.4.1", "--cve", "CVE-2026-1234",
		"--cvss", "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", "--publish-at", "2030-01-01T09:00:00Z", "--author", "tina@client.example"))
	if !strings.HasPrefix(ident, "CLIENT-SA-") {
		t.Fatalf("ident = %q", ident)
	}
	if _, err := runCmd(t, "advisory", "approve", ident, "--by", "tina@client.example", "--data", data); err == nil || !strings.Contains(err.Error(), "second person") {
		t.Errorf("the author approves: %v", err)
	}
	if _, err := runCmd(t, "advisory", "approve", ident, "--by", "vic@client.example", "--data", data); err == nil {
		t.Error("a viewer approves")
	}
	if out := cmd("advisory", "approve", ident, "--by", "anna@client.example"); !strings.Contains(out, "published at 2030-01-01T09:00:00Z") {
		t.Errorf("approve: %s", out)
	}
	var list []struct{ Score float64 }
	out := cmd("advisory", "list", "--format", "json")
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0].Score != 5.4 {
		t.Fatalf("list: %v %s", err, out)
	}
	if !strings.Contains(out, `"state": "scheduled"`) || !strings.Contains(out, `"id": "`+ident+`"`) {
		t.Errorf("list: %s", out)
	}
	// The CVE record for the CNA, before publication too.
	out = cmd("advisory", "cve", "--id", ident, "--cve", "CVE-2026-1234")
	for _, want := range []string{`"cveId": "CVE-2026-1234"`, `"baseScore": 5.4`, `://reports.client.example/advisories/` + ident + `"`, `"value": "alice"`} {
		if !strings.Contains(out, want) {
			t.Errorf("advisory cve: no %s in\n%s", want, out)
		}
	}
	if _, err := runCmd(t, "advisory", "cve", "--id", ident, "--cve", "CVE-2026-9999", "--data", data); err == nil || !strings.Contains(err.Error(), "names no CVE-2026-9999") {
		t.Errorf("a CVE the advisory does not name: %v", err)
	}
}
