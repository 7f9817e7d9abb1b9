package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// oneTimeLinkRE finds any one-time link a page could show: setup, reset or
// invitation.
var oneTimeLinkRE = regexp.MustCompile(`/(setup|invites)/[A-Za-z0-9_-]{20,}`)

// TestOrgAdminSeesNoAccountLink: an organisation's admin who adds an
// address is never shown the one-time link of the account it gets (before,
// the page showed /setup/<token>: the admin could choose the password of
// any address, e.g. a rival tenant's CISO, and keep the account until the
// operator added that address to the rival). Neither the answer, nor the
// organisation's page, nor a second add of the same address shows one; the
// admin has no way to sign in as the address.
func TestOrgAdminSeesNoAccountLink(t *testing.T) {
	p := newOrgPortal(t)
	attacker := p.orgAdmin(t, "boss@client.example", p.client)
	for i := 0; i < 2; i++ {
		pg := attacker.post("/orgs/client/members", url.Values{"email": {"ciso@rival.example"}, "role": {"viewer"}})
		if l := oneTimeLinkRE.FindString(pg.Body); l != "" || pg.Status >= 400 {
			t.Fatalf("add %d: the org admin was shown a one-time link %q (status %d)", i+1, l, pg.Status)
		}
		if pg.Location != "" {
			pg = attacker.follow(pg)
		}
		if l := oneTimeLinkRE.FindString(pg.Body); l != "" {
			t.Fatalf("add %d: the organisation's page shows a one-time link %q", i+1, l)
		}
	}
	if pg := p.browser(t).login("ciso@rival.example", "attacker-chosen-pass-123"); pg.Status == http.StatusSeeOther {
		t.Fatal("the address's account signs in with a password its owner never chose")
	}
}

// inviteLinks are the paths of the invitation links mailed to addr, newest
// first; the outbox is the only place they are.
func inviteLinks(t *testing.T, p *portal, addr string) []string {
	t.Helper()
	return mailedLinks(t, p, db.InviteMailKind, addr, `/invites/[A-Za-z0-9_-]{43}`)
}

