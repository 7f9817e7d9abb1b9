package mailin

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/mailtest"
	"github.com/emersion/go-smtp"
)

// TestSealedOutboundGnuPG: in sealed mode, mail to a reporter with a key
// waits while the team key is locked, then goes out encrypted to the
// reporter's key (stored sealed) over real SMTP; the reporter's GnuPG
// decrypts it and finds the reply and its attachment as the team wrote
// them, not the team's ciphertext. Nothing of it is on disk in clear.
func TestSealedOutboundGnuPG(t *testing.T) {
	ctx := context.Background()
	p := newPGPPeers(t)
	p.team.Lock()
	d, _ := mustOpenMailDB(t)
	n := testNotifier()
	n.Encrypting = true
	setNotifier(t, d, n)
	d.SetSealer(p.team, true)
	if err := d.MarkSealed(ctx); err != nil {
		t.Fatal(err)
	}
	const marker = "qzmarkeroutbound"
	pr, _ := d.DefaultProgram(ctx)
	rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: pr.ID, Source: db.SourceWeb, Title: "XSS " + marker,
		Description: "The profile name is rendered without escaping.",
		Reporter:    db.Reporter{Name: "Reporter", Email: "reporter@example.org", PGPKey: p.pub.Armored, Credit: db.CreditAnonymous}})
	if err != nil {
		t.Fatal(err)
	}
	sink := mailtest.NewSink(t)
	w := newOutbox(t, d, sink)
	w.Composer = &Composer{From: testFrom(), Encrypter: &PGPMIME{Key: p.team}, Signer: &PGPSigner{Key: p.team}}

	t.Run("WaitsWhileLocked", func(t *testing.T) {
		if n, err := w.SendDue(ctx); err != nil || n != 0 {
			t.Fatalf("sent %d, %v while locked; want 0", n, err)
		}
		if got := len(sink.Messages()); got != 0 {
			t.Fatalf("%d mails reached the server while locked", got)
		}
	})
	if err := p.team.Unlock([]byte(teamPass)); err != nil {
		t.Fatal(err)
	}
	staff := db.Actor{Name: "tri@example.org"}
	r, err := d.ReportByID(ctx, rc.ReportID)
	if err != nil {
		t.Fatal(err)
	}
	patch := []byte("+fixed " + marker + "\n")
	if err := d.Reply(ctx, r.ID, r.Version, staff, "Fixed in "+marker+".", []db.NewAttachment{{Filename: "fix.diff", ContentType: "text/x-diff", Data: patch}}, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		if n, err := w.SendDue(ctx); err != nil || n != 2 {
			drainEvents(t, d)
			mails, _ := d.Mails(ctx, "", 10)
			for _, m := range mails {
				t.Logf("outbox %d %s %s: %s", m.ID, m.Kind, m.Status, m.LastError)
			}
			t.Fatalf("sent %d, %v; want the acknowledgement and the reply", n, err)
		}
		var reply *parsed
		for _, msg := range sink.Messages() {
			if got := msg.To; len(got) != 1 || got[0] != "reporter@example.org" {
				t.Fatalf("envelope to %v", got)
			}
			raw := string(msg.Data)
			if strings.Contains(raw, marker) {
				t.Fatal("clear text in the encrypted mail")
			}
			i, j := strings.Index(raw, "-----BEGIN PGP MESSAGE-----"), strings.Index(raw, "-----END PGP MESSAGE-----")
			if i < 0 || j < 0 {
				t.Fatalf("not an encrypted mail:\n%s", raw)
			}
			out, err := p.reporter.Try(raw[i:j+len("-----END PGP MESSAGE-----")], "--decrypt")
			if err != nil {
				t.Fatalf("the reporter's gpg cannot decrypt it: %v\n%s", err, out)
			}
			got := parseMail(t, []byte(out))
			if strings.Contains(got.Text, db.SealedText) {
				t.Errorf("the reporter reads the sealed placeholder:\n%s", got.Text)
			}
			if strings.Contains(got.Text, "Fixed in "+marker) {
				reply = got
			}
		}
		if reply == nil {
			t.Fatal("the reply did not reach the reporter")
		}
		if got := reply.Files["fix.diff"]; !bytes.Equal(got, patch) {
			t.Fatalf("the reporter got fix.diff = %.80q, want the file the team attached", got)
		}
	})
	t.Run("RefusalKeepsNoAddress", func(t *testing.T) {
		// Mail servers quote the recipient in their refusals.
		sink.Reply(&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<reporter@example.org>: no such user"})
		r, _ := d.ReportByID(ctx, rc.ReportID)
		if err := d.Reply(ctx, r.ID, r.Version, staff, "Another "+marker+".", nil, db.DefaultLimits); err != nil {
			t.Fatal(err)
		}
		if _, err := w.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		drainEvents(t, d)
		failed, err := d.Mails(ctx, db.OutboxFailed, 10)
		if err != nil || len(failed) != 1 {
			t.Fatalf("failed mails %v, %v; want the refused one", failed, err)
		}
		if strings.Contains(failed[0].LastError, "reporter@example.org") || !strings.Contains(failed[0].LastError, "no such user") {
			t.Fatalf("the outbox keeps %q", failed[0].LastError)
		}
	})
	if err := d.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{marker, "reporter@example.org"} {
		if buf := readDB(t, d); bytes.Contains(buf, []byte(s)) {
			t.Fatalf("%q is in the database file in clear", s)
		}
	}
}

// readDB returns the database file and its WAL.
func readDB(t *testing.T, d *db.DB) []byte {
	t.Helper()
	var out []byte
	for _, name := range []string{d.Path, d.Path + "-wal"} {
		buf, err := os.ReadFile(name)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		out = append(out, buf...)
	}
	return out
}
