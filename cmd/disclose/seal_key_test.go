package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
	"github.com/disclose/disclose/mailin/pgp"
)

// TestTeamKeyControlSealed: with sealing on, the locked banner says what it
// means for sealed reports; mail that came encrypted while locked is
// decrypted at unlock and its text is stored sealed again, never in clear.
func TestTeamKeyControlSealed(t *testing.T) {
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
	const marker = "QZPENDINGMARKER"
	ct, _, err := key.EncryptTo([]byte("Content-Type: text/plain\r\n\r\n"+marker+" in /search.\r\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	key.Lock()
	d.SetSealer(key, true)
	problems := db.NewProblems(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctl, _, p := wireTeamKey(key, d, problems, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if l := problems.List(); len(l) != 1 || !strings.Contains(l[0].Message, "sealed reports show no text") {
		t.Fatalf("banner while locked = %+v", l)
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
	if err := ctl.Unlock([]byte("team passphrase")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-passes:
	case <-time.After(10 * time.Second):
		t.Fatal("no pending pass within 10s of unlocking")
	}
	r, err := d.ReportByID(ctx, res.ReportID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Description, marker) {
		t.Fatalf("description after unlock = %q", r.Description)
	}
	if err := d.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if buf, _ := os.ReadFile(d.Path); bytes.Contains(buf, []byte(marker)) {
		t.Fatal("the decrypted text was stored in clear")
	}
	ctl.Lock()
	if r, _ = d.ReportByID(ctx, res.ReportID); r.Description != db.SealedText {
		t.Fatalf("description after locking again = %q", r.Description)
	}
}
