package mailin

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// folder makes a maildir folder (".Name") the Dovecot user can read.
func (d *dovecot) folder(t testing.TB, name string) {
	t.Helper()
	dir := filepath.Join(d.maildir, "."+name)
	for _, p := range []string{dir, filepath.Join(dir, "new"), filepath.Join(dir, "cur"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		os.Chown(p, d.uid, d.gid)
	}
}

// deliverTo delivers into a folder ("" is INBOX).
func (d *dovecot) deliverTo(t testing.TB, folder, raw string) {
	t.Helper()
	if folder == "" {
		d.deliver(t, raw)
		return
	}
	saved := d.maildir
	d.maildir = filepath.Join(saved, "."+folder)
	defer func() { d.maildir = saved }()
	d.deliver(t, raw)
}

// flagsOf lists the maildir flags of every message of a folder.
func (d *dovecot) flagsOf(t testing.TB, folder string) []string {
	t.Helper()
	dir := d.maildir
	if folder != "" {
		dir = filepath.Join(d.maildir, "."+folder)
	}
	var out []string
	for _, sub := range []string{"new", "cur"} {
		entries, _ := os.ReadDir(filepath.Join(dir, sub))
		for _, e := range entries {
			_, flags, _ := strings.Cut(e.Name(), ":2,")
			out = append(out, flags)
		}
	}
	return out
}

// TestConfiguredMailboxes runs the mailboxes of two organisations against a
// real Dovecot: a shared INBOX whose filter takes only the security mail
// (the rest stays in place, unseen), the client's folder whose mail becomes
// the client's reports, and a mailbox with a wrong password, which records
// its error while the others work.
func TestConfiguredMailboxes(t *testing.T) {
	dc := startDovecot(t)
	ctx := context.Background()
	d := mustOpenDB(t)
	client, err := d.CreateOrg(ctx, &db.NewOrg{Slug: "client", Name: "Client"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	cp := db.NewProgramDefaults()
	cp.Name, cp.Slug, cp.Prefix, cp.OrgID = "Client app", "client-app", "CLI", client.ID
	// The client's program has an address; mail naming it in the shared
	// (default) mailbox must still not land in the client.
	cp.Email = "security@client.example"
	if cp, err = d.SaveProgram(ctx, cp, nil, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	def, err := d.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dc.folder(t, "Client")
	add := func(org, program int64, mailbox, password, subject string) *db.Mailbox {
		t.Helper()
		m, err := d.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: org, ProgramID: program, Addr: dc.addr, TLS: TLSNone,
			User: "security", Name: mailbox, Processed: mailbox + "Done", SubjectContains: subject}, Password: password}, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	shared := add(db.DefaultOrgID, def.ID, "INBOX", "secret", "Security Concern")
	clientBox := add(client.ID, cp.ID, "Client", "secret", "")
	wrong := add(client.ID, cp.ID, "Elsewhere", "not the password", "")

	dc.deliver(t, mailText("ann@researcher.test", "Security Concern: XSS in search", "<s1@researcher.test>", "", "The q parameter.\n"))
	dc.deliver(t, mailText("cat@customer.test", "Lunch on Friday?", "<o1@customer.test>", "", "Pizza?\n"))
	dc.deliver(t, mailText("dan@researcher.test", "RE: security concern (IDOR)", "<s2@researcher.test>",
		"Cc: security@client.example", "Orders of others.\n"))
	dc.deliver(t, mailText("eve@customer.test", "Invoice 42", "<o2@customer.test>", "", "Attached.\n"))
	dc.deliverTo(t, "Client", mailText("fay@researcher.test", "SQL injection in the client app", "<c1@researcher.test>", "", "id=1'\n"))

	intakes, err := Configured(ctx, d, Config{Interval: time.Hour, MessageIDDomain: "portal.test", SpoolDir: t.TempDir(),
		Reach: db.WebhookReachLoopback},
		slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(intakes) != 3 {
		t.Fatalf("%d intakes, want 3", len(intakes))
	}
	stats, err := PollAll(ctx, intakes)
	if err == nil || !strings.Contains(err.Error(), "Elsewhere") {
		t.Errorf("PollAll error %v, want the wrong password's", err)
	}
	if stats[0] == nil || stats[0].Reports != 2 || stats[1] == nil || stats[1].Reports != 1 {
		t.Fatalf("stats %+v %+v, want 2 and 1 reports", stats[0], stats[1])
	}
	for ref, want := range map[string]int64{"SEC-1": def.ID, "SEC-2": def.ID, "CLI-1": cp.ID} {
		r, err := d.ReportByRef(ctx, ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if r.ProgramID != want {
			t.Errorf("%s in program %d, want %d", ref, r.ProgramID, want)
		}
	}
	if got := reportCount(t, d); got != 3 {
		t.Errorf("%d reports, want 3", got)
	}
	// The ordinary mail is where it was, not flagged seen (nor anything).
	flags := dc.flagsOf(t, "")
	if len(flags) != 2 {
		t.Fatalf("INBOX holds %d messages, want the 2 ordinary ones", len(flags))
	}
	for _, f := range flags {
		if f != "" {
			t.Errorf("an ordinary message got flags %q", f)
		}
	}
	if got := dc.files(t, "INBOXDone"); got != 2 {
		t.Errorf("%d messages moved to INBOXDone, want the 2 security ones", got)
	}
	if got := dc.files(t, "ClientDone"); got != 1 {
		t.Errorf("%d messages moved to ClientDone, want 1", got)
	}
	// Health per mailbox.
	boxes, err := d.Mailboxes(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	health := map[int64]*db.Mailbox{}
	for _, m := range boxes {
		health[m.ID] = m
	}
	for _, m := range []*db.Mailbox{shared, clientBox} {
		h := health[m.ID]
		if h.LastPollAt.IsZero() || h.LastOKAt.IsZero() || h.LastError != "" {
			t.Errorf("mailbox %s: %+v, want a good poll", m.Name, h)
		}
	}
	if health[shared.ID].Backlog != 2 {
		t.Errorf("backlog of the shared mailbox %d, want the 2 selected", health[shared.ID].Backlog)
	}
	if h := health[wrong.ID]; h.LastError == "" || !strings.Contains(h.LastError, "log in") || !h.LastOKAt.IsZero() {
		t.Errorf("the wrong password's mailbox: error %q, ok at %v", h.LastError, h.LastOKAt)
	}
	// Nothing is taken twice on the next poll; the ordinary mail stays.
	dc.deliverTo(t, "Client", mailText("gus@researcher.test", "Open redirect", "<c2@researcher.test>", "", "next=//evil\n"))
	if _, err := PollAll(ctx, intakes); err == nil {
		t.Error("the wrong password worked the second time")
	}
	if got := reportCount(t, d); got != 4 {
		t.Errorf("%d reports after the second poll, want 4", got)
	}
	if got := len(dc.flagsOf(t, "")); got != 2 {
		t.Errorf("INBOX holds %d messages, want 2", got)
	}
}
