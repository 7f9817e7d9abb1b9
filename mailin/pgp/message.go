package pgp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/gopenpgp/v2/constants"
	pgpcrypto "github.com/ProtonMail/gopenpgp/v2/crypto"
)

// Signature is what a timeline entry says about a message's signature.
type Signature string

// Signature outcomes, as the timeline shows them.
const (
	Unsigned   Signature = "unsigned"
	Verified   Signature = "verified"    // signed, and the signer's key is known and the signature good
	UnknownKey Signature = "unknown_key" // signed by a key we do not have
	BadSig     Signature = "bad"         // the signature does not match
)

// Errors of decryption, each with a message fit for the timeline.
var (
	ErrNotForUs = errors.New("pgp: the message is not encrypted to the team key")
	ErrCorrupt  = errors.New("pgp: the encrypted message is damaged or truncated")
)

// Decrypted is a decrypted message with its signature outcome.
type Decrypted struct {
	Data      []byte
	Signature Signature
}

// isArmored tells armored input from binary packets.
func isArmored(b []byte) bool {
	return bytes.Contains(b[:min(len(b), 1024)], []byte("-----BEGIN PGP "))
}

// signers builds a key ring of the keys a signature may be checked against.
func signers(keys []*PublicKey) (*pgpcrypto.KeyRing, error) {
	ring, err := pgpcrypto.NewKeyRing(nil)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k == nil || k.key == nil {
			continue
		}
		if err := ring.AddKey(k.key); err != nil {
			return nil, fmt.Errorf("pgp: add signer key: %w", err)
		}
	}
	return ring, nil
}

func sigStatus(err error) (Signature, error) {
	var sve pgpcrypto.SignatureVerificationError
	if err == nil {
		return Verified, nil
	} else if !errors.As(err, &sve) {
		return "", err
	}
	switch sve.Status {
	case constants.SIGNATURE_NOT_SIGNED:
		return Unsigned, nil
	case constants.SIGNATURE_NO_VERIFIER:
		return UnknownKey, nil
	}
	return BadSig, nil
}

// MaxPlaintext bounds what Decrypt may expand one message to: OpenPGP
// compresses, so a small message could otherwise unpack to gigabytes in
// memory. Mail intake does not use Decrypt: it streams with DecryptTo under
// one Budget per mail.
var MaxPlaintext int64 = 64 << 20

// ErrTooLarge says a message decrypts to more than its budget allows.
var ErrTooLarge = errors.New("pgp: the decrypted message is too large")

// Decrypt decrypts a message (armored or binary) sent to the team key and
// checks its signature against the given keys, holding the plaintext (at
// most MaxPlaintext) in memory. It needs the unlocked key.
func (t *TeamKey) Decrypt(msg []byte, signerKeys []*PublicKey, now time.Time) (*Decrypted, error) {
	var plain bytes.Buffer
	st, err := t.DecryptTo(&plain, bytes.NewReader(msg), NewBudget(MaxPlaintext), signerKeys, now)
	if err != nil {
		return nil, err
	}
	return &Decrypted{Data: plain.Bytes(), Signature: st}, nil
}

func classifyDecryptError(err error) error {
	if err == nil {
		return ErrCorrupt
	}
	s := err.Error()
	switch {
	case strings.Contains(s, "incorrect key") || strings.Contains(s, "key not found") || strings.Contains(s, "no valid decryption key"):
		return ErrNotForUs
	}
	return fmt.Errorf("%w (%v)", ErrCorrupt, err)
}

// VerifyDetached checks a detached signature (multipart/signed) over data.
func VerifyDetached(data, sig []byte, signerKeys []*PublicKey, now time.Time) (Signature, error) {
	return VerifyDetachedReader(bytes.NewReader(data), sig, signerKeys, now)
}

// VerifyDetachedReader is VerifyDetached over data read as a stream, so a
// large signed part is never held whole.
func VerifyDetachedReader(data io.Reader, sig []byte, signerKeys []*PublicKey, now time.Time) (Signature, error) {
	verify, err := signers(signerKeys)
	if err != nil {
		return "", err
	}
	var ps *pgpcrypto.PGPSignature
	if isArmored(sig) {
		if ps, err = pgpcrypto.NewPGPSignatureFromArmored(string(sig)); err != nil {
			return BadSig, nil
		}
	} else {
		ps = pgpcrypto.NewPGPSignature(sig)
	}
	if len(verify.GetKeys()) == 0 {
		return UnknownKey, nil
	}
	st, err := sigStatus(verify.VerifyDetachedStream(data, ps, now.Unix()))
	if err != nil {
		return BadSig, nil
	}
	return st, nil
}

