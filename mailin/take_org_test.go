package mailin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
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

// TestThreadStaysInOrganisation: a mail that names another organisation's
// report (its Message-ID copied from a list archive, or its subject tag)
// is added to that report only when it came through a mailbox that files
// into that organisation; otherwise it opens a report where it arrived.
// The environment's mailbox, the instance's address that every mail of the
// portal comes from, still threads into every organisation.
func TestThreadStaysInOrganisation(t *testing.T) {
	ctx := context.Background()
	d := mustOpenDB(t)
	def, err := d.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	program := func(slug, prefix string) *db.Program {
		o, err := d.CreateOrg(ctx, &db.NewOrg{Slug: slug, Name: slug}, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		p := db.NewProgramDefaults()
		p.Name, p.Slug, p.Prefix, p.OrgID = slug+" app", slug+"-app", prefix, o.ID
		if p, err = d.SaveProgram(ctx, p, nil, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		return p
	}
	boxed, bare := program("boxed", "BOX"), program("bare", "BAR")
	if _, err := d.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: boxed.OrgID, ProgramID: boxed.ID,
		Addr: "127.0.0.1:1", TLS: "none", User: "u"}, Password: "p"}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	n := 0
	mail := func(mailbox int64, inReplyTo string) *db.IngestResult {
		t.Helper()
		n++
		raw := fmt.Sprintf("From: r@reporter.example\r\nTo: security@example.org\r\nSubject: hello %d\r\nMessage-ID: <m%d@reporter.example>\r\n", n, n)
		if inReplyTo != "" {
			raw += "In-Reply-To: <" + inReplyTo + ">\r\n"
		}
		raw += "\r\nsome words " + strconv.Itoa(n) + "\r\n"
		m, err := Parse(strings.NewReader(raw), DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(raw))
		m.OpenRaw = func() io.Reader { return strings.NewReader(raw) }
		m.RawSize, m.RawSHA256 = int64(len(raw)), hex.EncodeToString(sum[:])
		r, err := IngestMail(ctx, d, m, IngestOptions{ProgramID: mailbox})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	inBoxed := mail(boxed.ID, "") // m1: a report of the organisation with a mailbox
	inBare := mail(bare.ID, "")   // m2: one of the organisation without (filed by its program, as a test can)
	inDefault := mail(def.ID, "") // m3: one of the default organisation
	for _, tc := range []struct {
		name      string
		mailbox   int64
		replyTo   string
		threadsTo *db.IngestResult // nil: opens a new report
	}{
		{"boxed's mailbox answering its own report", boxed.ID, "m1@reporter.example", inBoxed},
		{"boxed's mailbox answering the default organisation's report", boxed.ID, "m3@reporter.example", nil},
		{"default program's mailbox answering boxed's report", def.ID, "m1@reporter.example", nil},
		{"environment mailbox answering boxed's report", 0, "m1@reporter.example", inBoxed},
		{"environment mailbox answering bare's report", 0, "m2@reporter.example", inBare},
		{"environment mailbox answering the default organisation's report", 0, "m3@reporter.example", inDefault},
	} {
		got := mail(tc.mailbox, tc.replyTo)
		switch {
		case tc.threadsTo == nil && (got.ReportID == inBoxed.ReportID || got.ReportID == inBare.ReportID || got.ReportID == inDefault.ReportID):
			t.Errorf("%s: added to report %d, want a new report", tc.name, got.ReportID)
		case tc.threadsTo != nil && got.ReportID != tc.threadsTo.ReportID:
			t.Errorf("%s: report %d, want %d", tc.name, got.ReportID, tc.threadsTo.ReportID)
		}
	}
}
