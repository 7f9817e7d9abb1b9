package mailin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
	"github.com/disclose/disclose/views/wording"
)

// bombCase is one hostile mail of TestMailBombMemory: how it is built, and
// what a triager must see once it is taken in.
type bombCase struct {
	name string
	mail func(t testing.TB, team *pgp.TeamKey) string
	// pending: the mail comes while the team key is locked and is read by
	// DecryptPending once it is unlocked (the pass that is measured).
	pending bool
	// flood delivers that many copies (each with its own Message-ID).
	flood int
	check func(t *testing.T, d *db.DB)
}

// budgetNote is what the timeline says of encrypted data past the budget.
var budgetNote = "decrypts to more than one mail may (" + wording.Bytes(DefaultLimits.MaxDecryptedBytes)

var bombCases = []bombCase{
	{name: "Plain", mail: func(t testing.TB, _ *pgp.TeamKey) string {
		return mailText("ann@researcher.test", "Hello", "<plain@researcher.test>", "", "A small clear mail, for the baseline.\n")
	}, check: func(t *testing.T, d *db.DB) {
		if m := entry(t, d, "SEC-1"); !strings.Contains(m.Body, "small clear mail") {
			t.Errorf("body %q", m.Body)
		}
	}},
	// The mail of the issue: ~17 KB, dozens of blocks of 64 MiB each.
	{name: "InlineBlocks", mail: func(t testing.TB, team *pgp.TeamKey) string {
		return inlineBombMail(t, team, 30, 64<<20)
	}, check: func(t *testing.T, d *db.DB) {
		m := entry(t, d, "SEC-1")
		wantPGP(t, m, db.PGPFailed, budgetNote)
		if len(m.Body) > int(DefaultLimits.MaxTextBytes)*2 {
			t.Errorf("body of %d bytes", len(m.Body))
		}
	}},
	// 1 KB of PGP/MIME that inflates to 1 GiB.
	{name: "PGPMIME", mail: func(t testing.TB, team *pgp.TeamKey) string {
		return mimeBombMail(t, team, 1<<30)
	}, check: func(t *testing.T, d *db.DB) {
		wantPGP(t, entry(t, d, "SEC-1"), db.PGPFailed, budgetNote)
	}},
	{name: "NestedEncrypted", mail: nestedEncryptedMail, check: func(t *testing.T, d *db.DB) {
		wantPGP(t, entry(t, d, "SEC-1"), db.PGPFailed, budgetNote)
	}},
	{name: "NestedEncryptedPending", mail: nestedEncryptedMail, pending: true, check: func(t *testing.T, d *db.DB) {
		wantPGP(t, entry(t, d, "SEC-1"), db.PGPFailed, budgetNote)
	}},
	{name: "EncryptedFiles", mail: encryptedFilesMail, check: func(t *testing.T, d *db.DB) {
		m := entry(t, d, "SEC-1")
		wantPGP(t, m, db.PGPFailed, budgetNote)
		if got := len(m.Attachments); got != 40 {
			t.Errorf("%d attachments, want the 40 files kept (encrypted)", got)
		}
		if ev := events(t, d, "SEC-1"); !strings.Contains(ev, "was kept encrypted: it decrypts to more than an attachment may be") {
			t.Errorf("events %q", ev)
		}
	}},
	{name: "NestedSigned", mail: nestedSignedMail, check: func(t *testing.T, d *db.DB) {
		m := entry(t, d, "SEC-1")
		if !strings.Contains(m.PGPNote, "nested inside other signed parts was not checked") {
			t.Errorf("note %q", m.PGPNote)
		}
		// The signatures of the levels not checked are kept as files.
		if got := fileNames(m); len(got) == 0 || got[0] != "core.bin" || m.Attachments[0].Size != 8<<20 {
			t.Errorf("attachments %q", got)
		}
	}},
	{name: "ManyParts", mail: manyPartsMail, check: func(t *testing.T, d *db.DB) {
		if ev := events(t, d, "SEC-1"); !strings.Contains(ev, "more than 1000 MIME parts") {
			t.Errorf("events %.500q", ev)
		}
	}},
	{name: "HugeHeaders", mail: hugeHeadersMail, check: func(t *testing.T, d *db.DB) {
		if ev := events(t, d, "SEC-1"); !strings.Contains(ev, "header line(s) were ignored") {
			t.Errorf("events %.500q", ev)
		}
	}},
	{name: "ManyFiles", mail: func(t testing.TB, _ *pgp.TeamKey) string { return manyFilesMail(t, 45) }, check: func(t *testing.T, d *db.DB) {
		if m := entry(t, d, "SEC-1"); len(m.Attachments) != 45 || m.Attachments[44].Size != 1000<<10 {
			t.Errorf("%d attachments", len(m.Attachments))
		}
	}},
	// The largest files a mail may carry: each is spooled, and stored
	// (sealed, in sealed mode) as it streams, never held whole.
	{name: "LargeFiles", mail: largeFilesMail, check: func(t *testing.T, d *db.DB) {
		m := entry(t, d, "SEC-1")
		if len(m.Attachments) != 2 || m.Attachments[0].Size != 24<<20 || m.Attachments[1].Size != 10<<20 {
			t.Fatalf("attachments %q", fileNames(m))
		}
		for _, a := range m.Attachments {
			_, data, err := d.AttachmentOf(context.Background(), m.ReportID, a.ID, true)
			sum := sha256.Sum256(data)
			if err != nil || int64(len(data)) != a.Size || hex.EncodeToString(sum[:]) != a.SHA256 {
				t.Errorf("%s reads back as %d bytes, %v", a.Filename, len(data), err)
			}
		}
	}},
	// A large file in an encrypted mail that came while the key was
	// locked: decrypted after the unlock, spooled, and stored (sealed, in
	// sealed mode) as it streams.
	{name: "LargeFilePending", mail: largeEncryptedFileMail, pending: true, check: func(t *testing.T, d *db.DB) {
		m := entry(t, d, "SEC-1")
		if m.PGPState != db.PGPDecrypted || len(m.Attachments) != 1 || m.Attachments[0].Size != 20<<20 {
			t.Fatalf("state %q, attachments %q", m.PGPState, fileNames(m))
		}
		a := m.Attachments[0]
		_, data, err := d.AttachmentOf(context.Background(), m.ReportID, a.ID, true)
		sum := sha256.Sum256(data)
		if err != nil || int64(len(data)) != a.Size || hex.EncodeToString(sum[:]) != a.SHA256 {
			t.Errorf("%s reads back as %d bytes, %v", a.Filename, len(data), err)
		}
	}},
	// Many mails at once, each with files that stay in memory: the
	// messages parsed ahead of their commit are bounded together.
	{name: "Flood", mail: func(t testing.TB, _ *pgp.TeamKey) string { return manyFilesMail(t, 5) }, flood: 16, check: func(t *testing.T, d *db.DB) {
		if m := entry(t, d, "SEC-16"); len(m.Attachments) != 5 {
			t.Errorf("%d attachments", len(m.Attachments))
		}
	}},
}

