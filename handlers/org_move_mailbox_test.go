package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestMoveProgramWithMailbox: the site admin moves a program fed by a
// mailbox of its own; the mailbox goes with it: the old organisation's
// admin loses its page (404), the new one's has it, and the move is on
// both organisations' audit pages. A program whose mailbox shares its
// account with another program's is refused, naming the mailbox.
func TestMoveProgramWithMailbox(t *testing.T) {
	p := newOrgPortal(t)
	ctx := context.Background()
	other, err := p.DB.CreateOrg(ctx, &db.NewOrg{Slug: "other", Name: "Other"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	box, err := p.DB.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: p.client.ID, ProgramID: p.prog.ID, Addr: "imap.client.example:993",
		TLS: "tls", User: "shop@client.example", Name: "INBOX", Processed: "Processed"}, Password: "pw"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	page := "/mailboxes/" + itoa(box.ID)
	clientAdmin := p.orgAdmin(t, "admin@client.example", p.client)
	otherAdmin := p.orgAdmin(t, "admin@other.example", other)
	if pg := clientAdmin.get("/orgs/client" + page); pg.Status != http.StatusOK {
		t.Fatalf("the client's mailbox before the move: %d", pg.Status)
	}
	p.mustUser(t, "root@example.org", db.RoleAdmin)
	root := p.browser(t)
	root.mustLogin("root@example.org")
	if pg := root.post("/orgs/client/programs/"+itoa(p.prog.ID)+"/move", url.Values{"to": {"other"}}); pg.Status != http.StatusSeeOther || pg.Location != "/orgs/other?saved=1" {
		t.Fatalf("the move: %d %q %s", pg.Status, pg.Location, pg.Body)
	}
	if pg := clientAdmin.get("/orgs/client" + page); pg.Status != http.StatusNotFound {
		t.Errorf("the old organisation's admin on the moved mailbox: %d, want 404", pg.Status)
	}
	if pg := otherAdmin.get("/orgs/other" + page); pg.Status != http.StatusOK {
		t.Errorf("the new organisation's admin on the moved mailbox: %d, want 200", pg.Status)
	}
	if pg := otherAdmin.get("/orgs/other"); !strings.Contains(pg.Body, "shop@client.example") {
		t.Error("the new organisation's page does not list the moved mailbox")
	}
	for _, b := range []*browser{clientAdmin, otherAdmin} {
		if pg := b.get("/orgs/" + map[*browser]string{clientAdmin: "client", otherAdmin: "other"}[b] + "/audit?action=mailbox.move"); !strings.Contains(pg.Body, "mailbox "+itoa(box.ID)) {
			t.Errorf("the mailbox's move is not on an organisation's audit page: %s", pg.Body)
		}
	}
	// Another mailbox of the same account for another program: the
	// program's mailbox is shared now, and the move back is refused.
	p2 := db.NewProgramDefaults()
	p2.Name, p2.Slug, p2.Prefix, p2.OrgID = "Other web", "other-web", "OWEB", other.ID
	web, err := p.DB.SaveProgram(ctx, p2, nil, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DB.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: other.ID, ProgramID: web.ID, Addr: "imap.client.example:993",
		TLS: "tls", User: "shop@client.example", Name: "Web", Processed: "Processed"}, Password: "pw"}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	pg := root.post("/orgs/other/programs/"+itoa(p.prog.ID)+"/move", url.Values{"to": {"client"}})
	if pg.Status != http.StatusUnprocessableEntity || !strings.Contains(pg.Body, "#"+itoa(box.ID)+" shop@client.example") {
		t.Errorf("moving a program whose mailbox is shared: %d", pg.Status)
	}
	// The refusal is said once, above the programs: not again in the
	// mailbox form's "to" field, which it used to fill with the slug.
	if n := strings.Count(pg.Body, "shares its mail account"); n != 1 || strings.Contains(pg.Body, `name="to" value="client"`) {
		t.Errorf("the refusal is shown %d times, or fills the mailbox form's filter", n)
	}
}
