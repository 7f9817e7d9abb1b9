package handlers_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
	"github.com/disclose/disclose/mailin/pgp"
)

const sealPassphrase = "seal test passphrase"

// newTeamKey makes a curve25519 team key, unlocked.
func newTeamKey(tb testing.TB) *pgp.TeamKey {
	tb.Helper()
	k, err := pgp.Generate(pgp.GenerateOptions{Name: "Security team", Email: "security@example.org"}, []byte(sealPassphrase), time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// submitWeb sends the report form through the real handler and returns
// the reference and receipt code.
func submitWeb(t *testing.T, b *browser, fields map[string]string) (ref, code string) {
	t.Helper()
	form := b.get("/report")
	v := url.Values{"key": {regexpFind(`name="key" value="([^"]+)"`, form.Body)}, "credit": {"handle"}}
	for k, val := range fields {
		v.Set(k, val)
	}
	p := b.post("/report", v)
	if p.Status != http.StatusOK {
		t.Fatalf("submit: status %d", p.Status)
	}
	return regexpFind(`data-testid="ref">([^<]+)<`, p.Body), regexpFind(`data-testid="code">([^<]+)<`, p.Body)
}

// ingestMail stores a mailed report through the intake path of db (what
// the IMAP poller calls after parsing), with raw bytes and an attachment.
func ingestMail(t *testing.T, d *db.DB, marker string) {
	t.Helper()
	raw := []byte("From: Mallory <mallory@example.org>\r\nTo: security@example.org\r\nSubject: " + marker + " by mail\r\n" +
		"Message-ID: <m1@example.org>\r\n\r\nThe mailed text says " + marker + "\r\n")
	sum := sha256.Sum256(raw)
	in := &db.InboundMail{Mailbox: "INBOX", UIDValidity: 1, UID: 1, OpenRaw: func() io.Reader { return bytes.NewReader(raw) },
		RawSize: int64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]), MessageID: "<m1@example.org>",
		FromEmail: "mallory-" + marker + "@example.org", FromName: "Mallory " + marker, To: []string{"security@example.org"},
		Subject: marker + " by mail", Body: "The mailed text says " + marker,
		Files: []db.NewAttachment{{Filename: "poc.txt", ContentType: "text/plain", Data: []byte("proof " + marker)}}}
	res, err := mailin.IngestMail(context.Background(), d, in, mailin.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// An acknowledgement that quotes the report: the outbox holds it sealed.
	if err := d.Update(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		return tx.EnqueueAck(ctx, &db.OutMail{ReportID: res.ReportID, Kind: "ack", MessageID: "<ack-" + res.Ref + "@example.org>", To: in.FromEmail,
			Subject: "[" + res.Ref + "] " + in.Subject, Body: "We received your report:\n> " + in.Body})
	}); err != nil {
		t.Fatal(err)
	}
}

// TestSealedAtRest proves that with sealing on no report text reaches the
// database file, its WAL or a backup, and that the same check finds the
// marker with sealing off (so it can fail).
func TestSealedAtRest(t *testing.T) {
	for _, tc := range []struct {
		name string
		seal bool
	}{{"OK", true}, {"PlaintextShowsMarker", false}} {
		t.Run(tc.name, func(t *testing.T) {
			marker := "ZQXMARKER" + strings.ToUpper(tc.name)
			env := newPortal(t)
			env.DB.SetSealer(newTeamKey(t), tc.seal)
			b := env.browser(t)
			_, code := submitWeb(t, b, map[string]string{
				"title": marker + " title", "description": "desc " + marker, "steps": "steps " + marker,
				"impact": "impact " + marker, "asset": "asset-" + marker + ".example.org",
				"name": "name " + marker, "email": "reporter-" + strings.ToLower(marker) + "@example.org",
			})
			// The reporter answers on the status page.
			b.post("/status", url.Values{"code": {code}})
			if p := b.post("/status/reply", url.Values{"body": {"reply " + marker}}); p.Status != http.StatusSeeOther && p.Status != http.StatusOK {
				t.Fatalf("status reply: %d", p.Status)
			}
			ingestMail(t, env.DB, marker)

			backup := filepath.Join(t.TempDir(), "backup.db")
			if err := env.DB.Backup(context.Background(), backup, nil); err != nil {
				t.Fatal(err)
			}
			// The WAL as the writes left it, then the file once they are
			// checkpointed into it, then the backup.
			files := map[string][]byte{}
			read := func(name string) {
				buf, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				files[filepath.Base(name)] = buf
			}
			read(env.DB.Path + "-wal")
			if err := env.DB.Checkpoint(context.Background()); err != nil {
				t.Fatal(err)
			}
			read(env.DB.Path)
			read(backup)
			// The acknowledgement reached the outbox, sealed when sealing is on.
			raw, err := sql.Open("sqlite3", "file:"+env.DB.Path+"?mode=ro")
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			var sealedAcks int
			if err := raw.QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind = 'ack' AND sealed = ?`, tc.seal).Scan(&sealedAcks); err != nil {
				t.Fatal(err)
			}
			if got, want := sealedAcks, 1; got != want {
				t.Fatalf("acks in the outbox with sealed=%v: %d, want %d", tc.seal, got, want)
			}
			for name, buf := range files {
				for _, m := range []string{marker, strings.ToLower(marker)} {
					if got, want := bytes.Contains(buf, []byte(m)), !tc.seal; got != want {
						t.Errorf("%s contains %q: %v, want %v", name, m, got, want)
					}
				}
			}
		})
	}
}
