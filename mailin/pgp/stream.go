package pgp

import (
	"fmt"
	"io"

	pgpcrypto "github.com/ProtonMail/gopenpgp/v2/crypto"
)

// SealTo returns a writer that encrypts what it is given to the team key and
// writes the OpenPGP message to dst; Close finishes the message. It streams,
// so a backup of any size, or an attachment, is sealed without holding it
// in memory, and it needs only the public key.
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

// OpenFrom decrypts a sealed message (SealTo's, Seal's or a session's) as a
// stream; it needs the unlocked key. The stream is a use of the key until
// it ends: read it to its end or Close it, or Lock waits for it (up to
// LockWait, then cuts it: its next Read fails with ErrLocked). A damaged
// message shows as a read error (ErrCorrupt), at the latest at its end,
// where the integrity check of the whole message is: what was read before
// an error must be thrown away.
func (t *TeamKey) OpenFrom(src io.Reader) (io.ReadCloser, error) {
	u, err := t.begin()
	if err != nil {
		return nil, err
	}
	var r io.Reader
	if err := u.do(func(ring *pgpcrypto.KeyRing) error {
		pr, err := ring.DecryptStream(src, nil, 0)
		if err != nil {
			return classifyDecryptError(err)
		}
		r = pr
		return nil
	}); err != nil {
		u.end()
		return nil, err
	}
	return &useReader{u: u, r: r, classify: true}, nil
}
