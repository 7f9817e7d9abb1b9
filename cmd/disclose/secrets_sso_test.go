package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestSecretsResetSSOAndMailboxes: secrets reset drops the client secret
// of each sign-in provider and the IMAP password of each intake mailbox
// (sealed with the lost key, they could never be opened again: the
// sign-in answered 502 and the mailbox failed with a decryption error),
// names each with the command that enters it again, and `disclose sso
// secret` does so.
func TestSecretsResetSSOAndMailboxes(t *testing.T) {
	ctx := context.Background()
	f, d := newSecretsFixture(t)
	p, err := d.CreateSSOProvider(ctx, &db.NewSSOProvider{Name: "Example IdP", Issuer: "https://idp.example.org", ClientID: "portal",
		ClientSecret: "the-old-client-secret", Domains: "example.org", RoleMode: db.SSOExisting}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.BeginSSOLogin(ctx, p.ID, "/triage", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	prog, _ := d.DefaultProgram(ctx)
	m, err := d.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: prog.OrgID, ProgramID: prog.ID,
		Addr: "imap.example.org:993", TLS: "tls", User: "security@example.org"}, Password: "imap-password"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if err := os.Remove(filepath.Join(f.data, db.LocalKeyFile)); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "secrets", "reset", "--data", f.data)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"sign-in provider 1 (Example IdP): disclose sso secret 1 --client-secret-file",
		"mailbox 1 of default (user security@example.org): disclose mailbox edit --id 1 --imap-password-file"} {
		if !strings.Contains(out, want) {
			t.Errorf("the reset does not tell %q:\n%s", want, out)
		}
	}
	d, err = db.Open(ctx, filepath.Join(f.data, "disclose.db"))
	if err != nil {
		t.Fatalf("open after the reset: %v", err)
	}
	if _, err := d.SSOClientSecret(ctx, p.ID); !errors.Is(err, db.ErrSSOSecretLost) {
		t.Fatalf("the provider's secret after the reset: %v, want ErrSSOSecretLost", err)
	}
	if ms, err := d.MailboxesForIntake(ctx); err != nil || len(ms) != 1 || ms[0].ID != m.ID || ms[0].Password != "" ||
		ms[0].OpenError == nil || !strings.Contains(ms[0].OpenError.Error(), "no password") {
		t.Fatalf("the mailbox after the reset: %+v, %v", ms, err)
	}
	page, err := d.ListAudit(ctx, db.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range page.Entries {
		seen[e.Action+" "+e.Target] = true
	}
	for _, want := range []string{"sso.secret_reset sso:1", "mailbox.password_reset mailbox 1"} {
		if !seen[want] {
			t.Errorf("no audit row %q", want)
		}
	}
	d.Close()

	secretFile := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secretFile, []byte("the-new-client-secret\n"), 0o600)
	if out, err := runCLI(t, "sso", "secret", "1", "--data", f.data, "--client-secret-file", secretFile); err != nil {
		t.Fatalf("sso secret: %v\n%s", err, out)
	}
	d, err = db.Open(ctx, filepath.Join(f.data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if s, err := d.SSOClientSecret(ctx, p.ID); err != nil || s != "the-new-client-secret" {
		t.Fatalf("the secret entered again: %q, %v", s, err)
	}
}
