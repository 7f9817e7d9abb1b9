package handlers_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/mailin/pgp"
	"github.com/gocsaf/csaf/v3/csaf"
)

// validJSON checks a document with one of BSI's validators.
func validJSON(t *testing.T, what string, body string, validate func(any) ([]string, error)) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, body)
	}
	msgs, err := validate(doc)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for _, m := range msgs {
		t.Errorf("%s: %s", what, m)
	}
	return doc
}

// TestCSAFProvider: the client's host is a CSAF provider of its published
// advisories: metadata, ROLIE feed and documents valid by BSI's schemas,
// hashes that match, a detached signature the team key's public part
// verifies; nothing of a scheduled advisory before its moment, and
// nothing of it on another organisation's host.
func TestCSAFProvider(t *testing.T) {
	key := newTeamKey(t)
	if err := key.Unlock([]byte(sealPassphrase)); err != nil {
		t.Fatal(err)
	}
	// A provider's URLs are https (the ROLIE schema says so): the portal
	// is behind a TLS proxy, and this test drafts through db (the https
	// portal's Secure cookies do not reach the test's plain-HTTP client).
	p := newOrgPortal(t, scheme("https"), configure(func(c *handlers.Config) { c.TeamKey = key }))
	ctx := t.Context()
	rc, err := p.DB.CreateReport(ctx, &db.NewReport{ProgramID: p.prog.ID, Source: db.SourceWeb, Title: "XSS", Description: "d",
		Reporter: db.Reporter{Name: "alice", Credit: db.CreditHandle}})
	if err != nil {
		t.Fatal(err)
	}
	moment := p.clock.Now().Add(time.Hour).Truncate(time.Second)
	in := advisoryIn()
	in.PublishAt, in.CVSS3, in.CWE, in.CVEs = moment, testCVSS3, "CWE-79", []string{"CVE-2026-1234"}
	a, err := p.DB.CreateAdvisory(ctx, p.client, []int64{rc.ReportID}, in, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.DB.SubmitAdvisory(ctx, a.ID, a.Version, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if _, err := p.DB.ApproveAdvisory(ctx, a.ID, 0, p.mustUser(t, "anna@client.example", db.RoleAdmin).Actor("")); err != nil {
		t.Fatal(err)
	}
	ident := a.Ident
	public := p.at(t, clientSite)
	path := "/.well-known/csaf/white/" + moment.Format("2006") + "/" + strings.ToLower(ident) + ".json"
	urls := []string{path, path + ".sha256", path + ".sha512", path + ".asc", "/advisories/" + ident + "/osv.json", "/advisories/" + ident + "/cve/CVE-2026-1234.json"}
	for _, u := range urls {
		if pg := public.get(u); pg.Status != http.StatusNotFound {
			t.Errorf("before the moment: %s is %d", u, pg.Status)
		}
	}
	for _, u := range []string{"/.well-known/csaf/white/index.txt", "/.well-known/csaf/white/changes.csv", "/.well-known/csaf/feed-tlp-white.json"} {
		if pg := public.get(u); strings.Contains(pg.Body, strings.ToLower(ident)) {
			t.Errorf("before the moment: %s lists it", u)
		}
	}
	p.clock.Advance(time.Hour)
	if _, err := p.DB.PublishDue(ctx); err != nil {
		t.Fatal(err)
	}

	meta := validJSON(t, "provider metadata", public.get("/.well-known/csaf/provider-metadata.json").Body, csaf.ValidateProviderMetadata)
	if meta["canonical_url"] != "https://"+clientSite+"/.well-known/csaf/provider-metadata.json" {
		t.Errorf("canonical_url = %v", meta["canonical_url"])
	}
	keys, _ := meta["public_openpgp_keys"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["fingerprint"] != key.Info().Fingerprint {
		t.Errorf("keys = %v", keys)
	}
	validJSON(t, "ROLIE feed", public.get("/.well-known/csaf/feed-tlp-white.json").Body, csaf.ValidateROLIE)
	doc := public.get(path)
	if doc.Status != http.StatusOK {
		t.Fatalf("document: %d", doc.Status)
	}
	validJSON(t, "CSAF", doc.Body, csaf.ValidateCSAF)
	if !strings.Contains(doc.Body, `"name": "alice"`) && !strings.Contains(doc.Body, `"alice"`) {
		t.Error("the reporter's credit is not acknowledged")
	}
	s256, s512 := sha256.Sum256([]byte(doc.Body)), sha512.Sum512([]byte(doc.Body))
	file := strings.ToLower(ident) + ".json"
	if got := public.get(path + ".sha256").Body; got != hex.EncodeToString(s256[:])+"  "+file+"\n" {
		t.Errorf(".sha256 = %q", got)
	}
	if got := public.get(path + ".sha512").Body; got != hex.EncodeToString(s512[:])+"  "+file+"\n" {
		t.Errorf(".sha512 = %q", got)
	}
	armored, err := key.ArmoredPublic()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := pgp.ParsePublicKey(armored, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sig := public.get(path + ".asc").Body
	if st, err := pgp.VerifyDetached([]byte(doc.Body), []byte(sig), []*pgp.PublicKey{pub}, time.Now()); st != pgp.Verified {
		t.Errorf("signature: %v %v", st, err)
	}
	if st, _ := pgp.VerifyDetached([]byte(doc.Body+" "), []byte(sig), []*pgp.PublicKey{pub}, time.Now()); st == pgp.Verified {
		t.Error("the signature verifies another text")
	}
	if got := public.get("/.well-known/csaf/white/index.txt").Body; got != moment.Format("2006")+"/"+file+"\n" {
		t.Errorf("index.txt = %q", got)
	}
	if got := public.get("/.well-known/csaf/white/changes.csv").Body; !strings.HasPrefix(got, `"`+moment.Format("2006")+"/"+file+`","`) {
		t.Errorf("changes.csv = %q", got)
	}
	// Wrong year, other organisation's host: not found.
	if pg := public.get("/.well-known/csaf/white/1999/" + file); pg.Status != http.StatusNotFound {
		t.Errorf("wrong year: %d", pg.Status)
	}
	for _, u := range urls {
		if pg := p.at(t, "reports.agency.example").get(u); pg.Status != http.StatusNotFound {
			t.Errorf("another organisation's host: %s is %d", u, pg.Status)
		}
	}
	// The public page links each format by name.
	page := public.get("/advisories/" + ident).Body
	if !strings.Contains(page, `href="`+path+`">CSAF</a>`) || !strings.Contains(page, `href="/advisories/`+ident+`/osv.json">OSV</a>`) {
		t.Error("the page does not link the CSAF document and the OSV record")
	}
	if osv := public.get("/advisories/" + ident + "/osv.json"); osv.Status != http.StatusOK || !strings.Contains(osv.Body, `"id": "x_`+ident+`"`) {
		t.Errorf("OSV: %d %s", osv.Status, osv.Body)
	}
	if rec := public.get("/advisories/" + ident + "/cve/CVE-2026-1234.json"); rec.Status != http.StatusOK {
		t.Errorf("CVE record: %d", rec.Status)
	} else {
		validCVERecord(t, rec.Body)
	}
}
