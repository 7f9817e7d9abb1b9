package mailin

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
)

// TestMailStoppedReading: a mail that takes the process down while it is
// read (here the child kills itself with SIGKILL in the middle of parsing
// it, as the out-of-memory killer would) is found: the first stop marks its
// batch, which is then read one marked message at a time, and each further
// stop counts as a failed attempt of that mail. After MaxAttempts it is set
// aside, raw, with the reason, without being read again; the mails around
// it are taken as usual. Before the marks, each restart fetched and read it
// again: a crash loop from one mail.
func TestMailStoppedReading(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the intake in child processes")
	}
	ctx := context.Background()
	dir := t.TempDir()
	keyPath := teamKeyFile(t, dir)
	srv := startMemIMAP(t, nil)
	srv.deliver(t, "INBOX", mailText("ann@researcher.test", "First", "<first@researcher.test>", "", "first\n"))
	// Signed, so that its parse asks for the sender's keys: the child dies there.
	srv.deliver(t, "INBOX", mailText("bob@researcher.test", "Killer", "<killer@researcher.test>", "",
		"this one stops the portal\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nx\n-----BEGIN PGP SIGNATURE-----\n\nwsA\n-----END PGP SIGNATURE-----\n"))
	srv.deliver(t, "INBOX", mailText("cid@researcher.test", "Third", "<third@researcher.test>", "", "third\n"))
	cfg := bombChild{Addr: srv.addr, Dir: dir, Key: keyPath, KillFrom: "bob@researcher.test"}
	const attempts = 3 // Config.MaxAttempts by default
	kills := 0
	for run := 1; run <= attempts+3; run++ {
		res := runBombChild(t, cfg)
		if res.Killed {
			kills++
			continue
		}
		if res.Err != "" {
			t.Fatalf("run %d: %s", run, res.Err)
		}
	}
	t.Logf("%d runs stopped by the mail, before it was set aside", kills)
	// One stop finds the batch, then each stop is an attempt of the mail.
	if kills != attempts+1 {
		t.Errorf("the process was stopped %d times by the mail, want %d (then it is set aside unread)", kills, attempts+1)
	}
	if n := srv.count(t, "INBOX"); n != 0 {
		t.Errorf("%d messages left in INBOX", n)
	}
	d, err := db.Open(ctx, filepath.Join(dir, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, ref := range []string{"SEC-1", "SEC-2"} {
		if r, err := d.ReportByRef(ctx, ref); err != nil || r.Title == "Killer" {
			t.Errorf("%s: %+v, %v", ref, r, err)
		}
	}
	kept, err := d.KeptMail(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != 1 || kept[0].Kind != db.MailSetAside || kept[0].Subject != "" && kept[0].Subject != "Killer" ||
		!strings.Contains(kept[0].Note, db.MailStopped) || kept[0].Attempts != attempts {
		t.Fatalf("kept mail = %+v, want the killer set aside after %d attempts, saying %q", kept, attempts, db.MailStopped)
	}
	var raw strings.Builder
	if err := d.WriteRawMail(ctx, kept[0].ID, &raw); err != nil || !strings.Contains(raw.String(), "this one stops the portal") {
		t.Errorf("raw mail kept: %v %q", err, raw.String())
	}
}

// TestPendingStoppedReading: the same for a mail kept encrypted while the
// team key was locked: the pass that decrypts it after the unlock counts
// each beginning, so a mail that stops the process there is marked failed
// on its entry, with the reason, after a few passes, instead of stopping
// the portal at every unlock and start.
func TestPendingStoppedReading(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the intake in child processes")
	}
	ctx := context.Background()
	dir := t.TempDir()
	keyPath := teamKeyFile(t, dir)
	team, err := pgp.LoadTeamKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	ct, _, err := team.EncryptTo([]byte(crlfString(innerMIME)), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := startMemIMAP(t, nil)
	srv.deliver(t, "INBOX", pgpMIME(head("Encrypted", "enc-stop", ""), ct))
	cfg := bombChild{Addr: srv.addr, Dir: dir, Key: keyPath, Pending: true, KillFrom: "reporter@example.org"}
	kills := 0
	for run := 1; run <= maxPendingReads+2; run++ {
		res := runBombChild(t, cfg)
		if res.Killed {
			kills++
			continue
		}
		if res.Err != "" && !strings.Contains(res.Err, "0 entries done") {
			t.Fatalf("run %d: %s", run, res.Err)
		}
	}
	t.Logf("%d passes stopped by the mail, before it was marked failed", kills)
	if kills != maxPendingReads {
		t.Errorf("the process was stopped %d times by the mail, want %d", kills, maxPendingReads)
	}
	d, err := db.Open(ctx, filepath.Join(dir, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	m := entry(t, d, "SEC-1")
	if m.PGPState != db.PGPFailed || !strings.Contains(m.PGPNote, db.MailStopped) || !strings.Contains(m.Body, "not tried again") {
		t.Errorf("entry: state %q note %q body %q", m.PGPState, m.PGPNote, m.Body)
	}
}

// teamKeyFile saves a new team key (locked with teamPass) in dir.
func teamKeyFile(t *testing.T, dir string) string {
	t.Helper()
	team, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte(teamPass), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, pgp.KeyFile)
	if err := team.Save(path); err != nil {
		t.Fatal(err)
	}
	return path
}
