package handlers_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp/pgptest"
)

// unzipTo writes a zip's files under dir, refusing a name that leaves it.
func unzipTo(t *testing.T, body []byte, dir string) []string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("the bundle is no zip: %v", err)
	}
	var names []string
	for _, f := range z.File {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			t.Fatalf("a bundle file leaves its folder: %q", f.Name)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name)
	}
	return names
}

// TestEvidenceBundleVerifies: the evidence export of an incident is a zip
// whose manifest `sha256sum -c` accepts and whose signature real GnuPG
// verifies with the team's public key; it holds the incident, both
// reports, the attachments and the raw mail; the export is audited.
func TestEvidenceBundleVerifies(t *testing.T) {
	gpg := pgptest.NeedGPG(t)
	sha, err := exec.LookPath("sha256sum")
	if err != nil {
		if os.Getenv("DISCLOSE_E2E") == "1" {
			t.Fatal("sha256sum is missing")
		}
		t.Skip("sha256sum is missing")
	}
	e := newIncidentEnv(t)
	path := e.escalate(t)
	e.triager.get(path)
	res := e.triager.post(path+"/evidence", url.Values{})
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	dir := t.TempDir()
	names := unzipTo(t, []byte(res.Body), dir)
	joined := strings.Join(names, "\n")
	for _, want := range []string{"incident.json", "reports/" + e.exploited.Ref() + "/report.json", "reports/" + e.mailed.Ref() + "/report.json",
		"/attachments/", "-poc_dump.txt", "reports/" + e.mailed.Ref() + "/mail/", "MANIFEST.sha256", "MANIFEST.sha256.asc"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the bundle has no %s:\n%s", want, joined)
		}
	}
	check := exec.Command(sha, "-c", "--strict", "MANIFEST.sha256")
	check.Dir = dir
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	}
	home := t.TempDir()
	pub, err := e.key.ArmoredPublic()
	if err != nil {
		t.Fatal(err)
	}
	gpgRun := func(stdin string, args ...string) (string, error) {
		cmd := exec.Command(gpg, append([]string{"--homedir", home, "--batch", "--no-tty"}, args...)...)
		cmd.Stdin, cmd.Dir = strings.NewReader(stdin), dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := gpgRun(pub, "--import"); err != nil {
		t.Fatalf("gpg --import: %v\n%s", err, out)
	}
	if out, err := gpgRun("", "--verify", "MANIFEST.sha256.asc", "MANIFEST.sha256"); err != nil || !strings.Contains(out, "Good signature") {
		t.Fatalf("gpg --verify: %v\n%s", err, out)
	}
	// A changed file fails the manifest: the check can fail.
	if err := os.WriteFile(filepath.Join(dir, "incident.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	recheck := exec.Command(sha, "-c", "--strict", "MANIFEST.sha256")
	recheck.Dir = dir
	if err := recheck.Run(); err == nil {
		t.Error("sha256sum -c accepts a changed incident.json")
	}
	id, _ := db.ParseIncidentRef(path[strings.LastIndexByte(path, '/')+1:])
	tl, err := e.env.DB.IncidentTimeline(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, ev := range tl {
		if ev.Kind == "evidence" {
			steps = append(steps, ev.Detail)
		}
	}
	if len(steps) != 2 || !strings.HasPrefix(steps[0], "export requested") || !strings.Contains(steps[1], "signed with the team key") {
		t.Errorf("the export's timeline and audit entries: %q", steps)
	}
}

// TestSealedIncident: in a sealed database the incident's title and
// checklist are stored sealed; with the key locked the page says so and
// evidence is refused (a bundle of placeholders is no evidence), with it
// unlocked the export works.
func TestSealedIncident(t *testing.T) {
	e := newIncidentEnv(t, true)
	path := e.escalate(t)
	b := e.triager
	v := pageVersion(t, b.get(path).Body)
	if p := b.post(path, url.Values{"version": {v}, "title": {"Checkout breach"}, "severity": {"critical"}, "personal_data": {"yes"},
		"scope": {"ZQXSCOPE every order since March"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", p.Status, p.Body)
	}
	var title, checklist string
	if err := e.env.DB.Update(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT title, checklist FROM incidents`).Scan(&title, &checklist)
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(title, "Checkout") || strings.Contains(checklist, "ZQXSCOPE") {
		t.Fatalf("the sealed incident is stored in plaintext: %q %q", title, checklist)
	}
	if !strings.Contains(b.get(path).Body, "ZQXSCOPE") {
		t.Fatal("the unlocked page does not show the checklist")
	}
	if res := b.post(path+"/evidence", url.Values{}); res.Status != http.StatusOK {
		t.Fatalf("export with the key unlocked: %d", res.Status)
	}
	e.key.Lock()
	pg := b.get(path)
	if strings.Contains(pg.Body, "ZQXSCOPE") || doc(t, pg.Body).Find(`[data-testid=sealed]`).Length() != 1 {
		t.Error("the locked page shows the checklist or does not say it is sealed")
	}
	if res := b.post(path+"/evidence", url.Values{}); res.Status != http.StatusConflict {
		t.Errorf("export with the key locked: %d, want 409", res.Status)
	}
}
