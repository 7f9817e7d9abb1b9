package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// mailed is a report that came by mail, with what hangs off it: an
// attachment, the raw message of its first entry and an offered key.
type mailed struct {
	r                *db.Report
	att, entry, cand int64
}

// mailedReport ingests a mail with a file and a key to the program's
// address, as the intake of that program's mailbox does (a program of
// another organisation is reached through its own mailbox, not the
// environment's).
func (f *triageFixture) mailedReport(t *testing.T, to *db.Program) mailed {
	t.Helper()
	ctx := context.Background()
	f.mails++
	n := f.mails
	raw := fmt.Sprintf("From: r%d@example.net\r\nTo: %s\r\nMessage-ID: <m%d@example.net>\r\nSubject: m %d\r\n\r\nbody\r\n", n, to.Email, n, n)
	sum := sha256.Sum256([]byte(raw))
	res, err := mailin.IngestMail(ctx, f.env.DB, &db.InboundMail{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(n),
		OpenRaw: func() io.Reader { return strings.NewReader(raw) }, RawSize: int64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]),
		MessageID: fmt.Sprintf("<m%d@example.net>", n), FromEmail: fmt.Sprintf("r%d@example.net", n), To: []string{to.Email},
		Subject: fmt.Sprintf("Mailed %d escaping", n), Body: "The profile name is rendered without escaping.",
		Files: []db.NewAttachment{{Filename: "poc.html", ContentType: "text/html", Data: []byte("<script>alert(1)</script>")}},
		PGP:   db.MailPGP{Keys: []db.KeyCandidate{{Fingerprint: fmt.Sprintf("%040X", n), Armored: "-----BEGIN PGP PUBLIC KEY BLOCK-----", Origin: "attachment"}}}},
		mailin.IngestOptions{ProgramID: to.ID})
	if err != nil {
		t.Fatal(err)
	}
	m := mailed{}
	if m.r, err = f.env.DB.ReportByID(ctx, res.ReportID); err != nil {
		t.Fatal(err)
	}
	if m.r.ProgramID != to.ID {
		t.Fatalf("mail to %s filed in program %d, want %d", to.Email, m.r.ProgramID, to.ID)
	}
	m.att = f.attachmentID(t, m.r)
	entries, err := f.env.DB.RawMailEntries(ctx, m.r.ID)
	for e := range entries {
		m.entry = e
	}
	cands, cerr := f.env.DB.KeyCandidates(ctx, m.r.ID)
	if err != nil || cerr != nil || m.entry == 0 || len(cands) != 1 {
		t.Fatalf("mailed report: entries %v (%v), candidates %v (%v)", entries, err, cands, cerr)
	}
	m.cand = cands[0].ID
	return m
}
