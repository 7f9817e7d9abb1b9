package main

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestAdvisoryEndToEnd runs the real binary: an advisory drafted and
// approved from the command line by two triagers for a moment a few
// seconds ahead; serve answers 404 for each public URL of it until its
// publisher publishes it (its log says so), then the page, feed, CSAF
// provider files (hashes match, gpg verifies the .asc with the exported
// team key) and OSV record appear; the anonymous reporter is named
// nowhere.
func TestAdvisoryEndToEnd(t *testing.T) {
	gpg, err := exec.LookPath("gpg")
	if err != nil {
		if os.Getenv("DISCLOSE_E2E") == "1" {
			t.Fatal("gpg is missing")
		}
		t.Skip("no gpg")
	}
	bin := buildBinary(t)
	data, passFile := newKeyedData(t)
	cli := func(args ...string) string {
		t.Helper()
		out, err := runCmd(t, append(args, "--data", data)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return out
	}
	cli("org", "add", "--slug", "client", "--name", "Client", "--host", "reports.client.example")
	cli("program", "add", "--org", "client", "--slug", "shop", "--name", "Shop", "--prefix", "SHOP")
	cli("user", "add", "--email", "tina@client.example", "--org", "client", "--role", "triager")
	cli("user", "add", "--email", "anna@client.example", "--org", "client", "--role", "triager")
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
		Reporter: db.Reporter{Name: "Secret Person", Email: "secret@example.net", Credit: db.CreditAnonymous}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := d.ReportByID(ctx, rc.ReportID)
	d.Close()

	moment := time.Now().Add(8 * time.Second).UTC().Truncate(time.Second)
	ident := strings.TrimSpace(cli("advisory", "add", "--report", r.Ref(), "--title", "Stored XSS in the shop", "--summary", "Script runs.",
		"--product", "Shop", "--affected", "< 2.4.1", "--fixed", "2.4.1", "--ecosystem", "npm", "--package", "client-shop",
		"--cve", "CVE-2026-1234", "--cvss", "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N",
		"--publish-at", moment.Format(time.RFC3339), "--author", "tina@client.example"))
	cli("advisory", "approve", ident, "--by", "anna@client.example")

	s := startServe(t, bin, "--data", data, "--addr", "127.0.0.1:0", "--key-passphrase-file", passFile)
	client := newHostClient(t, &server{URL: strings.TrimSuffix(s.url, "/")}, "reports.client.example")
	csafPath := "/.well-known/csaf/white/" + moment.Format("2006") + "/" + strings.ToLower(ident) + ".json"
	public := []string{"/advisories/" + ident, "/advisories/" + ident + "/osv.json", "/advisories/" + ident + "/cve/CVE-2026-1234.json",
		csafPath, csafPath + ".sha256", csafPath + ".sha512", csafPath + ".asc"}
	if time.Now().Before(moment) {
		for _, u := range public {
			if status, _ := client.get(u); status != http.StatusNotFound {
				t.Errorf("before the moment: %s is %d", u, status)
			}
		}
		for _, u := range []string{"/advisories", "/advisories.atom", "/.well-known/csaf/white/index.txt"} {
			if _, body := client.get(u); strings.Contains(body, ident) || strings.Contains(body, strings.ToLower(ident)) {
				t.Errorf("before the moment: %s lists it", u)
			}
		}
	} else {
		t.Log("serve started after the moment: the 404s before it are not checked this run")
	}
	s.waitLog(t, "advisories published")

	bodies := map[string]string{}
	for _, u := range append(public, "/advisories", "/advisories.atom", "/acknowledgements", "/.well-known/csaf/white/index.txt",
		"/.well-known/csaf/white/changes.csv", "/.well-known/csaf/feed-tlp-white.json", "/.well-known/csaf/provider-metadata.json") {
		status, body := client.get(u)
		if status != http.StatusOK {
			t.Fatalf("%s: %d", u, status)
		}
		if strings.Contains(body, "Secret Person") || strings.Contains(body, "secret@example.net") {
			t.Errorf("%s names the anonymous reporter", u)
		}
		bodies[u] = body
	}
	doc := bodies[csafPath]
	s256, s512 := sha256.Sum256([]byte(doc)), sha512.Sum512([]byte(doc))
	if !strings.HasPrefix(bodies[csafPath+".sha256"], hex.EncodeToString(s256[:])+" ") || !strings.HasPrefix(bodies[csafPath+".sha512"], hex.EncodeToString(s512[:])+" ") {
		t.Error("the hashes do not match the document")
	}
	page := bodies["/advisories/"+ident]
	for _, name := range []string{"CSAF", "OSV", "CVE JSON (CVE-2026-1234)"} {
		if !strings.Contains(page, ">"+name+"</a>") {
			t.Errorf("the page does not link %s", name)
		}
	}

	// gpg verifies the detached signature with the key the portal publishes.
	dir := t.TempDir()
	_, key := client.get("/pgp-key.asc")
	for name, body := range map[string]string{"key.asc": key, "doc.json": doc, "doc.json.asc": bodies[csafPath+".asc"]} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	home := filepath.Join(dir, "gnupg")
	os.Mkdir(home, 0o700)
	if out, err := exec.Command(gpg, "--homedir", home, "--batch", "--import", filepath.Join(dir, "key.asc")).CombinedOutput(); err != nil {
		t.Fatalf("gpg --import: %v\n%s", err, out)
	}
	if out, err := exec.Command(gpg, "--homedir", home, "--batch", "--verify", filepath.Join(dir, "doc.json.asc"), filepath.Join(dir, "doc.json")).CombinedOutput(); err != nil {
		t.Fatalf("gpg --verify: %v\n%s", err, out)
	}
	os.WriteFile(filepath.Join(dir, "doc.json"), []byte(doc+" "), 0o600)
	if err := exec.Command(gpg, "--homedir", home, "--batch", "--verify", filepath.Join(dir, "doc.json.asc"), filepath.Join(dir, "doc.json")).Run(); err == nil {
		t.Error("gpg verified a changed document")
	}
}