func wantPGP(t *testing.T, m *db.Message, state db.PGPState, note string) {
	t.Helper()
	if m.PGPState != state || !strings.Contains(m.PGPNote, note) {
		t.Errorf("state %q note %q, want %q saying %q", m.PGPState, m.PGPNote, state, note)
	}
}

// nestedEncryptedMail is PGP/MIME eight levels deep: each level's plaintext
// holds an inline block and a .pgp file that inflate to 256 MiB and the
// next level's encrypted part; the innermost inflates to 1 GiB.
func nestedEncryptedMail(t testing.TB, team *pgp.TeamKey) string {
	block := string(encryptPackets(t, team, zeroBomb(t, 256<<20, 2), true))
	file := encryptPackets(t, team, zeroBomb(t, 256<<20, 2), false)
	inner := string(encryptPackets(t, team, zeroBomb(t, 1<<30, 3), true))
	for level := 0; level < 8; level++ {
		var b strings.Builder
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"m%d\"\n\n--m%d\nContent-Type: text/plain\n\nLevel %d.\n%s\n", level, level, level, block)
		fmt.Fprintf(&b, "--m%d\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"level%d.pgp\"\nContent-Transfer-Encoding: base64\n\n", level, level)
		writeBase64Lines(&b, file)
		fmt.Fprintf(&b, "--m%d\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"e%d\"\n\n", level, level)
		fmt.Fprintf(&b, "--e%d\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--e%d\nContent-Type: application/octet-stream\n\n%s\n--e%d--\n--m%d--\n", level, level, inner, level, level)
		text := b.String()
		inner = string(encryptPackets(t, team, compressedLiteral(t, 1, func(w io.Writer) error {
			_, err := io.WriteString(w, crlfString(text))
			return err
		}), true))
	}
	return pgpMIME(head("Nested", "nested-bomb", ""), inner)
}

// encryptedFilesMail carries 40 .pgp files that each inflate to 64 MiB.
func encryptedFilesMail(t testing.TB, team *pgp.TeamKey) string {
	bomb := zeroBomb(t, 64<<20, 2)
	var b strings.Builder
	b.WriteString(head("Files", "files-bomb", `Content-Type: multipart/mixed; boundary="f"`))
	b.WriteString("\n--f\nContent-Type: text/plain\n\nThe files.\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "--f\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"bomb-%d.pgp\"\nContent-Transfer-Encoding: base64\n\n", i)
		writeBase64Lines(&b, encryptPackets(t, team, bomb, false))
	}
	b.WriteString("--f--\n")
	return b.String()
}