// mailedLinks are the paths matching re in the outbox mails of kind to
// addr, newest first.
func mailedLinks(t *testing.T, p *portal, kind, addr, re string) []string {
	t.Helper()
	all, err := p.DB.Mails(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range all {
		if m.Kind == kind && strings.EqualFold(m.To, addr) {
			full, err := p.DB.MailByID(context.Background(), m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if l := regexp.MustCompile(re).FindString(full.Body); l != "" {
				out = append(out, l)
			}
		}
	}
	return out
}

// TestAccountSquatClosed is the attack of the review end to end, on the
// fixed portal: a client's admin adds a rival tenant's address; the
// operator later gives that address a role in the rival. The admin never
// holds a link; the operator's add of an existing account needs
// --trust-existing (else it invites); and an account someone else set up
// before the fix (its password known to the squatter) joins the rival only
// by its owner's link, which the squatter, signed in as the account, does
// not have.
func TestAccountSquatClosed(t *testing.T) {
	p := newOrgPortal(t)
	ctx := context.Background()
	rival, err := p.DB.CreateOrg(ctx, &db.NewOrg{Slug: "rival", Name: "Rival"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	attacker := p.orgAdmin(t, "boss@client.example", p.client)
	if pg := attacker.post("/orgs/client/members", url.Values{"email": {"ciso@rival.example"}, "role": {"viewer"}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("invite: %d", pg.Status)
	}
	ciso, err := p.DB.UserByEmail(ctx, "ciso@rival.example")
	if err != nil {
		t.Fatal(err)
	}
	if len(ciso.Orgs) != 0 || ciso.HasPassword {
		t.Fatalf("before accepting, the invitee is a member (%v) or has a password (%v)", ciso.Orgs, ciso.HasPassword)
	}
	// The operator's add without --trust-existing changes nothing.
	if _, _, err := p.DB.AddOrgMember(ctx, rival.ID, &db.NewUser{Email: "ciso@rival.example"}, db.RoleAdmin, false, db.ActorSystem); db.ErrorCode(err) != db.ECONFLICT {
		t.Fatalf("operator's add of an existing account: %v, want ECONFLICT", err)
	}
	// A squat from before the fix: the account has a password the client's
	// admin chose. The rival invites it; the squatter, signed in, cannot
	// accept without the mailed link.
	squat := p.mustUser(t, "cto@rival.example", db.RoleViewer)
	if err := p.DB.SetOrgMember(ctx, p.client.ID, squat.ID, db.RoleViewer, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	rivalAdmin := p.orgAdmin(t, "admin@rival.example", rival)
	if pg := rivalAdmin.post("/orgs/rival/members", url.Values{"email": {"cto@rival.example"}, "role": {"admin"}}); pg.Status != http.StatusSeeOther {
		t.Fatalf("rival invites: %d", pg.Status)
	}
	squatter := p.browser(t)
	squatter.mustLogin("cto@rival.example")
	if pg := squatter.get("/orgs/rival"); pg.Status != http.StatusNotFound {
		t.Fatalf("the squatter reaches the rival before accepting: %d", pg.Status)
	}
	if pg := squatter.post("/invites/"+strings.Repeat("A", 43)+"/accept", nil); pg.Status != http.StatusNotFound {
		t.Errorf("accepting a guessed link: %d, want 404", pg.Status)
	}
	links := inviteLinks(t, p.portal, "cto@rival.example")
	if len(links) != 1 {
		t.Fatalf("invitation mails to the address: %d, want 1", len(links))
	}
	// Another account (the client's admin) holding the owner's link cannot
	// use it either: the link is the invitee's, for the invitee's session.
	if pg := attacker.post(links[0]+"/accept", nil); pg.Status != http.StatusNotFound {
		t.Errorf("another account accepting the link: %d, want 404", pg.Status)
	}
	if u, _ := p.DB.UserByEmail(ctx, "boss@client.example"); len(u.Orgs) != 1 {
		t.Errorf("the client's admin joined the rival: %v", u.Orgs)
	}
	// The owner of the address, signed in as the account (after a reset
	// that ends the squatter's sessions, in real life), accepts.
	if pg := squatter.post(links[0]+"/accept", nil); pg.Status != http.StatusOK {
		t.Fatalf("the invitee accepting: %d", pg.Status)
	}
	if u, _ := p.DB.UserByEmail(ctx, "cto@rival.example"); !hasOrgRole(u, rival.ID, db.RoleAdmin) {
		t.Errorf("after accepting: %v", u.Orgs)
	}
	if pg := squatter.post(links[0]+"/accept", nil); pg.Status != http.StatusNotFound {
		t.Errorf("a used link: %d, want 404", pg.Status)
	}
}

func hasOrgRole(u *db.User, orgID int64, role db.Role) bool {
	for _, m := range u.Orgs {
		if m.OrgID == orgID && m.Role == role {
			return true
		}
	}
	return false
}

// TestInviteExistingAccount: the owner of an account opens the mailed
// link, is asked to sign in as that account, comes back to it and
// accepts; another signed-in account is told the link is not its own; a
// link can be declined without signing in.
func TestInviteExistingAccount(t *testing.T) {
	p := newOrgPortal(t)
	ctx := context.Background()
	p.mustUser(t, "dev@agency.example", db.RoleViewer)
	_, tok := mustInvite(t, p.portal, p.client, "dev@agency.example", db.RoleTriager)
	link := "/invites/" + tok
	b := p.browser(t)
	pg := b.get(link)
	if pg.Status != http.StatusOK || !strings.Contains(pg.Body, `data-testid="invite-sign-in"`) || strings.Contains(pg.Body, "invite-setup-form") {
		t.Fatalf("the link, signed out: %d", pg.Status)
	}
	b.get("/login?next=" + url.QueryEscape(link))
	if pg := b.post("/login", url.Values{"email": {"dev@agency.example"}, "password": {testPassword}, "next": {link}}); pg.Status != http.StatusSeeOther || pg.Location != link {
		t.Fatalf("sign-in back to the link: %d %q", pg.Status, pg.Location)
	}
	if pg := b.get(link); !strings.Contains(pg.Body, `data-testid="invite-accept"`) {
		t.Fatalf("the link, signed in as the invitee: %d", pg.Status)
	}
	other := p.orgAdmin(t, "boss@client.example", p.client)
	if pg := other.get(link); !strings.Contains(pg.Body, `data-testid="invite-other-account"`) || strings.Contains(pg.Body, `data-testid="invite-accept"`) {
		t.Errorf("the link, signed in as another account: %d", pg.Status)
	}
	if pg := b.post(link+"/accept", nil); pg.Status != http.StatusOK || !strings.Contains(pg.Body, "You are now triager of Client") {
		t.Fatalf("accepting: %d", pg.Status)
	}
	if u, _ := p.DB.UserByEmail(ctx, "dev@agency.example"); !hasOrgRole(u, p.client.ID, db.RoleTriager) {
		t.Errorf("memberships after accepting: %v", u.Orgs)
	}
	_, tok2 := mustInvite(t, p.portal, p.agency, "dev@agency.example", db.RoleViewer)
	anon := p.browser(t)
	anon.get("/invites/" + tok2)
	if pg := anon.post("/invites/"+tok2+"/decline", nil); pg.Status != http.StatusOK {
		t.Fatalf("declining: %d", pg.Status)
	}
	if pg := b.post("/invites/"+tok2+"/accept", nil); pg.Status != http.StatusNotFound {
		t.Errorf("accepting a declined invitation: %d, want 404", pg.Status)
	}
	if u, _ := p.DB.UserByEmail(ctx, "dev@agency.example"); hasOrgRole(u, p.agency.ID, db.RoleViewer) {
		t.Error("a declined invitation made a member")
	}
}

// TestInviteAnswerSameForAnyAddress: what an organisation's admin sees
// after inviting an address of another tenant's account is what they see
// for a fresh address: the same redirect, the same page (but the address),
// even when the typed case differs from the stored address.
func TestInviteAnswerSameForAnyAddress(t *testing.T) {
	p := newOrgPortal(t)
	p.mustUser(t, "ciso@rival.example", db.RoleViewer)
	boss := p.orgAdmin(t, "boss@client.example", p.client)
	answer := func(addr string) (page, string) {
		t.Helper()
		pg := boss.post("/orgs/client/members", url.Values{"email": {addr}, "role": {"viewer"}})
		body := boss.follow(pg).Body
		body = regexp.MustCompile(`name="csrf" value="[^"]*"`).ReplaceAllString(body, "")
		body = regexp.MustCompile(`/orgs/client/invites/\d+/`).ReplaceAllString(body, "")
		body = strings.ReplaceAll(strings.ReplaceAll(body, "ciso@rival.example", "ADDR"), "new@rival.example", "ADDR")
		return pg, body
	}
	existing, eb := answer("CISO@Rival.example")
	if _, err := p.DB.OrgInvites(context.Background(), p.client.ID); err != nil {
		t.Fatal(err)
	}
	// Withdraw it so that both pages list one invitation.
	invs, _ := p.DB.OrgInvites(context.Background(), p.client.ID)
	if err := p.DB.CancelInvite(context.Background(), p.client.ID, invs[0].ID, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	fresh, fb := answer("NEW@Rival.example")
	if existing.Status != fresh.Status || existing.Location != fresh.Location {
		t.Errorf("answers differ: %d %q vs %d %q", existing.Status, existing.Location, fresh.Status, fresh.Location)
	}
	if eb != fb {
		t.Errorf("the pages after inviting an existing and a fresh address differ")
	}
}
