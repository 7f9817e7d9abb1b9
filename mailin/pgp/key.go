// Package pgp is the one place that touches OpenPGP (gopenpgp v2): parsing
// and checking keys, and later encrypting, decrypting, signing and sealing.
package pgp

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ProtonMail/gopenpgp/v2/crypto"
)

// PublicKey is a checked public key as a reporter gave it.
type PublicKey struct {
	Armored     string // the public part only, re-armored
	Fingerprint string // upper-case hex
	UserIDs     []string

	key *crypto.Key
}

// ErrBadKey is the kind of every error ParsePublicKey returns; its message is
// safe to show next to the form field.
var ErrBadKey = errors.New("pgp: bad key")

type keyError struct{ msg string }

func (e *keyError) Error() string { return e.msg }
func (e *keyError) Unwrap() error { return ErrBadKey }

// ParsePublicKey accepts an ASCII-armored OpenPGP public key that can encrypt
// and has not expired at now. A private key is refused so that it is never
// stored.
func ParsePublicKey(armored string, now time.Time) (*PublicKey, error) {
	armored = strings.TrimSpace(armored)
	if !strings.Contains(armored, "-----BEGIN PGP PUBLIC KEY BLOCK-----") {
		if strings.Contains(armored, "PRIVATE KEY BLOCK") {
			return nil, &keyError{"This is a private key. Never share it: paste your public key instead."}
		}
		return nil, &keyError{"Paste an ASCII-armored public key, starting with -----BEGIN PGP PUBLIC KEY BLOCK-----."}
	}
	key, err := crypto.NewKeyFromArmored(armored)
	if err != nil {
		return nil, &keyError{"This key could not be read; check that it was pasted whole."}
	}
	if key.IsPrivate() {
		return nil, &keyError{"This is a private key. Never share it: paste your public key instead."}
	}
	if key.IsRevoked() {
		return nil, &keyError{"This key has been revoked."}
	}
	if key.IsExpired() {
		return nil, &keyError{"This key has expired."}
	}
	if _, ok := key.GetEntity().EncryptionKey(now); !ok && key.CanEncrypt() {
		// Usable today but not at now: it has expired by then.
		return nil, &keyError{"This key has expired."}
	}
	if !key.CanEncrypt() {
		return nil, &keyError{"This key cannot be used for encryption; add an encryption subkey."}
	}
	pub, err := key.GetArmoredPublicKey()
	if err != nil {
		return nil, fmt.Errorf("pgp: armor public key: %w", err)
	}
	var ids []string
	for _, id := range key.GetEntity().Identities {
		ids = append(ids, id.Name)
	}
	return &PublicKey{Armored: pub, Fingerprint: strings.ToUpper(key.GetFingerprint()), UserIDs: ids, key: key}, nil
}
