package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
)

// TestSealedDatabaseCommands: a sealed database is sealed by every command
// that writes to it, with no DISCLOSE_SEAL given: mailin --once, serve (web
// form, status-page reply, mail intake), the operator commands; demo
// refuses; a command without the team key refuses. Each marker is then in
// neither the database file nor its WAL.
func TestSealedDatabaseCommands(t *testing.T) {
	data, _ := newSealedData(t)
	box, addMail := mailbox(t)

	t.Run("MailinOnce", func(t *testing.T) {
		const marker = "qzmarkermailinonce"
		addMail(markedMail(marker, "once"))
		e, out := envOf(imapVars(box, data))
		if err := run(context.Background(), e, []string{"mailin", "--once"}); err != nil {
			t.Fatalf("mailin --once: %v\n%s", err, out)
		}
		if !strings.Contains(out.String(), "1 new reports") {
			t.Fatalf("output: %s", out)
		}
		if dataHas(t, data, marker) {
			t.Fatal("mailin --once stored the mail in plaintext in a sealed database")
		}
	})
	t.Run("Serve", func(t *testing.T) {
		const web, mailed = "qzmarkerserveweb", "qzmarkerservemail"
		addMail(markedMail(mailed, "serve"))
		vars := imapVars(box, data)
		base, stop := serveInProcess(t, vars)
		submitAndReply(t, base, web)
		if !waitReports(t, data, 3) {
			t.Fatalf("the mailed report did not arrive:\n%s", stop())
		}
		if logs := stop(); !strings.Contains(logs, "sealed mode") {
			t.Errorf("serve did not say it seals:\n%s", logs)
		}
		for _, m := range []string{web, mailed} {
			if dataHas(t, data, m) {
				t.Fatalf("serve stored %s in plaintext in a sealed database", m)
			}
		}
	})
	t.Run("OperatorCommands", func(t *testing.T) {
		if out, err := runCLI(t, "user", "add", "--data", data, "--email", "ops@example.org", "--role", "admin"); err != nil {
			t.Fatalf("user add: %v\n%s", err, out)
		}
		if out, err := runCLI(t, "purge", "--data", data); err != nil {
			t.Fatalf("purge: %v\n%s", err, out)
		}
	})
	t.Run("ErrDemo", func(t *testing.T) {
		out, err := runCLI(t, "demo", "--data", data, "--reports", "3")
		if err == nil || !strings.Contains(err.Error(), "is sealed and demo writes in clear") {
			t.Fatalf("err = %v\n%s", err, out)
		}
	})
	t.Run("ErrNoKey", func(t *testing.T) {
		keyFile := filepath.Join(data, pgp.KeyFile)
		saved, err := os.ReadFile(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(keyFile)
		defer writeFile(keyFile, string(saved))
		const marker = "qzmarkernokey"
		addMail(markedMail(marker, "nokey"))
		e, out := envOf(imapVars(box, data))
		err = run(context.Background(), e, []string{"mailin", "--once"})
		if err == nil || !strings.Contains(err.Error(), "is sealed but there is no team key") {
			t.Fatalf("mailin without the key: err = %v\n%s", err, out)
		}
		if out, err := runCLI(t, "user", "add", "--data", data, "--email", "ops2@example.org", "--role", "admin"); err == nil {
			t.Fatalf("user add without the key succeeded:\n%s", out)
		}
		if dataHas(t, data, marker) {
			t.Fatal("the refused mail reached the database")
		}
	})
	if p := plainRowsOf(t, data); p.Total() != 0 {
		t.Fatalf("plaintext rows in the sealed database: %s", p)
	}
}

// TestSealedDatabaseRefusesPlaintext: a sealed database that holds
// plaintext rows (written by a process that ignored the sealing, as
// mailin --once did) is refused by serve and mailin with what to do;
// disclose seal converts them and serve starts. Sealing a database that
// holds plaintext is refused the same way.
func TestSealedDatabaseRefusesPlaintext(t *testing.T) {
	data, _ := seedData(t, 2)
	keyed, _ := newKeyedData(t)
	saved, err := os.ReadFile(filepath.Join(keyed, pgp.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(data, pgp.KeyFile), string(saved)); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrSealOverPlaintext", func(t *testing.T) {
		out, err := runCLI(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--seal")
		if err == nil || !strings.Contains(err.Error(), "DISCLOSE_SEAL (--seal) is on but the database holds plaintext rows (2 reports") ||
			!strings.Contains(err.Error(), "disclose seal --data") {
			t.Fatalf("err = %v\n%s", err, out)
		}
	})
	// What the mailin of old left: a database marked sealed with plaintext.
	raw, err := sql.Open("sqlite3", filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO settings (key, value) VALUES ('sealed', '1')`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	t.Run("ErrServe", func(t *testing.T) {
		out, err := runCLI(t, "serve", "--data", data, "--addr", "127.0.0.1:0")
		if err == nil || !strings.Contains(err.Error(), "the database is sealed but holds plaintext rows (2 reports") {
			t.Fatalf("err = %v\n%s", err, out)
		}
	})
	t.Run("ErrMailin", func(t *testing.T) {
		box, _ := mailbox(t)
		e, out := envOf(imapVars(box, data))
		if err := run(context.Background(), e, []string{"mailin", "--once"}); err == nil || !strings.Contains(err.Error(), "holds plaintext rows") {
			t.Fatalf("err = %v\n%s", err, out)
		}
	})
	t.Run("SealThenServe", func(t *testing.T) {
		if out, err := runCLI(t, "seal", "--data", data); err != nil {
			t.Fatalf("seal: %v\n%s", err, out)
		}
		_, stop := serveInProcess(t, map[string]string{"DISCLOSE_DATA": data})
		stop()
	})
}

// TestRestoreSealed: a restored sealed database stays sealed; restore says
// it needs its team key, and nothing writes to it before the key is there.
func TestRestoreSealed(t *testing.T) {
	data, _ := newSealedData(t)
	file := filepath.Join(t.TempDir(), "backup.db")
	if out, err := runCLI(t, "backup", "--data", data, file); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	out, err := runCLI(t, "restore", "--data", restored, "--local-key", filepath.Join(data, db.LocalKeyFile), file)
	if err != nil || !strings.Contains(out, "the database is sealed: copy its team key file") {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	const marker = "qzmarkerrestored"
	box, _ := mailbox(t, markedMail(marker, "restored"))
	e, mout := envOf(imapVars(box, restored))
	if err := run(context.Background(), e, []string{"mailin", "--once"}); err == nil {
		t.Fatalf("mailin into the restored sealed database without its key succeeded:\n%s", mout)
	}
	saved, err := os.ReadFile(filepath.Join(data, pgp.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(restored, pgp.KeyFile), string(saved)); err != nil {
		t.Fatal(err)
	}
	e, mout = envOf(imapVars(box, restored))
	if err := run(context.Background(), e, []string{"mailin", "--once"}); err != nil || !strings.Contains(mout.String(), "1 new reports") {
		t.Fatalf("mailin with the key: %v\n%s", err, mout)
	}
	if dataHas(t, restored, marker) {
		t.Fatal("mail stored in plaintext in the restored sealed database")
	}
}

// TestSecretsResetSealed: disclose secrets reset writes no report data, so
// it works on a sealed database without the team key.
func TestSecretsResetSealed(t *testing.T) {
	data, _ := newSealedData(t)
	if err := os.Remove(filepath.Join(data, db.LocalKeyFile)); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(t, "secrets", "reset", "--data", data); err != nil {
		t.Fatalf("secrets reset on a sealed database: %v\n%s", err, out)
	}
}
