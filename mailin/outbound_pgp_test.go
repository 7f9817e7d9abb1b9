package mailin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestOutboundGnuPG: the reply we compose for a reporter with a known key
// is decrypted by GnuPG with the reporter's key and our signature found
// good; clear mail is signed so that GnuPG finds it good; with the key
// locked, clear mail goes out unsigned rather than wait.
func TestOutboundGnuPG(t *testing.T) {
	p := newPGPPeers(t)
	if err := p.team.Unlock([]byte(teamPass)); err != nil {
		t.Fatal(err)
	}
	teamPub, _ := p.team.ArmoredPublic()
	p.reporter.Run(teamPub, "--import")
	c := &Composer{From: testFrom(), Encrypter: &PGPMIME{Key: p.team}, Signer: &PGPSigner{Key: p.team}}
	atts := []*db.MailAttachment{{Filename: "fix.diff", ContentType: "text/x-diff", Data: []byte("+fixed\n")}}

	t.Run("OK/EncryptedReply", func(t *testing.T) {
		m := testMail()
		m.Subject, m.Encrypt, m.RecipientKey = "[SEC-1]", true, p.pub.Armored
		raw, err := c.Compose(m, atts)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "browser version") {
			t.Fatal("clear text in the encrypted mail")
		}
		if got := parseMail(t, raw).Header.Get("Subject"); got != "[SEC-1]" {
			t.Errorf("subject = %q, want only the reference", got)
		}
		i := strings.Index(string(raw), "-----BEGIN PGP MESSAGE-----")
		j := strings.Index(string(raw), "-----END PGP MESSAGE-----")
		out, err := p.reporter.Try(string(raw)[i:j+len("-----END PGP MESSAGE-----")], "--status-fd", "2", "--decrypt")
		if err != nil {
			t.Fatalf("gpg --decrypt: %v\n%s", err, out)
		}
		if !strings.Contains(out, "Could you send the browser version?") || !strings.Contains(out, "fix.diff") {
			t.Errorf("gpg decrypted:\n%s", out)
		}
		status, _ := p.reporter.Try(string(raw)[i:j+len("-----END PGP MESSAGE-----")], "--status-fd", "1", "--decrypt")
		if !strings.Contains(status, "GOODSIG") {
			t.Errorf("gpg did not find our signature good:\n%s", status)
		}
	})
	t.Run("OK/SignedClearMail", func(t *testing.T) {
		raw, err := c.Compose(testMail(), atts)
		if err != nil {
			t.Fatal(err)
		}
		outer := parseMail(t, raw)
		mt, params, _ := outer.Header.ContentType()
		if mt != "multipart/signed" {
			t.Fatalf("Content-Type %s", mt)
		}
		body := string(raw)[strings.Index(string(raw), "\r\n\r\n")+4:]
		parts, _ := splitMultipart([]byte(body), params["boundary"])
		if len(parts) != 2 {
			t.Fatalf("%d parts", len(parts))
		}
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "part"), parts[0], 0o600)
		sig := string(parts[1])[strings.Index(string(parts[1]), "-----BEGIN PGP SIGNATURE-----"):]
		os.WriteFile(filepath.Join(dir, "sig.asc"), []byte(sig), 0o600)
		if out := p.reporter.Run("", "--status-fd", "1", "--verify", filepath.Join(dir, "sig.asc"), filepath.Join(dir, "part")); !strings.Contains(out, "GOODSIG") {
			t.Errorf("gpg --verify:\n%s", out)
		}
		if !strings.Contains(string(parts[0]), "fix.diff") {
			t.Errorf("the attachment is not inside the signed part")
		}
	})
	t.Run("OK/LockedSendsUnsigned", func(t *testing.T) {
		p.team.Lock()
		defer p.team.Unlock([]byte(teamPass))
		raw, err := c.Compose(testMail(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if mt, _, _ := parseMail(t, raw).Header.ContentType(); mt != "text/plain" {
			t.Errorf("Content-Type %s, want text/plain", mt)
		}
	})
}
