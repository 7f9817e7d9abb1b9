package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
)

// encryptedMail is a PGP/MIME mail to the team key of data whose text
// carries marker.
func encryptedMail(t *testing.T, data, marker, id string) string {
	t.Helper()
	key, err := pgp.LoadTeamKey(filepath.Join(data, pgp.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	ct, _, err := key.EncryptTo([]byte("Content-Type: text/plain\r\n\r\n"+marker+" in /search.\r\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return "From: r@researcher.test\r\nTo: security@example.org\r\nSubject: bug\r\nMessage-ID: <" + id + "@researcher.test>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\n\r\n" + strings.ReplaceAll(ct, "\n", "\r\n") + "\r\n--b--\r\n"
}

// openUnlocked opens the database of data with its team key unlocked.
func openUnlocked(t *testing.T, data string) (*db.DB, *pgp.TeamKey) {
	t.Helper()
	key, err := pgp.LoadTeamKey(filepath.Join(data, pgp.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := key.Unlock([]byte(sealPathsPass)); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(context.Background(), filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	d.SetSealer(key, true)
	return d, key
}

func descriptionOf(t *testing.T, d *db.DB, ref string) string {
	t.Helper()
	r, err := d.ReportByRef(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return r.Description
}

// TestMailinDecryptsWithPassphrase: mailin given the team key's passphrase
// decrypts encrypted mail as it takes it, and first decrypts what an
// earlier run without the passphrase kept waiting; the text is sealed
// again, never stored in clear.
func TestMailinDecryptsWithPassphrase(t *testing.T) {
	data, passFile := newSealedData(t)
	box, addMail := mailbox(t)
	withPass := func() map[string]string {
		v := imapVars(box, data)
		v["DISCLOSE_KEY_PASSPHRASE_FILE"] = passFile
		return v
	}
	t.Run("AtOnce", func(t *testing.T) {
		addMail(encryptedMail(t, data, "qzmarkeratonce", "atonce"))
		e, out := envOf(withPass())
		if err := run(context.Background(), e, []string{"mailin", "--once"}); err != nil || !strings.Contains(out.String(), "1 new reports") {
			t.Fatalf("mailin --once: %v\n%s", err, out)
		}
		d, _ := openUnlocked(t, data)
		if got := descriptionOf(t, d, "SEC-1"); !strings.Contains(got, "qzmarkeratonce") {
			t.Fatalf("description = %q, want the decrypted text", got)
		}
	})
	t.Run("WaitingFromAnEarlierRun", func(t *testing.T) {
		addMail(encryptedMail(t, data, "qzmarkerlater", "later"))
		e, out := envOf(imapVars(box, data))
		if err := run(context.Background(), e, []string{"mailin", "--once"}); err != nil || !strings.Contains(out.String(), "1 new reports") {
			t.Fatalf("mailin --once without the passphrase: %v\n%s", err, out)
		}
		e, out = envOf(withPass())
		if err := run(context.Background(), e, []string{"mailin", "--once"}); err != nil || !strings.Contains(out.String(), "decrypted 1 mails kept while the team key was locked") {
			t.Fatalf("mailin --once with the passphrase: %v\n%s", err, out)
		}
		d, _ := openUnlocked(t, data)
		if got := descriptionOf(t, d, "SEC-2"); !strings.Contains(got, "qzmarkerlater") {
			t.Fatalf("description = %q, want the decrypted text", got)
		}
	})
	for _, m := range []string{"qzmarkeratonce", "qzmarkerlater"} {
		if dataHas(t, data, m) {
			t.Fatalf("%s is in the database file in clear", m)
		}
	}
}

// TestPendingFromAnotherProcess: serve runs with the key unlocked while
// mailin --once, another process without the passphrase, keeps an
// encrypted mail waiting; serve's short pass decrypts it, without a restart
// and without an unlock. The test drives the pass's clock.
func TestPendingFromAnotherProcess(t *testing.T) {
	data, _ := newSealedData(t)
	const marker = "qzmarkerotherprocess"
	box, _ := mailbox(t, encryptedMail(t, data, marker, "other"))
	d, key := openUnlocked(t, data)
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctl := newTeamKeyControl(key, d, db.NewProblems(discard), discard)
	tick := make(chan time.Time)
	passes := make(chan int, 4)
	ctl.tick = tick
	ctl.passed = func(n int, err error) {
		if err != nil {
			t.Error(err)
		}
		passes <- n
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ctl.run(ctx) }()
	defer func() { stop(); <-done }()
	pass := func() int {
		t.Helper()
		select {
		case n := <-passes:
			return n
		case <-time.After(20 * time.Second):
			t.Fatal("no pending pass within 20s")
			return 0
		}
	}
	if n := pass(); n != 0 { // the pass at start, the key being unlocked
		t.Fatalf("the pass at start decrypted %d", n)
	}

	e, out := envOf(imapVars(box, data))
	if err := run(context.Background(), e, []string{"mailin", "--once"}); err != nil || !strings.Contains(out.String(), "1 new reports") {
		t.Fatalf("mailin --once: %v\n%s", err, out)
	}
	if got := descriptionOf(t, d, "SEC-1"); strings.Contains(got, marker) {
		t.Fatal("mailin without the passphrase decrypted the mail: the check below could not fail")
	}
	tick <- time.Now()
	if n := pass(); n != 1 {
		t.Fatalf("the short pass decrypted %d mails, want 1", n)
	}
	if got := descriptionOf(t, d, "SEC-1"); !strings.Contains(got, marker) {
		t.Fatalf("description after the pass = %q", got)
	}
	tick <- time.Now()
	if n := pass(); n != 0 {
		t.Fatalf("the next short pass decrypted %d, want nothing left", n)
	}
	if dataHas(t, data, marker) {
		t.Fatal("the decrypted text is in the database file in clear")
	}
}
