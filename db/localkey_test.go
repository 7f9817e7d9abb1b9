package db_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

func TestLocalKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "disclose.db")
	keyPath := filepath.Join(dir, db.LocalKeyFile)

	t.Run("CreatedPrivateOnFirstOpen", func(t *testing.T) {
		d, err := db.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		st, err := os.Stat(keyPath)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := st.Mode().Perm(), os.FileMode(0o600); got != want {
			t.Fatalf("key file mode %v, want %v", got, want)
		}
	})

	t.Run("SealOpenBoundToPurpose", func(t *testing.T) {
		d, err := db.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		k := d.LocalKey()
		sealed, err := k.Seal("totp", []byte("JBSWY3DPEHPK3PXP"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(sealed, "JBSWY3DPEHPK3PXP") || !db.IsLocallySealed(sealed) {
			t.Fatalf("sealed value %q", sealed)
		}
		got, err := k.Open("totp", sealed)
		if err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
			t.Fatalf("Open = %q, %v", got, err)
		}
		if _, err := k.Open("webhook", sealed); err == nil {
			t.Fatal("a value sealed for one purpose opened for another")
		}
		if bytes.Equal(k.Hash("a", []byte("x")), k.Hash("b", []byte("x"))) {
			t.Fatal("hashes of two purposes are equal")
		}
		// The database holds no copy of the key.
		raw, _ := os.ReadFile(keyPath)
		dbFile, _ := os.ReadFile(path)
		if bytes.Contains(dbFile, bytes.TrimSpace(raw)) {
			t.Fatal("the database file holds the local key")
		}
	})

	t.Run("ErrMissingKeyFile", func(t *testing.T) {
		saved, err := os.ReadFile(keyPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(keyPath); err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(keyPath, saved, 0o600)
		_, err = db.Open(ctx, path)
		if err == nil || !strings.Contains(db.ErrorMessage(err), "is missing") {
			t.Fatalf("Open without the key file: %v", err)
		}
		if _, err := os.Stat(keyPath); err == nil {
			t.Fatal("a new key file was made for a database that had one")
		}
	})

	t.Run("ErrOtherKeyFile", func(t *testing.T) {
		saved, _ := os.ReadFile(keyPath)
		defer os.WriteFile(keyPath, saved, 0o600)
		if err := os.WriteFile(keyPath, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := db.Open(ctx, path)
		if err == nil || !strings.Contains(db.ErrorMessage(err), "not the one") {
			t.Fatalf("Open with another key file: %v", err)
		}
	})
}
