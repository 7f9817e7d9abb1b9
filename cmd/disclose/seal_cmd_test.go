package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/mailin/pgp"
)

// TestSealCommands: seal and unseal from the command line, and the two
// refusals at start (sealing without a key, sealing off for a sealed
// database).
func TestSealCommands(t *testing.T) {
	data, _ := seedData(t, 3)
	t.Run("ErrSealWithoutKey", func(t *testing.T) {
		out, err := runCLI(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--seal")
		if err == nil || !strings.Contains(err.Error(), "needs a team key") {
			t.Fatalf("err = %v\n%s", err, out)
		}
	})
	const pass = "cli seal passphrase"
	key, err := pgp.Generate(pgp.GenerateOptions{Name: "Team", Email: "security@example.org"}, []byte(pass), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := key.Save(filepath.Join(data, pgp.KeyFile)); err != nil {
		t.Fatal(err)
	}
	passFile := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(passFile, []byte(pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("Seal", func(t *testing.T) {
		out, err := runCLI(t, "seal", "--data", data)
		if err != nil || !strings.Contains(out, "sealed 3 of 3 reports") {
			t.Fatalf("%v\n%s", err, out)
		}
	})
	t.Run("ErrSealOffForSealedDatabase", func(t *testing.T) {
		out, err := runCLI(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--seal=false")
		if err == nil || !strings.Contains(err.Error(), "is sealed, and DISCLOSE_SEAL (--seal) cannot turn that off") {
			t.Fatalf("err = %v\n%s", err, out)
		}
	})
	t.Run("ErrUnsealWithoutPassphrase", func(t *testing.T) {
		if out, err := runCLI(t, "unseal", "--data", data); err == nil || !strings.Contains(err.Error(), "DISCLOSE_KEY_PASSPHRASE_FILE") {
			t.Fatalf("err = %v\n%s", err, out)
		}
	})
	t.Run("Unseal", func(t *testing.T) {
		out, err := runCLI(t, "unseal", "--data", data, "--key-passphrase-file", passFile)
		if err != nil || !strings.Contains(out, "unsealed 3 of 3 reports") {
			t.Fatalf("%v\n%s", err, out)
		}
	})
}
