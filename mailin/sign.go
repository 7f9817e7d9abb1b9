package mailin

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/disclose/disclose/mailin/pgp"
)

// PGPSigner signs outgoing mail that is not encrypted, as RFC 3156
// multipart/signed, with the team key; reporters' mail programs show the
// mail as coming from the key published in security.txt.
type PGPSigner struct {
	Key *pgp.TeamKey
}

// Sign wraps entity (content headers and body) as multipart/signed. It
// returns pgp.ErrLocked while the key is locked: the caller then sends the
// mail unsigned rather than hold it.
func (s *PGPSigner) Sign(entity []byte) (mediaType string, params map[string]string, body []byte, err error) {
	signed := bytes.TrimRight(crlf(entity), "\r\n")
	signed = append(signed, '\r', '\n')
	sig, micalg, err := s.Key.SignDetached(signed)
	if err != nil {
		return "", nil, nil, err
	}
	rnd := make([]byte, 12)
	if _, err := rand.Read(rnd); err != nil {
		return "", nil, nil, fmt.Errorf("mailin: boundary randomness: %w", err)
	}
	boundary := "sig-" + hex.EncodeToString(rnd)
	var b bytes.Buffer
	b.WriteString("This is an OpenPGP/MIME signed message (RFC 4880 and 3156).\r\n")
	b.WriteString("--" + boundary + "\r\n")
	b.Write(signed)
	b.WriteString("\r\n--" + boundary + "\r\n")
	b.WriteString("Content-Type: application/pgp-signature; name=\"signature.asc\"\r\nContent-Description: OpenPGP digital signature\r\n")
	b.WriteString("Content-Disposition: attachment; filename=\"signature.asc\"\r\n\r\n")
	b.Write(crlf([]byte(sig)))
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return "multipart/signed", map[string]string{"protocol": "application/pgp-signature", "micalg": micalg, "boundary": boundary}, b.Bytes(), nil
}
