package demo_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
)

// TestGenerateTiming makes DISCLOSE_DEMO_N reports (a profile harness).
func TestGenerateTiming(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("DISCLOSE_DEMO_N"))
	if n == 0 {
		t.Skip("DISCLOSE_DEMO_N not set")
	}
	dir := os.Getenv("DISCLOSE_DEMO_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(dir, "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	start := time.Now()
	_, err = demo.Generate(ctx, d, demo.Options{Reports: n, Seed: 1, Progress: func(done, total int) {
		if done%50000 == 0 {
			t.Logf("%d %s", done, time.Since(start))
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("made %d in %s", n, time.Since(start))
}
