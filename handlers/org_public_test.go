package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

// orgPortal is a portal with an agency (reports.agency.example) and its
// client (reports.client.example, its own contact and languages), one
// program each beside the default organisation's.
type orgPortal struct {
	*portal
	agency, client                *db.Organisation
	defaultProg, agencyProg, prog *db.Program
}

func newOrgPortal(t *testing.T, opts ...portalOption) *orgPortal {
	t.Helper()
	ctx := context.Background()
	opts = append(opts, configure(func(c *handlers.Config) {
		c.SecurityEmail, c.PreferredLanguages = "security@example.org", "en"
	}))
	p := &orgPortal{portal: newPortal(t, opts...)}
	var err error
	if p.agency, err = p.DB.CreateOrg(ctx, &db.NewOrg{Slug: "agency", Name: "Agency", Hosts: []string{"reports.agency.example"}}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if p.client, err = p.DB.CreateOrg(ctx, &db.NewOrg{Slug: "client", Name: "Client", ParentSlug: "agency", Hosts: []string{"reports.client.example"},
		ContactEmail: "security@client.example", PreferredLanguages: "de, en"}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	program := func(o *db.Organisation, name, slug, prefix string) *db.Program {
		pr := db.NewProgramDefaults()
		pr.Name, pr.Slug, pr.Prefix, pr.OrgID = name, slug, prefix, o.ID
		saved, err := p.DB.SaveProgram(ctx, pr, nil, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		return saved
	}
	p.agencyProg, p.prog = program(p.agency, "Agency web", "agency-web", "AGY"), program(p.client, "Client shop", "client-shop", "SHOP")
	if p.defaultProg, err = p.DB.DefaultProgram(ctx); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *orgPortal) at(t testing.TB, host string) *browser {
	b := p.browser(t)
	b.host = host
	return b
}

// TestSecurityTxtPerHost: each host name serves its organisation's
// security.txt; a host that maps to nothing, the default organisation's.
func TestSecurityTxtPerHost(t *testing.T) {
	p := newOrgPortal(t)
	for host, want := range map[string][]string{
		"reports.client.example": {"Contact: mailto:security@client.example\n", "Contact: http://reports.client.example/report\n",
			"Policy: http://reports.client.example/policy\n", "Preferred-Languages: de, en\n",
			"Canonical: http://reports.client.example/.well-known/security.txt\n"},
		"REPORTS.CLIENT.EXAMPLE.:443": {"Contact: mailto:security@client.example\n"},
		"reports.agency.example":      {"Contact: http://reports.agency.example/report\n", "Canonical: http://reports.agency.example/.well-known/security.txt\n"},
		"unmapped.example":            {"Contact: mailto:security@example.org\n", "Preferred-Languages: en\n"},
	} {
		pg := p.at(t, host).get("/.well-known/security.txt")
		if pg.Status != http.StatusOK {
			t.Fatalf("%s: %d", host, pg.Status)
		}
		for _, w := range want {
			if !strings.Contains(pg.Body, w) {
				t.Errorf("%s: security.txt lacks %q:\n%s", host, w, pg.Body)
			}
		}
	}
	agency := p.at(t, "reports.agency.example").get("/.well-known/security.txt").Body
	for _, leak := range []string{"security@example.org", "security@client.example", "Preferred-Languages"} {
		if strings.Contains(agency, leak) {
			t.Errorf("the agency's security.txt names %q:\n%s", leak, agency)
		}
	}
}

// TestReportLandsInHostOrg: the form of a host offers its organisation's
// programs only; a program of another organisation named in the form is
// refused like an unknown one, whatever the Host header says.
func TestReportLandsInHostOrg(t *testing.T) {
	p := newOrgPortal(t)
	ctx := context.Background()
	client := p.at(t, "reports.client.example")
	if body := client.get("/").Body; !strings.Contains(body, "security@client.example") || strings.Contains(body, "security@example.org") {
		t.Errorf("the client's landing page does not name the client's address only")
	}
	if body := client.get("/report").Body; !strings.Contains(body, `value="client-shop"`) || strings.Contains(body, `value="agency-web"`) ||
		strings.Contains(body, `value="`+p.defaultProg.Slug+`"`) {
		t.Errorf("the client's report form offers other programs")
	}
	if pg := client.get("/policy/" + p.defaultProg.Slug); pg.Status != http.StatusNotFound {
		t.Errorf("another organisation's policy on the client's host: %d, want 404", pg.Status)
	}
	ref, code := client.fileReport(map[string]string{"title": "XSS in the cart", "description": "The cart echoes the coupon."})
	if !strings.HasPrefix(ref, "SHOP-") {
		t.Fatalf("a report through the client's host is %s, want SHOP-n", ref)
	}
	// A form naming the default organisation's program, sent to the
	// client's host (or the agency's program): refused, nothing stored.
	for _, slug := range []string{p.defaultProg.Slug, p.agencyProg.Slug} {
		csrf, key := client.formToken()
		f := validFields(csrf, key)
		f["program"] = slug
		if pg := client.submit(f); pg.Status != http.StatusUnprocessableEntity {
			t.Errorf("program %s on the client's host: %d, want 422", slug, pg.Status)
		}
	}
	q, err := p.DB.Queue(ctx, db.QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if q.Total() != 1 {
		t.Errorf("%d reports stored, want the client's one", q.Total())
	}
	// The receipt code opens the report on its organisation's host only.
	other := p.at(t, "unmapped.example")
	other.get("/status")
	if pg := other.post("/status", url.Values{"code": {code}}); pg.Status != http.StatusUnauthorized {
		t.Errorf("the client's code on another host: %d, want 401 as a wrong code", pg.Status)
	}
	client.get("/status")
	if pg := client.post("/status", url.Values{"code": {code}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("the code on its own host: %d", pg.Status)
	}
	if body := client.get("/status").Body; !strings.Contains(body, ref) {
		t.Error("the status page does not show the report")
	}
}
