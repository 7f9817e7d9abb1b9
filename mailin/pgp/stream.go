package pgp

import (
	"fmt"
	"io"

	pgpcrypto "github.com/ProtonMail/gopenpgp/v2/crypto"
)

// SealTo returns a writer that encrypts what it is given to the team key and
// writes the OpenPGP message to dst; Close finishes the message. It streams,
// so a backup of any size is sealed without holding it in memory, and it
// needs only the public key.
func (t *TeamKey) SealTo(dst io.Writer) (io.WriteCloser, error) {
	ring, err := t.publicRing()
	if err != nil {
		return nil, err
	}
	w, err := ring.EncryptStream(dst, pgpcrypto.NewPlainMessageMetadata(true, "", 0), nil)
	if err != nil {
		return nil, fmt.Errorf("pgp: seal stream: %w", err)
	}
	return w, nil
}

// OpenFrom decrypts a message SealTo wrote, as a stream; it needs the
// unlocked key. A damaged message shows as a read error.
func (t *TeamKey) OpenFrom(src io.Reader) (io.Reader, error) {
	ring, err := t.signer()
	if err != nil {
		return nil, err
	}
	r, err := ring.DecryptStream(src, nil, 0)
	if err != nil {
		return nil, classifyDecryptError(err)
	}
	return r, nil
}
