package mailin

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/disclose/disclose/mailin/pgp"
)

// PGPMIME is the Encrypter for mail to reporters with a known key: the clear
// entity is encrypted to the reporter's key and to the team key (so the team
// can read what it sent), signed when the team key is unlocked, and wrapped
// as multipart/encrypted (RFC 3156).
type PGPMIME struct {
	Key *pgp.TeamKey
	Now func() time.Time
}

// Encrypt implements Encrypter.
func (p *PGPMIME) Encrypt(recipientKey string, entity []byte) (string, map[string]string, []byte, error) {
	var b bytes.Buffer
	var mt string
	var params map[string]string
	if err := p.EncryptInto(&b, recipientKey, entity, func(t string, ps map[string]string) error {
		mt, params = t, ps
		return nil
	}); err != nil {
		return "", nil, nil, err
	}
	return mt, params, b.Bytes(), nil
}

// EncryptInto is Encrypt writing into b: head, given the body's media type,
// writes what goes before the body (the message's header), then the body is
// written after it, its armored message as it is made, with CRLF line ends.
// So a reply with large files is held as its clear entity and the message,
// not again as a binary message, an armored string, their copies and a
// copy of the whole body into the message.
func (p *PGPMIME) EncryptInto(b *bytes.Buffer, recipientKey string, entity []byte, head func(mediaType string, params map[string]string) error) error {
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	pk, err := pgp.ParsePublicKey(recipientKey, now)
	if err != nil {
		return fmt.Errorf("reporter key: %w", err)
	}
	rnd := make([]byte, 12)
	if _, err := rand.Read(rnd); err != nil {
		return fmt.Errorf("boundary randomness: %w", err)
	}
	boundary := "pgp-" + hex.EncodeToString(rnd)
	b.Grow(len(entity)*140/100 + 8<<10) // base64 and line ends of the armor, the header
	if err := head("multipart/encrypted", map[string]string{"protocol": "application/pgp-encrypted", "boundary": boundary}); err != nil {
		return err
	}
	b.WriteString("This is an OpenPGP/MIME encrypted message (RFC 3156).\r\n")
	b.WriteString("--" + boundary + "\r\n")
	b.WriteString("Content-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n")
	b.WriteString("--" + boundary + "\r\n")
	b.WriteString("Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\nContent-Description: OpenPGP encrypted message\r\n")
	b.WriteString("Content-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n")
	if _, err := p.Key.EncryptArmoredTo(crlfWriter{b}, entity, []*pgp.PublicKey{pk}); err != nil {
		return err
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return nil
}

// crlfWriter writes to b with each "\n" as "\r\n" (the armor writes bare
// line feeds; a mail's lines end in CRLF).
type crlfWriter struct{ b *bytes.Buffer }

func (w crlfWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.b.Write(p)
			break
		}
		w.b.Write(p[:i])
		w.b.WriteString("\r\n")
		p = p[i+1:]
	}
	return n, nil
}
