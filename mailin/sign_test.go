package mailin

import (
	"mime"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/views/wording"
)

// TestPGPSignerGnuPG: a mail we sign as multipart/signed is found good by
// GnuPG over the canonical first part, and by our own intake.
func TestPGPSignerGnuPG(t *testing.T) {
	p := newPGPPeers(t)
	if err := p.team.Unlock([]byte(teamPass)); err != nil {
		t.Fatal(err)
	}
	entity := "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nThanks, fixed in 2.4.1.\n"
	mt, params, body, err := (&PGPSigner{Key: p.team}).Sign([]byte(entity))
	if err != nil {
		t.Fatal(err)
	}
	if mt != "multipart/signed" || !strings.HasPrefix(params["micalg"], "pgp-sha") || params["protocol"] != "application/pgp-signature" {
		t.Fatalf("content type %s %v", mt, params)
	}
	parts, closed := splitMultipart(body, params["boundary"])
	if len(parts) != 2 || !closed {
		t.Fatalf("%d parts, closed %v", len(parts), closed)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "part"), parts[0], 0o600)
	sigStart := strings.Index(string(parts[1]), "-----BEGIN PGP SIGNATURE-----")
	os.WriteFile(filepath.Join(dir, "sig.asc"), parts[1][sigStart:], 0o600)
	teamPub, _ := p.team.ArmoredPublic()
	p.reporter.Run(teamPub, "--import")
	out := p.reporter.Run("", "--status-fd", "1", "--verify", filepath.Join(dir, "sig.asc"), filepath.Join(dir, "part"))
	if !strings.Contains(out, "GOODSIG") {
		t.Fatalf("gpg --verify:\n%s", out)
	}

	d := mustOpenDB(t)
	p.known = []string{teamPub}
	raw := head("Re: [SEC-1]", "signed-out", "Content-Type: "+mime.FormatMediaType(mt, params)) + "\n" + string(body)
	in, res := ingestRaw(t, d, p.pgp(), raw)
	m := entry(t, d, res.Ref)
	// Intake finds the signature good; the report shows it as not the
	// reporter's, since the team key is bound to no reporter.
	if in.PGP.Signature != db.SigVerified || wording.PGP(m.PGPState, m.PGPSignature) != "signed, key not bound to the reporter" {
		t.Errorf("signature %q, label %q", in.PGP.Signature, wording.PGP(m.PGPState, m.PGPSignature))
	}
	if !strings.Contains(m.Body, "Thanks, fixed in 2.4.1.") {
		t.Errorf("body = %q", m.Body)
	}
}
