package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
)

// dirUntouched fixes dir's modification time in the past and returns a
// check that nothing was created in or removed from it since: a file
// written and removed again changes the time too.
func dirUntouched(t *testing.T, dir string) func(what string) {
	t.Helper()
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(dir, old, old); err != nil {
		t.Fatal(err)
	}
	return func(what string) {
		t.Helper()
		st, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !st.ModTime().Equal(old) {
			t.Errorf("%s wrote beside the backup, in %s", what, dir)
		}
	}
}

// TestEncryptedBackupNoPlaintextBeside: --verify decrypted an encrypted
// backup into a directory beside it, and restore beside the data directory;
// when the backup sits on an off-site mount, that is plaintext leaving the
// host. Both now decrypt only into the data directory (a private temporary
// file, or the restored database itself), and leave no plaintext anywhere
// when they fail.
func TestEncryptedBackupNoPlaintextBeside(t *testing.T) {
	ctx := context.Background()
	const marker = "bilbyencryptedxq"
	data := t.TempDir()
	d, err := db.Open(ctx, filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := d.DefaultProgram(ctx)
	if _, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "Report " + marker, Description: marker}); err != nil {
		t.Fatal(err)
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
	env, _, _ := testEnv(nil)
	withPass, _, _ := testEnv(map[string]string{"DISCLOSE_KEY_PASSPHRASE_FILE": pass})

	// The off-site mount: it holds the backup and, for the restore, the
	// data directory to restore into (made empty beforehand).
	mount := t.TempDir()
	backup := filepath.Join(mount, "b.db.pgp")
	if err := run(ctx, env, []string{"backup", "--data", data, "--encrypt", backup}); err != nil {
		t.Fatal(err)
	}
	if buf, _ := os.ReadFile(backup); bytes.Contains(buf, []byte(marker)) || bytes.HasPrefix(buf, []byte("SQLite format 3")) {
		t.Fatal("the encrypted backup holds plaintext")
	}
	dataFiles := func() string {
		entries, _ := os.ReadDir(data)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return strings.Join(names, " ")
	}
	before := dataFiles()

	untouched := dirUntouched(t, mount)
	if err := run(ctx, withPass, []string{"backup", "--data", data, "--verify", backup}); err != nil {
		t.Fatalf("verify: %v", err)
	}
	untouched("backup --verify")
	if got := dataFiles(); got != before {
		t.Errorf("verify left files in the data directory: %q, before %q", got, before)
	}

	restored := filepath.Join(mount, "restored")
	if err := os.Mkdir(restored, 0o700); err != nil {
		t.Fatal(err)
	}
	untouched = dirUntouched(t, mount)
	restore := []string{"restore", "--data", restored, "--key", keyFile}
	if err := run(ctx, withPass, append(restore, backup)); err == nil || !strings.Contains(err.Error(), db.LocalKeyFile) {
		t.Fatalf("restore without the local key file: %v", err)
	}
	if entries, _ := os.ReadDir(restored); len(entries) != 0 {
		t.Fatalf("a refused restore left %s in the data directory", entries[0].Name())
	}
	if err := run(ctx, withPass, append(restore, "--local-key", filepath.Join(data, db.LocalKeyFile), backup)); err != nil {
		t.Fatalf("restore: %v", err)
	}
	untouched("restore")
	r, err := db.Open(ctx, filepath.Join(restored, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n, _ := r.CountReports(ctx); n != 1 {
		t.Errorf("restored %d reports, want 1", n)
	}
}
