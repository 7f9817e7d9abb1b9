package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
)

// TestEncryptedBackup: a backup made with --encrypt holds no report text and
// is no SQLite file; --verify and restore open it with the team key and its
// passphrase, and the restored portal has every report and its key.
func TestEncryptedBackup(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	d, err := db.Open(ctx, filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := d.DefaultProgram(ctx)
	for i := 0; i < 3; i++ {
		if _, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "marker-b4ck0p title", Description: "marker-b4ck0p text"}); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()
	k, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte("correct horse battery"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(data, pgp.KeyFile)
	if err := k.Save(keyFile); err != nil {
		t.Fatal(err)
	}
	pass := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(pass, []byte("correct horse battery\n"), 0o600)
	backup := filepath.Join(t.TempDir(), "b.db.pgp")

	env, _, _ := testEnv(nil)
	if err := run(ctx, env, []string{"backup", "--data", data, "--encrypt", backup}); err != nil {
		t.Fatal(err)
	}
	buf, _ := os.ReadFile(backup)
	if strings.Contains(string(buf), "marker-b4ck0p") || strings.HasPrefix(string(buf), "SQLite format 3") {
		t.Fatal("the encrypted backup holds plaintext")
	}
	withPass, _, _ := testEnv(map[string]string{"DISCLOSE_KEY_PASSPHRASE_FILE": pass})
	if err := run(ctx, withPass, []string{"backup", "--data", data, "--verify", backup}); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := run(ctx, env, []string{"backup", "--data", data, "--verify", backup}); err == nil {
		t.Fatal("an encrypted backup verified without the passphrase")
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if err := run(ctx, withPass, []string{"restore", "--data", restored, "--key", keyFile, "--local-key", filepath.Join(data, db.LocalKeyFile), backup}); err != nil {
		t.Fatalf("restore: %v", err)
	}
	r, err := db.Open(ctx, filepath.Join(restored, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n, _ := r.CountReports(ctx); n != 3 {
		t.Fatalf("restored %d reports, want 3", n)
	}
	if _, err := os.Stat(filepath.Join(restored, pgp.KeyFile)); err != nil {
		t.Fatal("the team key was not restored with the data")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(restored), ".disclose-restore-*")); len(leftovers) != 0 {
		t.Fatalf("decrypted copies left behind: %v", leftovers)
	}

	// The local key lost as well: the encrypted backup still restores,
	// without its secrets, and its plaintext stays beside the data.
	forgot := filepath.Join(t.TempDir(), "forgot")
	if err := run(ctx, withPass, []string{"restore", "--data", forgot, "--key", keyFile, "--forget-secrets", backup}); err != nil {
		t.Fatalf("restore --forget-secrets of an encrypted backup: %v", err)
	}
	f, err := db.Open(ctx, filepath.Join(forgot, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n, _ := f.CountReports(ctx); n != 3 {
		t.Fatalf("restored %d reports without the local key, want 3", n)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(forgot), ".disclose-restore-*")); len(leftovers) != 0 {
		t.Fatalf("decrypted copies left behind: %v", leftovers)
	}
	if entries, _ := os.ReadDir(filepath.Dir(backup)); len(entries) != 1 {
		t.Fatalf("restore wrote beside the backup: %v", entries)
	}
}
