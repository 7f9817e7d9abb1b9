package pgp

import (
	"bytes"
	"fmt"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	pgpcrypto "github.com/ProtonMail/gopenpgp/v2/crypto"
)

// SealSession starts a run of values sealed under one session key: the
// public-key packet (the curve25519 key agreement, nearly all of the cost of
// sealing) is made once, and each value sealed with seal is a complete
// OpenPGP message, that packet followed by its own integrity-protected data
// packet with a fresh random prefix, which Open or gpg --decrypt opens alone.
// The values of one report and the mail composed about it in the same
// transaction share a session; different reports never do, so a session key
// disclosed for one report (gpg --show-session-key) opens nothing else.
// sealTo is seal as a stream (an attachment, a raw mail): it writes the
// public-key packet to dst and returns the writer of the data packet, which
// Close finishes; the message is never held whole. done clears the session
// key; close every stream before. It needs only the public key.
func (t *TeamKey) SealSession() (seal func(plain []byte) ([]byte, error), sealTo func(dst io.Writer) (io.WriteCloser, error), done func(), err error) {
	ring, err := t.publicRing()
	if err != nil {
		return nil, nil, nil, err
	}
	sk, err := pgpcrypto.GenerateSessionKey()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("pgp: session key: %w", err)
	}
	keyPacket, err := ring.EncryptSessionKey(sk)
	if err != nil {
		sk.Clear()
		return nil, nil, nil, fmt.Errorf("pgp: seal: %w", err)
	}
	seal = func(plain []byte) ([]byte, error) {
		dataPacket, err := sk.Encrypt(pgpcrypto.NewPlainMessage(plain))
		if err != nil {
			return nil, fmt.Errorf("pgp: seal: %w", err)
		}
		return append(append(make([]byte, 0, len(keyPacket)+len(dataPacket)), keyPacket...), dataPacket...), nil
	}
	sealTo = func(dst io.Writer) (io.WriteCloser, error) {
		if _, err := dst.Write(keyPacket); err != nil {
			return nil, fmt.Errorf("pgp: seal stream: %w", err)
		}
		w, err := sk.EncryptStream(dst, pgpcrypto.NewPlainMessageMetadata(true, "", 0), nil)
		if err != nil {
			return nil, fmt.Errorf("pgp: seal stream: %w", err)
		}
		return w, nil
	}
	return seal, sealTo, func() { sk.Clear() }, nil
}

// OpenAll opens several sealed values at once (the fields of one row). Values
// sealed in one session carry the same public-key packet; its session key is
// decrypted once and used for each of them, so a report's five searchable
// fields cost one curve25519 operation instead of five. Each data packet is
// still checked for integrity on its own. It fails as a whole if one value
// does not open (the caller can then open them one by one to find it).
func (t *TeamKey) OpenAll(sealed [][]byte) ([][]byte, error) {
	out := make([][]byte, len(sealed))
	err := t.withRing(func(ring *pgpcrypto.KeyRing) error {
		var lastKey []byte
		var sk *pgpcrypto.SessionKey
		defer func() {
			if sk != nil {
				sk.Clear()
			}
		}()
		for i, s := range sealed {
			// A complete packet at the start of s is the public-key packet
			// the previous value began with: same session key, no parsing.
			if sk == nil || !bytes.HasPrefix(s, lastKey) {
				keyPacket, err := firstPacket(s)
				if err != nil {
					return err
				}
				if sk != nil {
					sk.Clear()
				}
				if sk, err = ring.DecryptSessionKey(keyPacket); err != nil {
					sk = nil
					return classifyDecryptError(err)
				}
				lastKey = keyPacket
			}
			plain, err := sk.Decrypt(s[len(lastKey):])
			if err != nil {
				return classifyDecryptError(err)
			}
			out[i] = plain.GetBinary()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// firstPacket returns the bytes of the public-key packet a sealed value
// starts with (packets carry their length, so the rest is the data packet).
func firstPacket(sealed []byte) ([]byte, error) {
	r := bytes.NewReader(sealed)
	p, err := packet.Read(r)
	if err != nil {
		return nil, classifyDecryptError(err)
	}
	if _, ok := p.(*packet.EncryptedKey); !ok {
		return nil, fmt.Errorf("%w (no public-key packet first)", ErrCorrupt)
	}
	return sealed[:len(sealed)-r.Len()], nil
}