// nestedSignedMail is multipart/signed 15 levels deep around an 8 MiB
// attachment: each level was read whole into memory to be checked.
func nestedSignedMail(t testing.TB, _ *pgp.TeamKey) string {
	att := make([]byte, 8<<20)
	rand.Read(att)
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=\"in\"\n\n--in\nContent-Type: text/plain\n\nThe dump.\n")
	b.WriteString("--in\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"core.bin\"\nContent-Transfer-Encoding: base64\n\n")
	writeBase64Lines(&b, att)
	b.WriteString("--in--\n")
	entity := b.String()
	sig := "-----BEGIN PGP SIGNATURE-----\n\nwsBcBAABCAAQBQJbAAAAAAkQAAAAAAAAAAAAAA==\n=AAAA\n-----END PGP SIGNATURE-----\n"
	for level := 0; level < 15; level++ {
		entity = fmt.Sprintf("Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; micalg=pgp-sha256; boundary=\"s%d\"\n\n--s%d\n%s\n--s%d\nContent-Type: application/pgp-signature\n\n%s--s%d--\n",
			level, level, entity, level, sig, level)
	}
	h := head("Signed", "signed-bomb", "")
	return h + entity
}

// manyPartsMail has 50,000 parts.
func manyPartsMail(t testing.TB, _ *pgp.TeamKey) string {
	var b strings.Builder
	b.WriteString(head("Parts", "parts-bomb", `Content-Type: multipart/mixed; boundary="p"`))
	b.WriteString("\n--p\nContent-Type: text/plain\n\nhello\n")
	for i := 0; i < 50000; i++ {
		fmt.Fprintf(&b, "--p\nContent-Type: application/octet-stream\n\n%d\n", i)
	}
	b.WriteString("--p--\n")
	return b.String()
}

// hugeHeadersMail has 8 MB of header lines at the top and in a part.
func hugeHeadersMail(t testing.TB, _ *pgp.TeamKey) string {
	junk := strings.Repeat("X-Junk: "+strings.Repeat("j", 990)+"\n", 8<<10)
	return head("Headers", "headers-bomb", junk+`Content-Type: multipart/mixed; boundary="h"`) +
		"\n--h\n" + junk + "Content-Type: text/plain\n\nhello\n--h--\n"
}

// manyFilesMail carries files of 1000 KB, each just under the size that
// spills to the spool: 44 MB in memory at once for 45 of them.
func manyFilesMail(t testing.TB, files int) string {
	var b strings.Builder
	b.WriteString(head("Files", "many-files", `Content-Type: multipart/mixed; boundary="f"`))
	b.WriteString("\n--f\nContent-Type: text/plain\n\nThe files.\n")
	file := make([]byte, 1000<<10)
	for i := 0; i < files; i++ {
		rand.Read(file)
		fmt.Fprintf(&b, "--f\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"f%d.bin\"\nContent-Transfer-Encoding: base64\n\n", i)
		writeBase64Lines(&b, file)
	}
	b.WriteString("--f--\n")
	return b.String()
}

// largeFilesMail carries files of 24 MiB and 10 MiB of random bytes (46 MB
// of mail, base64-encoded): in sealed mode each was read whole to be sealed.
func largeFilesMail(t testing.TB, _ *pgp.TeamKey) string {
	var b strings.Builder
	b.WriteString(head("Large", "large-files", `Content-Type: multipart/mixed; boundary="f"`))
	b.WriteString("\n--f\nContent-Type: text/plain\n\nThe dumps.\n")
	for i, size := range []int{24 << 20, 10 << 20} {
		file := make([]byte, size)
		rand.Read(file)
		fmt.Fprintf(&b, "--f\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"dump%d.bin\"\nContent-Transfer-Encoding: base64\n\n", i)
		writeBase64Lines(&b, file)
	}
	b.WriteString("--f--\n")
	return b.String()
}

// largeEncryptedFileMail is PGP/MIME carrying a file of 20 MiB of random
// bytes (37 MB of mail).
func largeEncryptedFileMail(t testing.TB, team *pgp.TeamKey) string {
	file := make([]byte, 20<<20)
	rand.Read(file)
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=\"f\"\n\n--f\nContent-Type: text/plain\n\nThe dump, encrypted.\n")
	b.WriteString("--f\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"dump.bin\"\nContent-Transfer-Encoding: base64\n\n")
	writeBase64Lines(&b, file)
	b.WriteString("--f--\n")
	entity := crlfString(b.String())
	lit := compressedLiteral(t, 0, func(w io.Writer) error {
		_, err := io.WriteString(w, entity)
		return err
	})
	return pgpMIME(head("Encrypted dump", "large-encrypted", ""), string(encryptPackets(t, team, lit, true)))
}
