package mailin

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/disclose/disclose/mailin/pgp"
)

// The hostile mails of the memory tests are built here with go-crypto's
// packet writers: an OpenPGP message whose literal data (n zero bytes) is
// compressed, and the compressed packet compressed again, then encrypted to
// the team key. Two layers of deflate make 64 MiB of zeros a few hundred
// bytes, the way the mail of the issue did.

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// zeroBomb returns the packets of a literal data packet of n zero bytes
// inside layers nested compressed packets. They are kept in testdata/bombs
// (a few KB each): deflating a GiB takes seconds, a minute under the race
// detector. DISCLOSE_WRITE_BOMBS=1 makes them again; TestBombFixtures
// checks what they inflate to.
func zeroBomb(t testing.TB, n int64, layers int) []byte {
	t.Helper()
	path := bombPath(n, layers)
	if b, err := os.ReadFile(path); err == nil && os.Getenv("DISCLOSE_WRITE_BOMBS") == "" {
		return b
	}
	b := compressedLiteral(t, layers, func(w io.Writer) error {
		zeros := make([]byte, 1<<20)
		for left := n; left > 0; left -= int64(len(zeros)) {
			if _, err := w.Write(zeros[:min(left, int64(len(zeros)))]); err != nil {
				return err
			}
		}
		return nil
	})
	if os.Getenv("DISCLOSE_WRITE_BOMBS") != "" {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func bombPath(n int64, layers int) string {
	return fmt.Sprintf("testdata/bombs/zeros-%dMiB-%dz.bin", n>>20, layers)
}

// TestBombFixtures: each kept bomb inflates to the size its name says, read
// as OpenPGP packets are read when a mail is decrypted.
func TestBombFixtures(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("inflates gigabytes")
	}
	names, _ := filepath.Glob("testdata/bombs/zeros-*.bin")
	if len(names) == 0 {
		t.Fatal("no bombs in testdata/bombs")
	}
	for _, name := range names {
		var mib int64
		var layers int
		if _, err := fmt.Sscanf(filepath.Base(name), "zeros-%dMiB-%dz.bin", &mib, &layers); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = bytes.NewReader(b)
		for depth := 0; ; depth++ {
			p, err := packet.Read(r)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if c, ok := p.(*packet.Compressed); ok {
				r = c.Body
				continue
			}
			lit, ok := p.(*packet.LiteralData)
			if !ok || depth != layers {
				t.Fatalf("%s: %T after %d compressed packets, want literal data after %d", name, p, depth, layers)
			}
			n, err := io.Copy(io.Discard, lit.Body)
			if err != nil || n != mib<<20 {
				t.Fatalf("%s inflates to %d bytes (%v), want %d MiB", name, n, err, mib)
			}
			break
		}
	}
}

// compressedLiteral returns the packets of a literal data packet of what
// fill writes, inside layers nested compressed packets.
func compressedLiteral(t testing.TB, layers int, fill func(io.Writer) error) []byte {
	t.Helper()
	var out bytes.Buffer
	w := io.WriteCloser(nopWriteCloser{&out})
	for i := 0; i < layers; i++ {
		c, err := packet.SerializeCompressed(w, packet.CompressionZLIB, &packet.CompressionConfig{Level: 9})
		if err != nil {
			t.Fatal(err)
		}
		w = c
	}
	lit, err := packet.SerializeLiteral(w, true, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := fill(lit); err != nil {
		t.Fatal(err)
	}
	if err := lit.Close(); err != nil { // closes the compressed packets too
		t.Fatal(err)
	}
	return out.Bytes()
}

// encryptPackets encrypts OpenPGP packets (the content of the encrypted
// data packet) to the team key, with a fresh session key; the result is
// binary, or armored.
func encryptPackets(t testing.TB, team *pgp.TeamKey, inner []byte, armored bool) []byte {
	t.Helper()
	pub, err := team.ArmoredPublic()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(pub))
	if err != nil {
		t.Fatal(err)
	}
	enc, ok := ring[0].EncryptionKey(time.Now())
	if !ok {
		t.Fatal("team key has no encryption key")
	}
	key := make([]byte, 32)
	rand.Read(key)
	var out bytes.Buffer
	if err := packet.SerializeEncryptedKeyAEAD(&out, enc.PublicKey, packet.CipherAES256, false, key, nil); err != nil {
		t.Fatal(err)
	}
	w, err := packet.SerializeSymmetricallyEncrypted(&out, packet.CipherAES256, false, packet.CipherSuite{}, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(inner); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !armored {
		return out.Bytes()
	}
	var a bytes.Buffer
	aw, err := armor.Encode(&a, "PGP MESSAGE", nil)
	if err != nil {
		t.Fatal(err)
	}
	aw.Write(out.Bytes())
	aw.Close()
	a.WriteString("\n")
	return a.Bytes()
}

// inlineBombMail is a text mail holding blocks armored messages, each
// inflating to each bytes: the inline-PGP mail of the issue.
func inlineBombMail(t testing.TB, team *pgp.TeamKey, blocks int, each int64) string {
	t.Helper()
	bomb := zeroBomb(t, each, 2)
	var b strings.Builder
	b.WriteString(head("Inline bomb", "inline-bomb", "Content-Type: text/plain"))
	b.WriteString("\nHello,\n\n")
	for i := 0; i < blocks; i++ {
		b.Write(encryptPackets(t, team, bomb, true))
		fmt.Fprintf(&b, "\nblock %d\n", i)
	}
	return b.String()
}

// mimeBombMail is a PGP/MIME mail whose encrypted part inflates to n bytes.
func mimeBombMail(t testing.TB, team *pgp.TeamKey, n int64) string {
	t.Helper()
	return pgpMIME(head("MIME bomb", "mime-bomb", ""), string(encryptPackets(t, team, zeroBomb(t, n, 3), true)))
}
