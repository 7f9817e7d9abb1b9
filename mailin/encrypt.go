package mailin

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
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
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	pk, err := pgp.ParsePublicKey(recipientKey, now)
	if err != nil {
		return "", nil, nil, fmt.Errorf("reporter key: %w", err)
	}
	armored, _, err := p.Key.EncryptTo(entity, []*pgp.PublicKey{pk})
	if err != nil {
		return "", nil, nil, err
	}
	rnd := make([]byte, 12)
	if _, err := rand.Read(rnd); err != nil {
		return "", nil, nil, fmt.Errorf("boundary randomness: %w", err)
	}
	boundary := "pgp-" + hex.EncodeToString(rnd)
	armored = strings.ReplaceAll(strings.ReplaceAll(armored, "\r\n", "\n"), "\n", "\r\n")
	var b strings.Builder
	b.WriteString("This is an OpenPGP/MIME encrypted message (RFC 3156).\r\n")
	b.WriteString("--" + boundary + "\r\n")
	b.WriteString("Content-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n")
	b.WriteString("--" + boundary + "\r\n")
	b.WriteString("Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\nContent-Description: OpenPGP encrypted message\r\n")
	b.WriteString("Content-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n")
	b.WriteString(strings.TrimRight(armored, "\r\n") + "\r\n")
	b.WriteString("--" + boundary + "--\r\n")
	return "multipart/encrypted", map[string]string{"protocol": "application/pgp-encrypted", "boundary": boundary}, []byte(b.String()), nil
}
