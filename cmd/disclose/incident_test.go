package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
	"github.com/disclose/disclose/mailin/pgp/pgptest"
)

// incidentData is a data directory with a team key, a retention rule that
// disposes of spam and finished reports after a day, and three reports
// finished ten days ago: two to escalate, one left alone.
func incidentData(t *testing.T) (data string, held, loose []string) {
	t.Helper()
	ctx := context.Background()
	data = t.TempDir()
	k, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte("correct horse battery"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Save(filepath.Join(data, pgp.KeyFile)); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(ctx, filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, _ := d.DefaultProgram(ctx)
	var refs []string
	for _, title := range []string{"Spam that was evidence", "Exploited flaw", "Plain spam"} {
		rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: title, Description: "d",
			Attachments: []db.NewAttachment{{Filename: "poc.txt", Data: []byte("proof")}}})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := d.ReportByID(ctx, rc.ReportID)
		refs = append(refs, r.Ref())
	}
	raw, err := sql.Open("sqlite3", d.Path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	ago := time.Now().UTC().Add(-10 * 24 * time.Hour).Format("2006-01-02T15:04:05.000000Z")
	for _, q := range []string{`UPDATE reports SET state = 'spam', closed_at = ? WHERE number IN (1, 3)`,
		`UPDATE reports SET state = 'informative', closed_at = ? WHERE number = 2`} {
		if _, err := raw.Exec(q, ago); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	if err := d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: p.ID, SpamDeleteDays: 1, AnonymiseDays: 1, AttachmentsDays: 1}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	return data, refs[:2], refs[2:]
}

// TestIncidentCommands: an incident opened from the command line holds its
// reports against `disclose purge`, lists its CRA clocks as JSON, and
// writes an evidence bundle that sha256sum and gpg verify.
func TestIncidentCommands(t *testing.T) {
	data, held, loose := incidentData(t)
	aware := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	out, err := runCLI(t, "incident", "open", "--data", data, "--report", held[0], "--report", held[1], "--title", "Breach",
		"--aware-at", aware.Format(time.RFC3339), "--preset", "cra-exploited", "--preset", "cert-in")
	id := strings.TrimSpace(out)
	if n, perr := strconv.ParseInt(id, 10, 64); err != nil || perr != nil || n < 1_000_000_000 {
		t.Fatalf("incident open: %v\n%s (want its random id)", err, out)
	}
	if out, err := runCLI(t, "incident", "open", "--data", data, "--title", "No awareness"); err == nil || !strings.Contains(err.Error(), "--aware-at") {
		t.Errorf("an incident without awareness: %v %s", err, out)
	}

	out, err = runCLI(t, "purge", "--data", data)
	if err != nil {
		t.Fatalf("purge: %v\n%s", err, out)
	}
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, ref := range held {
		r, err := d.ReportByRef(ctx, ref)
		if err != nil || r.Title == db.AnonymisedTitle {
			t.Errorf("purge disposed of %s, which an incident holds: %v", ref, err)
		}
	}
	if _, err := d.ReportByRef(ctx, loose[0]); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("the spam report no incident holds is still there: %v", err)
	}

	out, err = runCLI(t, "incident", "list", "--data", data, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var list []incidentJSON
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("incident list is no JSON: %v\n%s", err, out)
	}
	if len(list) != 1 || strings.Join(list[0].Reports, " ") != strings.Join(held, " ") || len(list[0].Obligations) != 4 {
		t.Fatalf("incident list = %+v", list)
	}
	want := map[string]*string{"cert-in/report": rfc3339(aware.Add(6 * time.Hour)), "cra-exploited/early-warning": rfc3339(aware.Add(24 * time.Hour)),
		"cra-exploited/notification": rfc3339(aware.Add(72 * time.Hour)), "cra-exploited/final-report": nil}
	for _, o := range list[0].Obligations {
		w := want[o.Preset+"/"+o.Stage]
		if (w == nil) != (o.Due == nil) || (w != nil && *w != *o.Due) || o.State != "pending" {
			t.Errorf("%s/%s due %v state %s, want %v", o.Preset, o.Stage, o.Due, o.State, w)
		}
	}

	// Evidence, signed with the unlocked key, checked by the tools a third
	// party has.
	gpg := pgptest.NeedGPG(t)
	pass := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(pass, []byte("correct horse battery\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(t.TempDir(), "bundle")
	if out, err := runCLI(t, "incident", "evidence", id, bundle, "--data", data, "--key-passphrase-file", pass); err != nil || !strings.Contains(out, "signed") {
		t.Fatalf("incident evidence: %v\n%s", err, out)
	}
	check := exec.Command("sha256sum", "-c", "--strict", "MANIFEST.sha256")
	check.Dir = bundle
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	}
	home := t.TempDir()
	k, err := pgp.LoadTeamKey(filepath.Join(data, pgp.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := k.ArmoredPublic()
	imp := exec.Command(gpg, "--homedir", home, "--batch", "--import")
	imp.Stdin = strings.NewReader(pub)
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("gpg --import: %v\n%s", err, out)
	}
	verify := exec.Command(gpg, "--homedir", home, "--batch", "--verify", "MANIFEST.sha256.asc", "MANIFEST.sha256")
	verify.Dir = bundle
	if out, err := verify.CombinedOutput(); err != nil || !strings.Contains(string(out), "Good signature") {
		t.Fatalf("gpg --verify: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "incident", "evidence", id, bundle, "--data", data); err == nil {
		t.Error("evidence was written into a folder that is not empty")
	}
}

// TestRetentionJobKeepsIncidentReports: serve's scheduled retention run
// leaves the reports an incident holds and disposes of the others.
func TestRetentionJobKeepsIncidentReports(t *testing.T) {
	data, held, loose := incidentData(t)
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var ids []int64
	for _, ref := range held {
		r, err := d.ReportByRef(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if _, err := d.CreateIncident(ctx, &db.NewIncident{OrgID: db.DefaultOrgID, Title: "Breach", Severity: "high", Reports: ids}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{})
	log := slog.New(slog.NewTextHandler(&signalWriter{match: "retention applied", ch: ran}, nil))
	jctx, cancel := context.WithCancel(ctx)
	bg := &workers{log: log}
	bg.Go(jctx, "retention", retentionJob(d, log, db.NewProblems(log), time.Hour))
	select {
	case <-ran:
	case <-time.After(30 * time.Second):
		t.Fatal("the retention job did not run in 30 s")
	}
	cancel()
	bg.Wait()
	for _, ref := range held {
		if r, err := d.ReportByRef(ctx, ref); err != nil || r.Title == db.AnonymisedTitle {
			t.Errorf("the retention job disposed of %s, which an incident holds: %v", ref, err)
		}
	}
	if _, err := d.ReportByRef(ctx, loose[0]); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("the spam report no incident holds is still there: %v", err)
	}
}