// EncryptArmoredTo is EncryptTo writing the armored message to w as it is
// made (lines end in "\n"), so that a large mail is not held again as a
// binary message, an armored string and copies of those.
func (t *TeamKey) EncryptArmoredTo(w io.Writer, data []byte, recipients []*PublicKey) (signed bool, err error) {
	to, err := t.recipientRing(recipients)
	if err != nil {
		return false, err
	}
	encrypt := func(sign *pgpcrypto.KeyRing) error {
		aw, err := armor.Encode(w, "PGP MESSAGE", nil)
		if err != nil {
			return fmt.Errorf("pgp: armor: %w", err)
		}
		pw, err := to.EncryptStream(aw, pgpcrypto.NewPlainMessageMetadata(true, "", 0), sign)
		if err != nil {
			return fmt.Errorf("pgp: encrypt: %w", err)
		}
		// In pieces: the OpenPGP writers buffer and copy what one Write
		// gives them, so one Write of a 70 MB mail held it twice more.
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 32<<10)
			if _, err := pw.Write(rest[:n]); err != nil {
				return fmt.Errorf("pgp: encrypt: %w", err)
			}
			rest = rest[n:]
		}
		if err := pw.Close(); err != nil {
			return fmt.Errorf("pgp: encrypt: %w", err)
		}
		if err := aw.Close(); err != nil {
			return fmt.Errorf("pgp: armor: %w", err)
		}
		signed = sign != nil
		return nil
	}
	// Signed while the key is unlocked, as one use of it (Lock waits for
	// the signature, made at the end, rather than wipe the key under it);
	// unsigned while it is locked.
	err = t.withRing(encrypt)
	if errors.Is(err, ErrLocked) {
		err = encrypt(nil)
	}
	return signed, err
}

// recipientRing is the recipients' keys and the team's public key.
func (t *TeamKey) recipientRing(recipients []*PublicKey) (*pgpcrypto.KeyRing, error) {
	to, err := signers(recipients)
	if err != nil {
		return nil, err
	}
	pub, err := t.locked.ToPublic()
	if err != nil {
		return nil, fmt.Errorf("pgp: public part: %w", err)
	}
	if err := to.AddKey(pub); err != nil {
		return nil, fmt.Errorf("pgp: add team key: %w", err)
	}
	return to, nil
}

// EncryptTo encrypts data to the recipients and to the team key (so the
// team can read its own sent mail), signed by the team key when it is
// unlocked. The result is armored.
func (t *TeamKey) EncryptTo(data []byte, recipients []*PublicKey) (armored string, signed bool, err error) {
	to, err := t.recipientRing(recipients)
	if err != nil {
		return "", false, err
	}
	// Signed while the key is unlocked, as one use of it (Lock waits for
	// the signature rather than wipe the key under it); sent unsigned
	// while it is locked.
	var m *pgpcrypto.PGPMessage
	encrypt := func(sign *pgpcrypto.KeyRing) error {
		var err error
		if m, err = to.Encrypt(pgpcrypto.NewPlainMessage(data), sign); err != nil {
			return fmt.Errorf("pgp: encrypt: %w", err)
		}
		signed = sign != nil
		return nil
	}
	err = t.withRing(encrypt)
	if errors.Is(err, ErrLocked) {
		err = encrypt(nil)
	}
	if err != nil {
		return "", false, err
	}
	a, err := m.GetArmored()
	if err != nil {
		return "", false, fmt.Errorf("pgp: armor: %w", err)
	}
	return a, signed, nil
}

// Seal encrypts data to the team key alone, for storage at rest. It needs
// only the public part, so intake keeps working while the key is locked.
func (t *TeamKey) Seal(data []byte) ([]byte, error) {
	ring, err := t.publicRing()
	if err != nil {
		return nil, err
	}
	m, err := ring.Encrypt(pgpcrypto.NewPlainMessage(data), nil)
	if err != nil {
		return nil, fmt.Errorf("pgp: seal: %w", err)
	}
	return m.GetBinary(), nil
}

// Open decrypts what Seal made; it needs the unlocked key.
func (t *TeamKey) Open(sealed []byte) ([]byte, error) {
	var out []byte
	err := t.withRing(func(ring *pgpcrypto.KeyRing) error {
		plain, err := ring.Decrypt(pgpcrypto.NewPGPMessage(sealed), nil, 0)
		if err != nil {
			return classifyDecryptError(err)
		}
		out = plain.GetBinary()
		return nil
	})
	return out, err
}

// publicRing is the team's public key ring, built on first use.
func (t *TeamKey) publicRing() (*pgpcrypto.KeyRing, error) {
	t.pubOnce.Do(func() {
		pub, err := t.locked.ToPublic()
		if err != nil {
			t.pubErr = fmt.Errorf("pgp: public part: %w", err)
			return
		}
		if t.pub, err = pgpcrypto.NewKeyRing(pub); err != nil {
			t.pubErr = fmt.Errorf("pgp: key ring: %w", err)
		}
	})
	return t.pub, t.pubErr
}

// SealAll seals several values that belong together (the fields of one
// report) as separate OpenPGP messages sharing one session key, so the
// curve25519 key agreement, which is nearly all of the cost, runs once
// instead of once per field. Each result is a complete message (the same
// public-key packet followed by its own encrypted data packet with a fresh
// random prefix) that Open, or gpg, decrypts alone.
func (t *TeamKey) SealAll(data [][]byte) ([][]byte, error) {
	ring, err := t.publicRing()
	if err != nil {
		return nil, err
	}
	sk, err := pgpcrypto.GenerateSessionKey()
	if err != nil {
		return nil, fmt.Errorf("pgp: session key: %w", err)
	}
	defer sk.Clear()
	keyPacket, err := ring.EncryptSessionKey(sk)
	if err != nil {
		return nil, fmt.Errorf("pgp: seal: %w", err)
	}
	out := make([][]byte, len(data))
	for i, d := range data {
		dataPacket, err := sk.Encrypt(pgpcrypto.NewPlainMessage(d))
		if err != nil {
			return nil, fmt.Errorf("pgp: seal: %w", err)
		}
		out[i] = append(append(make([]byte, 0, len(keyPacket)+len(dataPacket)), keyPacket...), dataPacket...)
	}
	return out, nil
}
