package db_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/pquerna/otp/totp"
)

// assertNotInFiles fails when any of the files (missing ones are skipped)
// holds any of the needles.
func assertNotInFiles(t *testing.T, files []string, needles map[string][]byte) {
	t.Helper()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		for name, n := range needles {
			if bytes.Contains(data, n) {
				t.Errorf("%s holds the %s", filepath.Base(f), name)
			}
		}
	}
}

// enrolTOTP turns the second factor on for a user and returns its secret.
func enrolTOTP(t *testing.T, d *db.DB, clk *clock, u *db.User) string {
	t.Helper()
	ctx := context.Background()
	enr, err := d.StartTOTP(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(enr.Secret, clk.Now())
	if _, err := d.ConfirmTOTP(ctx, u.ID, code, u.Actor("192.0.2.1")); err != nil {
		t.Fatal(err)
	}
	return enr.Secret
}

// signInWithTOTP signs in with the password and a code from secret.
func signInWithTOTP(d *db.DB, clk *clock, email, secret string) error {
	ctx := context.Background()
	res, err := d.Login(ctx, email, testPassword, "192.0.2.1")
	if err != nil {
		return err
	}
	if res.PendingToken == "" {
		return errors.New("no second factor asked for")
	}
	code, _ := totp.GenerateCode(secret, clk.Now())
	res, err = d.LoginSecondFactor(ctx, res.PendingToken, code, "192.0.2.1")
	if err != nil {
		return err
	}
	if res.Token == "" {
		return errors.New("no session")
	}
	return nil
}

// hookURL is a chat webhook URL whose path is a credential, as Slack's are.
var hookURL = "https://hooks.example.net/services/T0/B0/" + rand.Text()

// TestSecretsAtRest: the TOTP and webhook secrets the portal must read back
// are in neither the database file, its WAL, nor a backup; the portal still
// uses them.
func TestSecretsAtRest(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	clk := withClock(d)
	u := MustCreateUser(t, d, "alice@example.org", db.RoleAdmin)
	secret := enrolTOTP(t, d, clk, u)
	p, _ := d.DefaultProgram(ctx)
	hook, err := d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: p.ID, URL: hookURL, Format: db.WebhookGeneric, Enabled: true}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	hookRaw, err := hex.DecodeString(hook.Secret)
	if err != nil || len(hookRaw) != 32 {
		t.Fatalf("webhook secret %q: %v", hook.Secret, err)
	}
	mustSubmit(t, d, p.ID, "A report for the webhook")
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := d.Backup(ctx, backup, nil); err != nil {
		t.Fatal(err)
	}
	needles := map[string][]byte{"TOTP secret": []byte(secret), "webhook secret": []byte(hook.Secret), "webhook secret bytes": hookRaw,
		"webhook URL": []byte(hookURL[len("https://hooks.example.net"):])}
	assertNotInFiles(t, []string{d.Path, d.Path + "-wal", backup}, needles)

	t.Run("SignInWithTOTP", func(t *testing.T) {
		clk.Advance(60e9)
		if err := signInWithTOTP(d, clk, "alice@example.org", secret); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("WebhookSecretReadBack", func(t *testing.T) {
		hooks, err := d.Webhooks(ctx, p.ID)
		if err != nil || len(hooks) != 1 || hooks[0].Secret != hook.Secret || hooks[0].URL != hookURL {
			t.Fatalf("Webhooks = %v, %v", hooks, err)
		}
		dl, err := d.ClaimDelivery(ctx, 60e9)
		if err != nil || dl.Secret != hook.Secret || dl.URL != hookURL {
			t.Fatalf("claimed delivery: %v; secret and URL match: %t", err, err == nil && dl.Secret == hook.Secret && dl.URL == hookURL)
		}
	})
	t.Run("PendingEnrolmentSealed", func(t *testing.T) {
		bob := MustCreateUser(t, d, "bob@example.org", db.RoleTriager)
		enr, err := d.StartTOTP(ctx, bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		again, err := d.PendingTOTP(ctx, bob.ID)
		if err != nil || again.Secret != enr.Secret {
			t.Fatalf("PendingTOTP = %v, %v", again, err)
		}
		assertNotInFiles(t, []string{d.Path, d.Path + "-wal"}, map[string][]byte{"pending TOTP secret": []byte(enr.Secret)})
	})
}

// TestSecretsUpgrade: a database written before secrets were sealed (the
// values in clear, no local key yet, the signed-cookie key in the settings)
// is sealed at open, in place, and works as before.
func TestSecretsUpgrade(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "disclose.db")
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	clk := withClock(d)
	u := MustCreateUser(t, d, "alice@example.org", db.RoleAdmin)
	secret := enrolTOTP(t, d, clk, u)
	p, _ := d.DefaultProgram(ctx)
	hook, err := d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: p.ID, URL: hookURL, Format: db.WebhookGeneric, Enabled: true}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()

	// Make it an older database.
	cookieKey := bytes.Repeat([]byte{0xC0, 0x0C, 0x1E}, 11)
	raw := rawOpen(t, path)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE users SET totp_secret = ? WHERE id = ?`, []any{secret, u.ID}},
		{`UPDATE webhooks SET secret = ?, url = ? WHERE id = ?`, []any{hook.Secret, hookURL, hook.ID}},
		{`DELETE FROM settings WHERE key = 'localkey:check'`, nil},
		{`INSERT INTO settings (key, value) VALUES ('secret:status-cookie', ?)`, []any{cookieKey}},
		{`DROP TRIGGER IF EXISTS status_sessions_end`, nil},
		{`DROP TABLE IF EXISTS status_sessions`, nil},
		{`DELETE FROM migrations WHERE name LIKE '%0014_status_sessions.sql'`, nil},
	} {
		if _, err := raw.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	raw.Close()
	if err := os.Remove(filepath.Join(dir, db.LocalKeyFile)); err != nil {
		t.Fatal(err)
	}
	needles := map[string][]byte{"TOTP secret": []byte(secret), "webhook secret": []byte(hook.Secret), "webhook URL": []byte(hookURL), "status cookie key": cookieKey}
	if old, _ := os.ReadFile(path); !bytes.Contains(old, []byte(secret)) || !bytes.Contains(old, []byte(hook.Secret)) || !bytes.Contains(old, []byte(hookURL)) {
		t.Fatal("the older database does not hold its secrets in clear: the test sets up nothing")
	}

	d, err = db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { d.Close() }() // the d of the end: AuditedOnce opens it again
	d.Now = clk.Now
	assertNotInFiles(t, []string{path, path + "-wal"}, needles)
	t.Run("SignInWithTOTP", func(t *testing.T) {
		clk.Advance(60e9)
		if err := signInWithTOTP(d, clk, "alice@example.org", secret); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("WebhookSecretKept", func(t *testing.T) {
		w, err := d.WebhookByID(ctx, hook.ID)
		if err != nil || w.Secret != hook.Secret || w.URL != hookURL {
			t.Fatalf("WebhookByID: %v; the same secret and URL: %t", err, err == nil && w.Secret == hook.Secret && w.URL == hookURL)
		}
	})
	t.Run("AuditedOnce", func(t *testing.T) {
		d.Close()
		if d, err = db.Open(ctx, path); err != nil {
			t.Fatal(err)
		}
		d.Now = clk.Now
		if n := countRows(t, d, `SELECT COUNT(*) FROM audit WHERE action = 'secrets.seal'`); n != 1 {
			t.Errorf("%d secrets.seal audit rows, want 1", n)
		}
		assertNotInFiles(t, []string{path, path + "-wal"}, needles)
	})
	t.Run("ErrPlaintextWrittenLater", func(t *testing.T) {
		raw := rawOpen(t, path)
		if _, err := raw.Exec(`UPDATE webhooks SET secret = 'forged' WHERE id = ?`, hook.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(`UPDATE users SET totp_secret = 'JBSWY3DPEHPK3PXP' WHERE id = ?`, u.ID); err != nil {
			t.Fatal(err)
		}
		if err := d.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := d.WebhookByID(ctx, hook.ID); err == nil {
			t.Fatal("a webhook secret stored in clear was used")
		} else if !strings.Contains(err.Error(), "in clear") {
			t.Fatalf("refused for another reason: %v", err)
		}
		clk.Advance(60e9)
		if err := signInWithTOTP(d, clk, "alice@example.org", "JBSWY3DPEHPK3PXP"); err == nil {
			t.Fatal("a TOTP secret stored in clear was accepted")
		} else if !strings.Contains(err.Error(), "in clear") {
			t.Fatalf("refused for another reason: %v", err)
		}
	})
}
