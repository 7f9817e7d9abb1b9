package db_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
)

// orgFixture is a parent organisation (agency) with two children (client,
// sibling), one program each, and the default organisation's program.
type orgFixture struct {
	DB                         *db.DB
	Agency, Client, Sibling    *db.Organisation
	PDefault, PAgency, PClient *db.Program
	PSibling                   *db.Program
}

func newOrgFixture(t testing.TB) *orgFixture {
	t.Helper()
	ctx := context.Background()
	f := &orgFixture{DB: MustOpenDB(t)}
	var err error
	org := func(slug, parent string, hosts ...string) *db.Organisation {
		t.Helper()
		o, err := f.DB.CreateOrg(ctx, &db.NewOrg{Slug: slug, Name: slug, ParentSlug: parent, Hosts: hosts}, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	prog := func(o *db.Organisation, slug, prefix string) *db.Program {
		t.Helper()
		p := db.NewProgramDefaults()
		p.Name, p.Slug, p.Prefix, p.OrgID = slug, slug, prefix, o.ID
		if p, err = f.DB.SaveProgram(ctx, p, nil, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f.Agency = org("agency", "", "reports.agency.example")
	f.Client = org("client", "agency", "reports.client.example")
	f.Sibling = org("sibling", "agency")
	if f.PDefault, err = f.DB.DefaultProgram(ctx); err != nil {
		t.Fatal(err)
	}
	f.PAgency, f.PClient, f.PSibling = prog(f.Agency, "agency-web", "AGY"), prog(f.Client, "client-app", "CLI"), prog(f.Sibling, "sibling-app", "SIB")
	return f
}

// member makes a user with one organisation role and returns it as a
// session would load it.
func (f *orgFixture) member(t testing.TB, email string, o *db.Organisation, role db.Role) *db.User {
	t.Helper()
	ctx := context.Background()
	u, err := f.DB.CreateUser(ctx, &db.NewUser{Email: email, Role: db.RoleViewer}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.DB.SetOrgMember(ctx, o.ID, u.ID, role, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if u, err = f.DB.UserByID(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestOrgScoping(t *testing.T) {
	f := newOrgFixture(t)
	all := map[string]*db.Program{"default": f.PDefault, "agency": f.PAgency, "client": f.PClient, "sibling": f.PSibling}
	for _, tc := range []struct {
		org   *db.Organisation
		role  db.Role
		sees  []string
		write bool
	}{
		{f.Agency, db.RoleAdmin, []string{"agency", "client", "sibling"}, true},
		{f.Agency, db.RoleTriager, []string{"agency", "client", "sibling"}, true},
		{f.Agency, db.RoleViewer, []string{"agency", "client", "sibling"}, false},
		{f.Client, db.RoleAdmin, []string{"client"}, true},
		{f.Client, db.RoleTriager, []string{"client"}, true},
		{f.Client, db.RoleViewer, []string{"client"}, false},
	} {
		t.Run(tc.org.Slug+"/"+string(tc.role), func(t *testing.T) {
			u := f.member(t, tc.org.Slug+"-"+string(tc.role)+"@example.org", tc.org, tc.role)
			for name, p := range all {
				want := false
				for _, s := range tc.sees {
					want = want || s == name
				}
				if got := u.MemberOf(p.ID); got != want {
					t.Errorf("sees %s: %v, want %v", name, got, want)
				}
				if got := u.MayWrite(p.ID); got != (want && tc.write) {
					t.Errorf("writes %s: %v, want %v", name, got, want && tc.write)
				}
			}
			for _, o := range []*db.Organisation{f.Agency, f.Client, f.Sibling} {
				want := tc.role == db.RoleAdmin && (o.ID == tc.org.ID || o.ParentID == tc.org.ID)
				if got := u.Manages(o); got != want {
					t.Errorf("manages %s: %v, want %v", o.Slug, got, want)
				}
			}
		})
	}
}

func TestOrgOneLevel(t *testing.T) {
	f := newOrgFixture(t)
	_, err := f.DB.CreateOrg(context.Background(), &db.NewOrg{Slug: "grandchild", Name: "G", ParentSlug: "client"}, db.ActorSystem)
	if db.ErrorCode(err) != db.EINVALID || db.ErrorFields(err)["parent"] == "" {
		t.Fatalf("a child of a child: %v, want EINVALID on parent", err)
	}
	// The schema refuses it too, whoever writes.
	err = f.DB.Update(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE organisations SET parent_id = ? WHERE id = ?`, f.Sibling.ID, f.Client.ID)
		return err
	})
	if err == nil {
		t.Fatal("the schema let a child become the child of a child")
	}
	err = f.DB.Update(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE organisations SET parent_id = ? WHERE id = ?`, f.Client.ID, f.Agency.ID)
		return err
	})
	if err == nil {
		t.Fatal("the schema let a parent become a child")
	}
}

func TestOrgHosts(t *testing.T) {
	f := newOrgFixture(t)
	ctx := context.Background()
	for host, want := range map[string]string{
		"reports.client.example":       "client",
		"REPORTS.Client.Example.:8443": "client",
		"reports.agency.example":       "agency",
		"unknown.example":              "default",
		"":                             "default",
		"127.0.0.1:8080":               "default",
		"reports.client.example\x00x":  "default",
		"[::1]:80":                     "default",
	} {
		o, err := f.DB.OrgForHost(ctx, host)
		if err != nil {
			t.Fatal(err)
		}
		if o.Slug != want {
			t.Errorf("host %q serves %s, want %s", host, o.Slug, want)
		}
	}
	_, err := f.DB.CreateOrg(ctx, &db.NewOrg{Slug: "thief", Name: "T", Hosts: []string{"Reports.Client.Example"}}, db.ActorSystem)
	if db.ErrorCode(err) != db.EINVALID {
		t.Fatalf("a second organisation on a host: %v, want EINVALID", err)
	}
	if _, err := f.DB.OrgBySlug(ctx, "thief"); db.ErrorCode(err) != db.ENOTFOUND {
		t.Fatalf("the refused organisation was kept: %v", err)
	}
	// Prefixes stay unique across organisations.
	p := db.NewProgramDefaults()
	p.Name, p.Slug, p.Prefix, p.OrgID = "x", "x", "CLI", f.Sibling.ID
	if _, err := f.DB.SaveProgram(ctx, p, nil, db.ActorSystem); db.ErrorFields(err)["prefix"] == "" {
		t.Fatalf("a prefix of another organisation's program: %v, want refused", err)
	}
}

// TestOrgMigration: a database from before organisations migrates into the
// default organisation; nothing is lost and nobody sees more than before.
func TestOrgMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "disclose.db")
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Generate(ctx, d, demo.Options{Reports: 300, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	users, err := d.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := map[string][]int64{}
	for _, u := range users {
		before[u.Email] = u.ProgramIDs
	}
	counts := func(d *db.DB) string {
		var out string
		for _, table := range []string{"reports", "programs", "users", "messages", "attachments", "program_members", "audit"} {
			var n int
			if err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
				return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
			}); err != nil {
				t.Fatal(err)
			}
			out += fmt.Sprintf("%s=%d ", table, n)
		}
		return out
	}
	// Back to the schema before 0023.
	if err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		// The demo's mail is filed under organisations (outbox_orgs, 0036): unfiled, as before 0036.
		for _, q := range []string{`DELETE FROM outbox_orgs`, `DROP TABLE audit_orgs`, `DELETE FROM migrations WHERE name LIKE '%0033_%'`, `DROP TABLE mailboxes`, `DROP VIEW program_access`, `DROP TRIGGER programs_org_default`, `DROP TRIGGER programs_org_required`,
			`DROP INDEX programs_org`, `ALTER TABLE programs DROP COLUMN org_id`, `DROP TABLE org_members`, `DROP TABLE org_hosts`,
			`DROP TABLE organisations`, `DELETE FROM migrations WHERE name LIKE '%0023_%'`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	old := counts(d)
	d.Close()
	if d, err = db.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got := counts(d); got != old {
		t.Errorf("after the migration %s, before %s", got, old)
	}
	ps, err := d.Programs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.OrgID != db.DefaultOrgID {
			t.Errorf("program %s in organisation %d, want the default", p.Slug, p.OrgID)
		}
	}
	if users, err = d.Users(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if !reflect.DeepEqual(u.ProgramIDs, before[u.Email]) {
			t.Errorf("%s reaches %v, before %v", u.Email, u.ProgramIDs, before[u.Email])
		}
	}
}

// TestOrgMembersNotified: a new report is told to the members its program's
// organisation reaches (the client's and the parent's), not to another
// client's.
func TestOrgMembersNotified(t *testing.T) {
	ctx := context.Background()
	d, _ := mustOpenMailDB(t)
	f := &orgFixture{DB: d.DB}
	var err error
	if f.Agency, err = d.CreateOrg(ctx, &db.NewOrg{Slug: "agency", Name: "Agency"}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if f.Client, err = d.CreateOrg(ctx, &db.NewOrg{Slug: "client", Name: "Client", ParentSlug: "agency"}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	if f.Sibling, err = d.CreateOrg(ctx, &db.NewOrg{Slug: "sibling", Name: "Sibling", ParentSlug: "agency"}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	p := db.NewProgramDefaults()
	p.Name, p.Slug, p.Prefix, p.OrgID = "Shop", "shop", "SHOP", f.Client.ID
	if p, err = d.SaveProgram(ctx, p, nil, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	f.member(t, "client@example.org", f.Client, db.RoleTriager)
	f.member(t, "agency@example.org", f.Agency, db.RoleViewer)
	f.member(t, "sibling@example.org", f.Sibling, db.RoleAdmin)
	in := validReport(p.ID)
	in.Reporter.Email = ""
	if _, err := d.CreateReport(ctx, in); err != nil {
		t.Fatal(err)
	}
	mails, err := d.Mails(ctx, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	told := map[string]bool{}
	for _, m := range mails {
		told[m.To] = true
	}
	for to, want := range map[string]bool{"client@example.org": true, "agency@example.org": true, "sibling@example.org": false} {
		if told[to] != want {
			t.Errorf("%s told: %v, want %v", to, told[to], want)
		}
	}
}
