package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
	"github.com/pquerna/otp/totp"
)

// secretsClock is the database clock of these tests: TOTP refuses a code of
// a time step used before, so a sign-in after the enrolment moves it on.
type secretsClock struct{ t time.Time }

func (c *secretsClock) Now() time.Time { return c.t }

// signedReceiver is a webhook receiver that checks each delivery's
// signature as a real one would.
type signedReceiver struct {
	mu       sync.Mutex
	secret   string
	verified []error
}

func (h *signedReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.verified = append(h.verified, mailin.VerifyWebhook(h.secret, r.Header, b, time.Now(), 5*time.Minute))
	w.WriteHeader(http.StatusOK)
}

// hookWorker sends webhook deliveries to loopback receivers.
func hookWorker(d *db.DB) *mailin.Webhooks {
	return &mailin.Webhooks{Store: d, Reach: db.WebhookReachLoopback, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Links: &mailin.Notifier{BaseURL: &url.URL{Scheme: "https", Host: "portal.example.org"}, Domain: "portal.example.org"}}
}

// secretsFixture is a data directory with a staff account using TOTP, a
// webhook to a loopback receiver and a report whose delivery is queued.
type secretsFixture struct {
	data, totpSecret string
	hook             *db.Webhook
	rcv              *signedReceiver
	clk              *secretsClock
}

