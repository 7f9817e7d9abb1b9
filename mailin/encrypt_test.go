package mailin

import (
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
)

func mustKey(t *testing.T, email string) *pgp.TeamKey {
	t.Helper()
	k, err := pgp.Generate(pgp.GenerateOptions{Name: email, Email: email}, []byte("correct horse battery"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Unlock([]byte("correct horse battery")); err != nil {
		t.Fatal(err)
	}
	return k
}

// TestPGPMIME encrypts a reply with attachments to a reporter's key and
// reads it back as the reporter would.
func TestPGPMIME(t *testing.T) {
	team, reporter := mustKey(t, "security@example.org"), mustKey(t, "alice@example.net")
	reporterPub, err := reporter.ArmoredPublic()
	if err != nil {
		t.Fatal(err)
	}
	m := testMail()
	m.Subject, m.Encrypt, m.RecipientKey = "[SEC-1]", true, reporterPub
	raw, err := (&Composer{From: testFrom(), Encrypter: &PGPMIME{Key: team}}).Compose(m, []*db.MailAttachment{{Filename: "fix.diff", ContentType: "text/x-diff", Data: []byte("+fixed\n")}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "browser version") || strings.Contains(string(raw), "+fixed") {
		t.Fatal("clear text in the encrypted mail")
	}
	outer := parseMail(t, raw)
	ct, params, _ := outer.Header.ContentType()
	if ct != "multipart/encrypted" || params["protocol"] != "application/pgp-encrypted" {
		t.Fatalf("Content-Type %s %v", ct, params)
	}
	if got := outer.Header.Get("In-Reply-To"); got != "<orig@reporter.example>" {
		t.Errorf("threading lost: In-Reply-To %q", got)
	}
	i := strings.Index(string(raw), "-----BEGIN PGP MESSAGE-----")
	j := strings.Index(string(raw), "-----END PGP MESSAGE-----")
	if i < 0 || j < i {
		t.Fatalf("no armored message:\n%s", raw)
	}
	dec, err := reporter.Decrypt([]byte(string(raw)[i:j+len("-----END PGP MESSAGE-----")]), nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	inner := parseMail(t, dec.Data)
	if !strings.Contains(inner.Text, "Could you send the browser version?") || string(inner.Files["fix.diff"]) != "+fixed\n" {
		t.Fatalf("decrypted text %q files %v", inner.Text, keys(inner.Files))
	}
	t.Run("ErrBadReporterKey", func(t *testing.T) {
		m := testMail()
		m.Encrypt, m.RecipientKey = true, "not a key"
		if _, err := (&Composer{From: testFrom(), Encrypter: &PGPMIME{Key: team}}).Compose(m, nil); err == nil {
			t.Fatal("a mail for a broken key went out")
		}
	})
}
