package db

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLogStaysBounded: under steady writes from eight goroutines the
// background checkpoint never quite catches up, so the log restarts only
// because the writer catches a checkpoint up itself past walRestartPages.
// The same writes run twice: with the threshold out of reach, and with it
// lowered to 1 MiB, where the catch-ups must run and keep the log at a
// fraction of the size it reaches without them.
func TestLogStaysBounded(t *testing.T) {
	oldMin, oldMax := walRestartMin, walRestartMax
	t.Cleanup(func() { walRestartMin, walRestartMax = oldMin, oldMax })
	walRestartMin, walRestartMax = 1<<30, 1<<30
	without, _ := writeWatchingLog(t)
	walRestartMin, walRestartMax = 256, 256 // 1 MiB
	with, catchUps := writeWatchingLog(t)
	t.Logf("largest log: %.1f MiB without catch-ups, %.1f MiB with a 1 MiB threshold (%d catch-ups)",
		float64(without)/(1<<20), float64(with)/(1<<20), catchUps)
	if catchUps < 3 {
		t.Fatalf("%d catch-ups, want at least 3", catchUps)
	}
	if with > without/2 {
		t.Fatalf("the log reached %.1f MiB with a 1 MiB threshold, %.1f MiB without catch-ups: want at most half", float64(with)/(1<<20), float64(without)/(1<<20))
	}
}

// writeWatchingLog writes 3,000 reports of 8 KB from eight goroutines into
// a new database and returns the largest size of its log seen meanwhile and
// the writer's catch-ups.
func writeWatchingLog(t *testing.T) (largest int64, catchUps int64) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, err := d.DefaultProgram(ctx)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("The parser trusts the length header. ", 220)
	var seen atomic.Int64
	stop := make(chan struct{})
	var watch sync.WaitGroup
	watch.Add(1)
	go func() {
		defer watch.Done()
		for {
			if st, err := os.Stat(path + "-wal"); err == nil && st.Size() > seen.Load() {
				seen.Store(st.Size())
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	var next atomic.Int64
	var wg sync.WaitGroup
	const n = 3000
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= n; i = next.Add(1) {
				if _, err := d.CreateReport(ctx, &NewReport{ProgramID: p.ID, Source: SourceWeb, Title: fmt.Sprintf("Overflow %d.%d", w, i),
					Description: text, Reporter: Reporter{Name: "r", Email: fmt.Sprintf("r%d@example.org", i), Credit: CreditHandle}}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	watch.Wait()
	return seen.Load(), d.catchUps.Load()
}
