package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/disclose/disclose/db"
)

// cancelOnWrite cancels a context at the first progress line written to it.
type cancelOnWrite struct {
	lockedBuffer
	once   sync.Once
	cancel context.CancelFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "%") {
		w.once.Do(w.cancel)
	}
	return w.lockedBuffer.Write(p)
}

// TestDemoFailureLeavesNoDatabase: a demo into a new data directory that
// fails midway (here interrupted after its first batch) leaves no database
// that serve would open, and says so; the next demo starts over.
func TestDemoFailureLeavesNoDatabase(t *testing.T) {
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelOnWrite{cancel: cancel}
	env := &environment{stdout: out, stderr: &lockedBuffer{}, stdin: strings.NewReader(""), getenv: func(string) string { return "" }}
	err := run(ctx, env, []string{"demo", "--data", data, "--reports", "12000"})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "half-made database was removed") {
		t.Fatalf("err=%v, want the interruption and that the half-made database was removed", err)
	}
	for _, name := range []string{"disclose.db", "disclose.db" + partialSuffix, "disclose.db-wal", "disclose.db" + partialSuffix + "-journal"} {
		if _, err := os.Stat(filepath.Join(data, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is there after the failed demo (%v)", name, err)
		}
	}

	// A partial database a killed demo left is replaced, never opened.
	if err := os.WriteFile(filepath.Join(data, "disclose.db"+partialSuffix), []byte("half a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runStdout(t, "demo", "--data", data, "--reports", "300"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(data, "disclose.db"+partialSuffix)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the partial database is still there (%v)", err)
	}
	d, err := db.Open(context.Background(), filepath.Join(data, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if bad, err := d.VerifyAudit(context.Background()); err != nil || bad != 0 {
		t.Fatalf("audit chain broken at %d (%v)", bad, err)
	}
	if err := d.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestDemoIntoExistingDatabase: demo into a data directory that has a
// database adds to it in place, with the portal's settings.
func TestDemoIntoExistingDatabase(t *testing.T) {
	data := t.TempDir()
	for range 2 {
		if _, err := runStdout(t, "demo", "--data", data, "--reports", "200"); err != nil {
			t.Fatal(err)
		}
	}
	out, err := runStdout(t, "export", "--data", data, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var reports []map[string]any
	if err := json.Unmarshal([]byte(out), &reports); err != nil {
		t.Fatal(err)
	}
	if len(reports) != 400 {
		t.Fatalf("%d reports exported, want 400 (two demos)", len(reports))
	}
}

// TestDemoHoldsTheDataDirectory: a demo making a new database holds the
// data directory's lock, so a second demo (or serve) started meanwhile is
// refused instead of removing the first's half-made file, which the first
// would then have published as the database.
func TestDemoHoldsTheDataDirectory(t *testing.T) {
	data := t.TempDir()
	lock, err := prepareDataDir(data) // the first demo, still running
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	partial := filepath.Join(data, "disclose.db"+partialSuffix)
	if err := os.WriteFile(partial, []byte("the first demo's half-made database"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = runStdout(t, "demo", "--data", data, "--reports", "100")
	if err == nil || !strings.Contains(err.Error(), "is running on") {
		t.Fatalf("a second demo while one runs: %v, want a refusal", err)
	}
	if b, err := os.ReadFile(partial); err != nil || string(b) != "the first demo's half-made database" {
		t.Fatalf("the running demo's file was touched: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(data, "disclose.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a database was published while the first demo runs (%v)", err)
	}
}
