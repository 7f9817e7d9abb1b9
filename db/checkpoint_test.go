package db_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestCommittedReachesTheFileWithoutClose: a few commits, far under the
// 1,000 pages at which SQLite's automatic checkpoint ran, are copied into
// the database file by the checkpointer soon after, with the portal still
// running: the file alone (what a copy of disclose.db without its -wal
// holds) has every report. Before, they stayed in the log until it grew
// past 4 MB or the portal stopped.
func TestCommittedReachesTheFileWithoutClose(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := db.Open(ctx, filepath.Join(dir, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, err := d.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	for i := range n {
		if _, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: fmt.Sprintf("Overflow %d", i), Description: "In the parser."}); err != nil {
			t.Fatal(err)
		}
	}
	got := -1
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if got = reportsInFileAlone(t, filepath.Join(dir, "disclose.db")); got == n {
			return
		}
		time.Sleep(20 * time.Millisecond) // polling the file, bounded by the deadline
	}
	t.Fatalf("10 s after the last commit the database file alone holds %d of %d reports: the log was not checkpointed", got, n)
}

// reportsInFileAlone counts the reports in a copy of the database file
// without its log (-1 while a checkpoint is half written).
func reportsInFileAlone(t *testing.T, path string) int {
	t.Helper()
	cp := filepath.Join(t.TempDir(), "alone.db")
	src, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(cp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	raw, err := sql.Open("sqlite3", "file:"+cp+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM reports`).Scan(&n); err != nil {
		return -1
	}
	return n
}

// crashEnv names the database a child process writes to until it is killed.
const crashEnv = "DISCLOSE_TEST_CRASH_DB"

// TestCrashLosesNothingAcknowledged kills (SIGKILL) a process that writes
// reports from eight goroutines, each 8 KB of text, while checkpoints run
// beside its writer, and checks that every report whose Update had
// returned is in the database, undamaged.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("parent-only test")
	}
	path := filepath.Join(t.TempDir(), "disclose.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var refs []string
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(refs) < 1500 {
		if ref, ok := strings.CutPrefix(sc.Text(), "COMMITTED "); ok {
			refs = append(refs, ref)
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if len(refs) < 1500 {
		t.Fatalf("the child acknowledged only %d reports before it ended", len(refs))
	}
	ctx := context.Background()
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.IntegrityCheck(ctx); err != nil {
		t.Fatalf("database damaged by the crash: %v", err)
	}
	for _, ref := range refs {
		if _, err := d.ReportByRef(ctx, ref); err != nil {
			t.Fatalf("%s was acknowledged before the crash, now: %v", ref, err)
		}
	}
}

// TestCrashChild is the child of TestCrashLosesNothingAcknowledged.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("child of TestCrashLosesNothingAcknowledged")
	}
	ctx := context.Background()
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("The parser trusts the length header. ", 220)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100_000; i++ { // until killed
				r, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: fmt.Sprintf("Overflow %d.%d", w, i), Description: text})
				if err != nil {
					fmt.Println("PROBLEM", err)
					return
				}
				mu.Lock()
				fmt.Println("COMMITTED", r.Ref)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
