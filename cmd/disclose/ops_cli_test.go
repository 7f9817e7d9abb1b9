package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// runCLI runs a command in-process and returns what it printed.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	env := &environment{stdout: &out, stderr: &out, stdin: strings.NewReader(""), getenv: func(string) string { return "" }}
	err := run(context.Background(), env, args)
	return out.String(), err
}

func seedData(t *testing.T, n int) (string, []string) {
	t.Helper()
	data := t.TempDir()
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, _ := d.DefaultProgram(ctx)
	var refs []string
	for i := 0; i < n; i++ {
		rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "CLI report", Description: "d"})
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, rc.Ref)
	}
	return data, refs
}

func TestBackupRestoreCommands(t *testing.T) {
	data, refs := seedData(t, 3)
	file := filepath.Join(t.TempDir(), "disclose-backup.db")
	t.Run("Backup", func(t *testing.T) {
		out, err := runCLI(t, "backup", "--data", data, file)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !strings.Contains(out, "reports 3") {
			t.Fatalf("output: %s", out)
		}
	})
	t.Run("Verify", func(t *testing.T) {
		out, err := runCLI(t, "backup", "--verify", file)
		if err != nil || !strings.Contains(out, "integrity ok") {
			t.Fatalf("%v\n%s", err, out)
		}
	})
	t.Run("ErrVerifyNotABackup", func(t *testing.T) {
		junk := filepath.Join(t.TempDir(), "junk")
		os.WriteFile(junk, []byte("hello"), 0o600)
		if _, err := runCLI(t, "backup", "--verify", junk); err == nil {
			t.Fatal("a junk file verified")
		}
	})
	t.Run("ErrRestoreNotEmpty", func(t *testing.T) {
		_, err := runCLI(t, "restore", "--data", data, file)
		if err == nil || !strings.Contains(err.Error(), "not empty") || exitCode(err) != exitConfig {
			t.Fatalf("err=%v (exit %d), want a clear refusal", err, exitCode(err))
		}
	})
	t.Run("Restore", func(t *testing.T) {
		target := filepath.Join(t.TempDir(), "new-data")
		if _, err := runCLI(t, "restore", "--data", target, file); err == nil || !strings.Contains(err.Error(), db.LocalKeyFile) {
			t.Fatalf("restore without the local key: %v", err)
		}
		os.RemoveAll(target)
		out, err := runCLI(t, "restore", "--data", target, "--local-key", filepath.Join(data, db.LocalKeyFile), file)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		d, err := db.Open(context.Background(), filepath.Join(target, "disclose.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		for _, ref := range refs {
			if _, err := d.ReportByRef(context.Background(), ref); err != nil {
				t.Fatalf("%s after restore: %v", ref, err)
			}
		}
	})
}

func TestRetentionCommands(t *testing.T) {
	data, refs := seedData(t, 1)
	t.Run("Set", func(t *testing.T) {
		out, err := runCLI(t, "retention", "set", "--data", data, "--program", "default", "--anonymise-days", "365", "--spam-days", "30")
		if err != nil || !strings.Contains(out, "365 days") {
			t.Fatalf("%v\n%s", err, out)
		}
	})
	t.Run("ErrNegative", func(t *testing.T) {
		if _, err := runCLI(t, "retention", "set", "--data", data, "--spam-days", "-1"); err == nil {
			t.Fatal("negative days accepted")
		}
	})
	t.Run("Hold", func(t *testing.T) {
		out, err := runCLI(t, "retention", "hold", "--data", data, "--reason", "case 7", refs[0])
		if err != nil || !strings.Contains(out, "legal hold on") {
			t.Fatalf("%v\n%s", err, out)
		}
	})
	t.Run("PurgeDryRun", func(t *testing.T) {
		out, err := runCLI(t, "purge", "--data", data, "--dry-run")
		if err != nil || !strings.Contains(out, "0 due") {
			t.Fatalf("%v\n%s", err, out)
		}
	})
	t.Run("ErrNoDatabase", func(t *testing.T) {
		_, err := runCLI(t, "purge", "--data", filepath.Join(t.TempDir(), "typo"))
		if err == nil || !strings.Contains(err.Error(), "no database") {
			t.Fatalf("err=%v", err)
		}
	})
}
