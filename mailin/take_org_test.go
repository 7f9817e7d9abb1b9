package mailin

import (
	"context"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestProgramForKeepsOrganisation: a To header naming another
// organisation's program moves no report there, neither from a configured
// mailbox nor from the environment's, which is the default organisation's.
func TestProgramForKeepsOrganisation(t *testing.T) {
	ctx := context.Background()
	d := mustOpenDB(t)
	client, err := d.CreateOrg(ctx, &db.NewOrg{Slug: "client", Name: "Client"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	cp := db.NewProgramDefaults()
	cp.Name, cp.Slug, cp.Prefix, cp.OrgID, cp.Email = "Client app", "client-app", "CLI", client.ID, "security@client.example"
	if cp, err = d.SaveProgram(ctx, cp, nil, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	def, err := d.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		mailbox int64
		to      string
		want    int64
	}{
		{"environment mailbox, other organisation's address", 0, "security@client.example", def.ID},
		{"default organisation's mailbox, other organisation's address", def.ID, "security@client.example", def.ID},
		{"client's mailbox, its own address", cp.ID, "security@client.example", cp.ID},
		{"client's mailbox, unknown address", cp.ID, "nobody@example.org", cp.ID},
		{"environment mailbox, unknown address", 0, "nobody@example.org", def.ID},
	} {
		var got int64
		err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
			var err error
			got, err = programFor(ctx, tx, []string{tc.to}, tc.mailbox)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: program %d, want %d", tc.name, got, tc.want)
		}
	}
}
