package main

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestRetentionJob runs the job serve starts: it applies the rules at once,
// and stops when its context ends.
func TestRetentionJob(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, _ := d.DefaultProgram(ctx)
	rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "Spam", Description: "buy"})
	if err != nil {
		t.Fatal(err)
	}
	// Closed as spam (the triage pages do this; here the row is set directly).
	raw, err := sql.Open("sqlite3", d.Path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE reports SET state = 'spam', closed_at = ? WHERE id = ?`,
		time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"), rc.ReportID); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if err := d.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: p.ID, SpamDeleteDays: 1}, db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	d.Now = func() time.Time { return time.Now().UTC().Add(48 * time.Hour) }
	ran := make(chan struct{})
	log := slog.New(slog.NewTextHandler(&signalWriter{match: "retention applied", ch: ran}, nil))
	jctx, cancel := context.WithCancel(ctx)
	bg := &workers{log: log}
	problems := db.NewProblems(log)
	bg.Go(jctx, "retention", retentionJob(d, log, problems, time.Hour))
	select {
	case <-ran:
	case <-time.After(30 * time.Second):
		t.Fatal("the retention job did not run in 30 s")
	}
	cancel()
	bg.Wait()
	if _, err := d.ReportByID(ctx, rc.ReportID); db.ErrorCode(err) != db.ENOTFOUND {
		t.Fatalf("spam report still there after the job ran: %v", err)
	}
	if ps := problems.List(); len(ps) != 0 {
		t.Fatalf("problems: %+v", ps)
	}
}

// signalWriter closes ch when a log line contains match.
type signalWriter struct {
	match string
	ch    chan struct{}
	once  sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.match) {
		w.once.Do(func() { close(w.ch) })
	}
	return len(p), nil
}

// countingOptimizer is the database with its Optimize calls counted.
type countingOptimizer struct {
	*db.DB
	calls chan struct{}
}

func (c countingOptimizer) Optimize(ctx context.Context) error {
	err := c.DB.Optimize(ctx)
	select {
	case c.calls <- struct{}{}:
	default:
	}
	return err
}

// TestOptimizeJob: serve's worker refreshes the planner's statistics on
// its schedule, so a database that grew while serving gets new ones.
func TestOptimizeJob(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, _ := d.DefaultProgram(ctx)
	for range 200 {
		if _, err := d.CreateReport(ctx, &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: "Overflow", Description: "In the parser."}); err != nil {
			t.Fatal(err)
		}
	}
	c := countingOptimizer{DB: d, calls: make(chan struct{}, 1)}
	jctx, cancel := context.WithCancel(ctx)
	bg := &workers{log: slog.New(slog.DiscardHandler)}
	bg.Go(jctx, "optimize", optimizeJob(c, bg.log, 10*time.Millisecond))
	select {
	case <-c.calls:
	case <-time.After(30 * time.Second):
		t.Fatal("the optimize job did not run in 30 s")
	}
	cancel()
	bg.Wait()
	raw, err := sql.Open("sqlite3", d.Path+"?_busy_timeout=10000&mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var rows int
	if err := raw.QueryRow(`SELECT CAST(stat AS INTEGER) FROM sqlite_stat1 WHERE tbl = 'reports' AND idx = 'reports_state_id'`).Scan(&rows); err != nil {
		t.Fatalf("no statistics for reports after the job ran: %v", err)
	}
	if rows < 200 {
		t.Fatalf("statistics say %d reports, want 200", rows)
	}
}
