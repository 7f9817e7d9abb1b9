package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
	"github.com/disclose/disclose/mailin/pgp"
)

// TestTeamKeyControl: while the key is locked the dashboard says so and
// encrypted mail waits; unlocking clears the banner and the worker decrypts
// the waiting mail.
func TestTeamKeyControl(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "disclose.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	key, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte("team passphrase"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ct, _, err := key.EncryptTo([]byte("Content-Type: text/plain\r\n\r\nSQL injection in /search.\r\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	key.Lock()
	problems := db.NewProblems(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctl, _, p := wireTeamKey(key, d, problems, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if got := len(problems.List()); got != 1 || problems.List()[0].Key != problemTeamKey {
		t.Fatalf("problems while locked = %+v", problems.List())
	}

	raw := "From: r@example.net\r\nTo: security@example.org\r\nSubject: bug\r\nMessage-ID: <p1@example.net>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\n\r\n" + strings.ReplaceAll(ct, "\n", "\r\n") + "\r\n--b--\r\n"
	m, err := mailin.ParsePGP(ctx, strings.NewReader(raw), mailin.DefaultLimits, p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(raw))
	m.OpenRaw, m.RawSize, m.RawSHA256 = func() io.Reader { return strings.NewReader(raw) }, int64(len(raw)), hex.EncodeToString(sum[:])
	res, err := mailin.IngestMail(ctx, d, m, mailin.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}

	passes := make(chan int, 4)
	ctl.passed = func(n int, err error) {
		if err != nil {
			t.Error(err)
		}
		passes <- n
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); ctl.run(wctx) }()
	defer func() { stop(); <-done }()

	if err := ctl.Unlock([]byte("wrong passphrase")); !errors.Is(err, pgp.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if len(problems.List()) != 1 {
		t.Errorf("banner gone after a wrong passphrase")
	}
	if err := ctl.Unlock([]byte("team passphrase")); err != nil {
		t.Fatal(err)
	}
	if len(problems.List()) != 0 {
		t.Errorf("problems after unlock = %+v", problems.List())
	}
	select {
	case n := <-passes:
		if n != 1 {
			t.Fatalf("pass decrypted %d entries, want 1", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no pending pass within 10s of unlocking")
	}
	r, err := d.ReportByID(ctx, res.ReportID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Description, "SQL injection in /search.") {
		t.Errorf("description after unlock = %q", r.Description)
	}
	ctl.Lock()
	if len(problems.List()) != 1 {
		t.Errorf("no banner after locking again")
	}
}