func newSecretsFixture(t *testing.T) (*secretsFixture, *db.DB) {
	t.Helper()
	ctx := context.Background()
	f := &secretsFixture{data: t.TempDir(), rcv: &signedReceiver{}, clk: &secretsClock{t: time.Now().UTC()}}
	d, err := db.Open(ctx, filepath.Join(f.data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	d.Now = f.clk.Now
	d.Auth.Argon2 = db.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	u, err := d.CreateUser(ctx, &db.NewUser{Email: "alice@example.org", Role: db.RoleAdmin, Password: "correct horse battery staple"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	enr, err := d.StartTOTP(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(enr.Secret, f.clk.Now())
	if _, err := d.ConfirmTOTP(ctx, u.ID, code, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	f.totpSecret = enr.Secret
	srv := httptest.NewServer(f.rcv)
	t.Cleanup(srv.Close)
	p, _ := d.DefaultProgram(ctx)
	if f.hook, err = d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: p.ID, URL: srv.URL + "/services/T0/B0/" + rand.Text(), Format: db.WebhookGeneric, Enabled: true,
		Reach: db.WebhookReachLoopback}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	f.rcv.secret = f.hook.Secret
	if _, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "Webhook report", Description: "d"}); err != nil {
		t.Fatal(err)
	}
	return f, d
}

// signIn signs in with the password and, when asked, a code from secret.
func (f *secretsFixture) signIn(d *db.DB, secret string) (usedTOTP bool, err error) {
	ctx := context.Background()
	f.clk.t = f.clk.t.Add(time.Minute)
	res, err := d.Login(ctx, "alice@example.org", "correct horse battery staple", "192.0.2.7")
	if err != nil || res.PendingToken == "" {
		return false, err
	}
	code, _ := totp.GenerateCode(secret, f.clk.Now())
	_, err = d.LoginSecondFactor(ctx, res.PendingToken, code, "192.0.2.7")
	return true, err
}

// TestSecretsAtRestCommands: after enrolling TOTP and creating a webhook, the
// database file, its WAL and a `disclose backup` hold neither secret, and
// both still work: sign-in with TOTP, and a signed delivery the receiver
// verifies.
func TestSecretsAtRestCommands(t *testing.T) {
	ctx := context.Background()
	f, d := newSecretsFixture(t)
	backup := filepath.Join(t.TempDir(), "backup.db")
	if out, err := runCLI(t, "backup", "--data", f.data, backup); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	hookRaw, _ := hex.DecodeString(f.hook.Secret)
	needles := map[string][]byte{"TOTP secret": []byte(f.totpSecret), "webhook secret": []byte(f.hook.Secret), "webhook secret bytes": hookRaw,
		"webhook URL's credential path": []byte(f.hook.URL[strings.Index(f.hook.URL, "/services/"):])}
	dbPath := filepath.Join(f.data, "disclose.db")
	for _, file := range []string{dbPath, dbPath + "-wal", backup} {
		data, err := os.ReadFile(file)
		if errors.Is(err, os.ErrNotExist) && file != backup {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		for name, n := range needles {
			if bytes.Contains(data, n) {
				t.Errorf("%s holds the %s", filepath.Base(file), name)
			}
		}
	}
	t.Run("SignInWithTOTP", func(t *testing.T) {
		if used, err := f.signIn(d, f.totpSecret); err != nil || !used {
			t.Fatalf("sign-in with TOTP: asked for a code %t, %v", used, err)
		}
	})
	t.Run("SignedWebhookDelivery", func(t *testing.T) {
		if n, err := hookWorker(d).SendDue(ctx); err != nil || n != 1 {
			t.Fatalf("sent %d, %v", n, err)
		}
		if len(f.rcv.verified) != 1 || f.rcv.verified[0] != nil {
			t.Fatalf("receiver's verification: %v", f.rcv.verified)
		}
	})
}

// TestSecretsReset: an operator who lost local.key is told at start what to
// do, and `disclose secrets reset` gets the portal going again without the
// secrets only that key opened: TOTP off for everyone, new webhook secrets,
// all of it in the audit log.
func TestSecretsReset(t *testing.T) {
	ctx := context.Background()
	f, d := newSecretsFixture(t)
	d.Close()
	keyPath := filepath.Join(f.data, db.LocalKeyFile)
	serve := func() error {
		_, err := runCLI(t, "serve", "--data", f.data, "--addr", "127.0.0.1:0")
		return err
	}
	t.Run("ErrWrongKeyNamesTheWayOut", func(t *testing.T) {
		good, _ := os.ReadFile(keyPath)
		other := make([]byte, 32)
		rand.Read(other)
		os.WriteFile(keyPath, []byte(hex.EncodeToString(other)+"\n"), 0o600)
		defer os.WriteFile(keyPath, good, 0o600)
		if err := serve(); err == nil || exitCode(err) != exitConfig || !strings.Contains(err.Error(), "disclose secrets reset") {
			t.Fatalf("serve with another key file: %v (exit %d)", err, exitCode(err))
		}
		out, err := runCLI(t, "secrets", "reset", "--data", f.data)
		if err == nil || exitCode(err) != exitConfig || !strings.Contains(err.Error(), "move it aside") {
			t.Fatalf("reset over another key file: %v\n%s", err, out)
		}
	})
	t.Run("ErrNothingToForget", func(t *testing.T) {
		if _, err := runCLI(t, "secrets", "reset", "--data", f.data); err == nil || !strings.Contains(err.Error(), "nothing to forget") {
			t.Fatalf("reset with the right key in place: %v", err)
		}
	})
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrMissingKeyNamesTheWayOut", func(t *testing.T) {
		err := serve()
		if err == nil || exitCode(err) != exitConfig || !strings.Contains(err.Error(), "disclose secrets reset") {
			t.Fatalf("serve without the key file: %v (exit %d)", err, exitCode(err))
		}
	})
	out, err := runCLI(t, "secrets", "reset", "--data", f.data)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"alice@example.org", "webhook 1 of program", "enter the URL again", keyPath} {
		if !strings.Contains(out, want) {
			t.Errorf("the reset does not tell %q:\n%s", want, out)
		}
	}
	d, err = db.Open(ctx, filepath.Join(f.data, "disclose.db"))
	if err != nil {
		t.Fatalf("open after the reset: %v", err)
	}
	defer d.Close()
	d.Now = f.clk.Now
	t.Run("TOTPOff", func(t *testing.T) {
		if used, err := f.signIn(d, f.totpSecret); err != nil || used {
			t.Fatalf("sign-in after the reset: asked for a code %t, %v", used, err)
		}
		if left, _ := d.RecoveryCodesLeft(ctx, 1); left != 0 {
			t.Fatalf("%d recovery codes left", left)
		}
	})
	t.Run("WebhookWaitsForItsURL", func(t *testing.T) {
		w, err := d.WebhookByID(ctx, f.hook.ID)
		if err != nil || len(w.Secret) != 64 || w.Secret == f.hook.Secret || w.URL != "" || w.Enabled {
			t.Fatalf("webhook after the reset: %+v, %v", w, err)
		}
		if ds, _ := d.Deliveries(ctx, f.hook.ID, 10); len(ds) != 1 || ds[0].Status != db.OutboxFailed || !strings.Contains(ds[0].LastError, "local key") {
			t.Fatalf("the queued delivery: %+v", ds)
		}
		// The admin enters the URL again and switches it on: it delivers,
		// signed with the new secret.
		if err := d.UpdateWebhook(ctx, w.ID, &db.NewWebhook{ProgramID: w.ProgramID, URL: f.hook.URL, Format: w.Format, Enabled: true,
			Reach: db.WebhookReachLoopback}, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		if _, err := d.CreateReport(ctx, &db.NewReport{ProgramID: w.ProgramID, Source: db.SourceWeb, Title: "After the reset", Description: "d"}); err != nil {
			t.Fatal(err)
		}
		f.rcv.mu.Lock()
		f.rcv.secret, f.rcv.verified = w.Secret, nil
		f.rcv.mu.Unlock()
		if n, err := hookWorker(d).SendDue(ctx); err != nil || n != 1 {
			t.Fatalf("sent %d, %v", n, err)
		}
		if len(f.rcv.verified) != 1 || f.rcv.verified[0] != nil {
			t.Fatalf("receiver's verification: %v", f.rcv.verified)
		}
	})
	t.Run("Audited", func(t *testing.T) {
		page, err := d.ListAudit(ctx, db.AuditFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range page.Entries {
			seen[e.Action+" "+e.Target] = true
		}
		for _, want := range []string{"secrets.reset ", "user.2fa_reset alice@example.org", "webhook.secret_reset webhook:1"} {
			if !seen[want] {
				t.Errorf("no audit row %q", want)
			}
		}
		if out, err := runCLI(t, "audit", "verify", "--data", f.data); err != nil {
			t.Fatalf("audit chain after the reset: %v\n%s", err, out)
		}
	})
}

// TestRestoreForgetSecrets: a backup restored without its local key file,
// which is lost: restore says how, and --forget-secrets does it.
func TestRestoreForgetSecrets(t *testing.T) {
	ctx := context.Background()
	f, d := newSecretsFixture(t)
	backup := filepath.Join(t.TempDir(), "backup.db")
	if out, err := runCLI(t, "backup", "--data", f.data, backup); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	d.Close()
	before, _ := os.ReadFile(backup)
	parent := t.TempDir()
	target := filepath.Join(parent, "restored")
	if _, err := runCLI(t, "restore", "--data", target, backup); err == nil || exitCode(err) != exitConfig || !strings.Contains(err.Error(), "--forget-secrets") {
		t.Fatalf("restore without the key: %v", err)
	}
	out, err := runCLI(t, "restore", "--data", target, "--forget-secrets", backup)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "alice@example.org") {
		t.Errorf("the restore does not name the accounts that lost two-factor:\n%s", out)
	}
	if after, _ := os.ReadFile(backup); !bytes.Equal(before, after) {
		t.Fatal("restore changed the backup file")
	}
	if left, _ := filepath.Glob(filepath.Join(parent, ".disclose-restore-*")); len(left) != 0 {
		t.Fatalf("private copies left behind: %v", left)
	}
	d, err = db.Open(ctx, filepath.Join(target, "disclose.db"))
	if err != nil {
		t.Fatalf("open the restored data: %v", err)
	}
	defer d.Close()
	d.Now = f.clk.Now
	if used, err := f.signIn(d, f.totpSecret); err != nil || used {
		t.Fatalf("sign-in after the restore: asked for a code %t, %v", used, err)
	}
	if w, err := d.WebhookByID(ctx, f.hook.ID); err != nil || w.Secret == f.hook.Secret {
		t.Fatalf("webhook after the restore: %v", err)
	}
	if _, err := d.ReportByRef(ctx, "SEC-1"); err != nil {
		t.Fatalf("the report after the restore: %v", err)
	}
}
