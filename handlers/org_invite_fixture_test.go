package handlers_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// orgInvites counts the invitations the matrix makes, for fresh addresses.
var orgInvites atomic.Int64

// orgInvite invites a fresh address to o (as the operator) and returns the
// invitation's id and its link's token.
func (f *matrixFixture) orgInvite(t testing.TB, o *db.Organisation) (int64, string) {
	t.Helper()
	return mustInvite(t, f.env, o, fmt.Sprintf("invited%d@example.org", orgInvites.Add(1)), db.RoleViewer)
}

// mustInvite invites addr to o with role and returns the invitation's id and
// its token, which only the mail to addr carries.
func mustInvite(t testing.TB, p *portal, o *db.Organisation, addr string, role db.Role) (int64, string) {
	t.Helper()
	token, err := db.NewResetToken()
	if err != nil {
		t.Fatal(err)
	}
	mail, err := (&mailin.Notifier{BaseURL: p.Config.BaseURL, Domain: "portal.example.org"}).InviteMail(addr, o.Name, role, token, p.DB.Auth.InviteLifetime)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := p.DB.InviteMember(context.Background(), o.ID, &db.NewUser{Email: addr}, role, db.InviteLink{Token: token, Mail: mail}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	return inv.ID, token
}

// orgPrograms counts the programs the matrix makes for moves.
var orgPrograms atomic.Int64

// orgProgram makes a fresh program of o (a case that moves it takes it
// away).
func (f *matrixFixture) orgProgram(t testing.TB, o *db.Organisation) int64 {
	t.Helper()
	n := orgPrograms.Add(1)
	p := db.NewProgramDefaults()
	p.Name, p.Slug, p.Prefix, p.OrgID = fmt.Sprintf("Moved %d", n), fmt.Sprintf("moved-%d", n), fmt.Sprintf("MV%d", n), o.ID
	saved, err := f.env.DB.SaveProgram(context.Background(), p, nil, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	return saved.ID
}
