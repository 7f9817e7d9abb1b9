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
