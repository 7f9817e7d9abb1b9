package db_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

var inviteMailN atomic.Int64

// invite invites addr to org with role as actor and returns the token the
// mail carries.
func invite(ctx context.Context, d *db.DB, orgID int64, addr string, role db.Role) (string, *db.OrgInvite, error) {
	token, err := db.NewResetToken()
	if err != nil {
		return "", nil, err
	}
	m := &db.OutMail{MessageID: fmt.Sprintf("<invite%d@portal.example>", inviteMailN.Add(1)), To: addr, Subject: "Invitation",
		Body: "https://portal.example/invites/" + token}
	inv, err := d.InviteMember(ctx, orgID, &db.NewUser{Email: addr}, role, db.InviteLink{Token: token, Mail: m}, db.ActorSystem)
	return token, inv, err
}

// TestInviteMember: an invitation makes nobody a member until the invitee
// answers it; the answer does not depend on whether the address had an
// account; only the invitee's own session (or, for a new account, the
// password chosen through the link) accepts it.
func TestInviteMember(t *testing.T) {
	f := newOrgFixture(t)
	d, ctx := f.DB, context.Background()
	other, err := d.CreateUser(ctx, &db.NewUser{Email: "staff@sibling.example", Role: db.RoleViewer, Password: "correct horse battery staple"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetOrgMember(ctx, f.Sibling.ID, other.ID, db.RoleAdmin, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	newTok, newInv, err := invite(ctx, d, f.Client.ID, "fresh@client.example", db.RoleTriager)
	if err != nil {
		t.Fatal(err)
	}
	oldTok, oldInv, err := invite(ctx, d, f.Client.ID, "Staff@Sibling.example", db.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	// Same shape of answer for both: an invitation, nobody a member.
	if newInv.ID == 0 || oldInv.ID == 0 || oldInv.Email != "staff@sibling.example" {
		t.Fatalf("invitations: %+v %+v", newInv, oldInv)
	}
	members, err := d.OrgMembers(ctx, f.Client.ID)
	if err != nil || len(members) != 0 {
		t.Fatalf("members before anyone accepted: %d %v", len(members), err)
	}
	list, err := d.OrgInvites(ctx, f.Client.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("OrgInvites: %d %v", len(list), err)
	}
	mails := 0
	all, _ := d.Mails(ctx, "", 100)
	for _, m := range all {
		if m.Kind != db.InviteMailKind {
			continue
		}
		mails++
		// Its link is not kept once the mail is sent.
		if err := d.MailSent(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		if sent, err := d.MailByID(ctx, m.ID); err != nil || sent.Body != "" {
			t.Errorf("a sent invitation keeps its body (%v)", err)
		}
	}
	if mails != 2 {
		t.Errorf("invitation mails: %d, want 2", mails)
	}
	// The existing account: only its own session accepts.
	if _, err := d.AcceptInvite(ctx, oldTok, other.ID+1000, ""); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("another account accepting: %v", err)
	}
	if _, err := d.AcceptInviteNewAccount(ctx, oldTok, &db.Redeem{Password: "a brand new password", Password2: "a brand new password"}, ""); db.ErrorCode(err) != db.EINVALID {
		t.Errorf("choosing a password of an account that has one through an invitation: %v", err)
	}
	if _, err := d.AcceptInvite(ctx, oldTok, other.ID, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.AcceptInvite(ctx, oldTok, other.ID, ""); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("a used invitation: %v", err)
	}
	// The new account: its password through the link, then a member.
	if _, err := d.InviteByToken(ctx, newTok); err != nil {
		t.Fatal(err)
	}
	u, err := d.AcceptInviteNewAccount(ctx, newTok, &db.Redeem{Name: "Fresh", Password: "a brand new password", Password2: "a brand new password"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !u.HasPassword || u.Name != "Fresh" {
		t.Errorf("new account after accepting: %+v", u)
	}
	if _, err := d.Login(ctx, "fresh@client.example", "a brand new password", ""); err != nil {
		t.Errorf("signing in with the password chosen: %v", err)
	}
	members, _ = d.OrgMembers(ctx, f.Client.ID)
	if len(members) != 2 {
		t.Errorf("members after both accepted: %d", len(members))
	}
	// Inviting a member again is refused (the admin sees members anyway).
	if _, _, err := invite(ctx, d, f.Client.ID, "fresh@client.example", db.RoleViewer); db.ErrorFields(err)["email"] == "" {
		t.Errorf("inviting a member: %v", err)
	}
	// Decline, withdraw, expiry.
	decTok, _, err := invite(ctx, d, f.Agency.ID, "fresh@client.example", db.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.DeclineInvite(ctx, decTok, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := d.InviteByToken(ctx, decTok); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("a declined invitation: %v", err)
	}
	canTok, canInv, err := invite(ctx, d, f.Agency.ID, "fresh@client.example", db.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.CancelInvite(ctx, f.Client.ID, canInv.ID, db.ActorSystem); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("withdrawing another organisation's invitation: %v", err)
	}
	if err := d.CancelInvite(ctx, f.Agency.ID, canInv.ID, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if _, err := d.InviteByToken(ctx, canTok); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("a withdrawn invitation: %v", err)
	}
	expTok, _, err := invite(ctx, d, f.Agency.ID, "fresh@client.example", db.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	now := d.Now()
	d.Now = func() time.Time { return now.Add(d.Auth.InviteLifetime + time.Second) }
	if _, err := d.AcceptInvite(ctx, expTok, u.ID, ""); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("an expired invitation: %v", err)
	}
}

// TestAddOrgMemberExisting: the operator's direct add draws an existing
// account in only when told to trust it, and can say who created it.
func TestAddOrgMemberExisting(t *testing.T) {
	f := newOrgFixture(t)
	d, ctx := f.DB, context.Background()
	u, tok, err := d.AddOrgMember(ctx, f.Client.ID, &db.NewUser{Email: "new@client.example"}, db.RoleViewer, false, db.Actor{Name: "boss@client.example"})
	if err != nil || tok == "" {
		t.Fatalf("a new address: %v %q", err, tok)
	}
	if _, _, err := d.AddOrgMember(ctx, f.Sibling.ID, &db.NewUser{Email: "new@client.example"}, db.RoleAdmin, false, db.ActorSystem); db.ErrorCode(err) != db.ECONFLICT {
		t.Fatalf("an existing account without trust: %v, want ECONFLICT", err)
	}
	if got, _ := d.UserByEmail(ctx, "new@client.example"); len(got.Orgs) != 1 {
		t.Errorf("memberships after the refused add: %v", got.Orgs)
	}
	if _, tok, err := d.AddOrgMember(ctx, f.Sibling.ID, &db.NewUser{Email: "new@client.example"}, db.RoleAdmin, true, db.ActorSystem); err != nil || tok != "" {
		t.Fatalf("with trust: %v %q", err, tok)
	}
	at, by, err := d.AccountOrigin(ctx, "NEW@client.example")
	if err != nil || by != "boss@client.example" || at.IsZero() {
		t.Errorf("AccountOrigin: %v %q %v", at, by, err)
	}
	_ = u
}

// orgInvitePlanWork runs the invitation statements for TestQueryPlans.
func orgInvitePlanWork(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	o, err := d.CreateOrg(ctx, &db.NewOrg{Slug: "plan-org", Name: "Plan"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	tok, inv, err := invite(ctx, d, o.ID, "plan-invitee@example.org", db.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.OrgInvites(ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.AcceptInviteNewAccount(ctx, tok, &db.Redeem{Password: "a brand new password", Password2: "a brand new password"}, ""); err != nil {
		t.Fatal(err)
	}
	_ = inv
	tok2, _, err := invite(ctx, d, db.DefaultOrgID, "plan-invitee@example.org", db.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	u, err := d.UserByEmail(ctx, "plan-invitee@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.AcceptInvite(ctx, tok2, u.ID, ""); err != nil {
		t.Fatal(err)
	}
	tok3, inv3, err := invite(ctx, d, o.ID, "plan-other@example.org", db.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.DeclineInvite(ctx, tok3, ""); err != nil {
		t.Fatal(err)
	}
	_, inv4, err := invite(ctx, d, o.ID, "plan-other@example.org", db.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	_ = inv3
	if err := d.CancelInvite(ctx, o.ID, inv4.ID, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.AddOrgMember(ctx, o.ID, &db.NewUser{Email: "plan-other@example.org"}, db.RoleViewer, true, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.AccountOrigin(ctx, "plan-other@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PendingInvites(ctx); err != nil {
		t.Fatal(err)
	}
	pr := db.NewProgramDefaults()
	pr.Name, pr.Slug, pr.Prefix, pr.OrgID = "Plan moved", "plan-moved", "PLANMV", o.ID
	moved, err := d.SaveProgram(ctx, pr, nil, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.MoveProgram(ctx, moved.ID, "default", db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	tok4, _ := db.NewResetToken()
	nu, err := d.InviteUserByMail(ctx, &db.NewUser{Email: "plan-mailed@example.org", Role: db.RoleViewer}, db.ResetLink{Token: tok4, Mail: linkMail(tok4)}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	tok5, _ := db.NewResetToken()
	if err := d.MailResetLink(ctx, nu.ID, true, db.ResetLink{Token: tok5, Mail: linkMail(tok5)}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
}

// linkMail is a mail carrying token, as the mail gateway composes it.
func linkMail(token string) *db.OutMail {
	return &db.OutMail{MessageID: fmt.Sprintf("<link%d@portal.example>", inviteMailN.Add(1)), To: "x@example.org", Subject: "Link",
		Body: "https://portal.example/setup/" + token}
}

// TestAccountLinkByMail: a site admin's setup and reset links go to the
// address in the outbox (and not elsewhere), work, and their text is not
// kept once sent.
func TestAccountLinkByMail(t *testing.T) {
	d, ctx := MustOpenDB(t), context.Background()
	tok, _ := db.NewResetToken()
	u, err := d.InviteUserByMail(ctx, &db.NewUser{Email: "new@example.org", Role: db.RoleViewer}, db.ResetLink{Token: tok, Mail: linkMail(tok)}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if ti, err := d.TokenInfo(ctx, tok); err != nil || ti.Purpose != db.TokenSetup || ti.UserID != u.ID {
		t.Fatalf("the mailed setup link: %+v %v", ti, err)
	}
	if _, err := d.RedeemToken(ctx, tok, &db.Redeem{Password: "a brand new password", Password2: "a brand new password"}, ""); err != nil {
		t.Fatal(err)
	}
	u, _ = d.UserByID(ctx, u.ID)
	setup, _ := d.AccountLinkSetup(u)
	tok2, _ := db.NewResetToken()
	if err := d.MailResetLink(ctx, u.ID, !setup, db.ResetLink{Token: tok2, Mail: linkMail(tok2)}, db.ActorSystem); db.ErrorCode(err) != db.ECONFLICT {
		t.Errorf("a reset link composed as a setup link: %v", err)
	}
	if err := d.MailResetLink(ctx, u.ID, setup, db.ResetLink{Token: tok2, Mail: linkMail(tok2)}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if ti, err := d.TokenInfo(ctx, tok2); err != nil || ti.Purpose != db.TokenReset {
		t.Fatalf("the mailed reset link: %+v %v", ti, err)
	}
	all, _ := d.Mails(ctx, "", 10)
	n := 0
	for _, m := range all {
		if m.Kind != db.AccountLinkMailKind {
			continue
		}
		n++
		if m.To != "new@example.org" {
			t.Errorf("a link mailed to %q", m.To)
		}
		if err := d.MailSent(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		if sent, _ := d.MailByID(ctx, m.ID); sent.Body != "" {
			t.Error("a sent link mail keeps its body")
		}
	}
	if n != 2 {
		t.Errorf("link mails: %d, want 2", n)
	}
}
