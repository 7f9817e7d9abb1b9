package pgp

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	pgpcrypto "github.com/ProtonMail/gopenpgp/v2/crypto"
)

// ErrNotSigned says an inline block announced as cleartext-signed could not
// be read as one (damaged armor).
var ErrNotSigned = errors.New("pgp: the signed message is damaged")

// VerifyCleartext reads an inline cleartext-signed block (BEGIN PGP SIGNED
// MESSAGE) and checks its signature against signerKeys. It returns the
// signed text without the dash-escaping and armor. RFC 4880 section 7.1:
// trailing whitespace of each line is not part of what was signed.
func VerifyCleartext(armored []byte, signerKeys []*PublicKey, now time.Time) (string, Signature, error) {
	m, err := pgpcrypto.NewClearTextMessageFromArmored(string(armored))
	if err != nil {
		return "", "", ErrNotSigned
	}
	text := trimLines(m.GetString())
	verify, err := signers(signerKeys)
	if err != nil {
		return "", "", err
	}
	if len(verify.GetKeys()) == 0 {
		return text, UnknownKey, nil
	}
	st, err := sigStatus(verify.VerifyDetached(pgpcrypto.NewPlainMessageFromString(text), pgpcrypto.NewPGPSignature(m.GetBinarySignature()), now.Unix()))
	if err != nil {
		return text, BadSig, nil
	}
	return text, st, nil
}

func trimLines(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	return strings.Join(lines, "\n")
}

// ParsePublicKeyBinary is ParsePublicKey for a key without armor, as an
// Autocrypt header (keydata=) or a binary key attachment carries it.
func ParsePublicKeyBinary(b []byte, now time.Time) (*PublicKey, error) {
	k, err := pgpcrypto.NewKey(b)
	if err != nil {
		return nil, &keyError{"This key could not be read."}
	}
	if k.IsPrivate() {
		return nil, &keyError{"This is a private key; it was not kept."}
	}
	a, err := k.GetArmoredPublicKey()
	if err != nil {
		return nil, &keyError{"This key could not be read."}
	}
	return ParsePublicKey(a, now)
}

// SignerOf returns the key among keys for which check says Verified, to name
// the signer on the timeline; nil when none does.
func SignerOf(check func([]*PublicKey) Signature, keys []*PublicKey) *PublicKey {
	if len(keys) == 1 {
		return keys[0]
	}
	for _, k := range keys {
		if check([]*PublicKey{k}) == Verified {
			return k
		}
	}
	return nil
}

// SignDetached makes an armored detached signature of data by the team key,
// as a multipart/signed mail carries it (RFC 3156), and the micalg parameter
// naming the hash it used ("pgp-sha256"). It needs the unlocked key.
func (t *TeamKey) SignDetached(data []byte) (armored, micalg string, err error) {
	var sig *pgpcrypto.PGPSignature
	if err := t.withRing(func(ring *pgpcrypto.KeyRing) error {
		if sig, err = ring.SignDetached(pgpcrypto.NewPlainMessage(data)); err != nil {
			return fmt.Errorf("pgp: sign: %w", err)
		}
		return nil
	}); err != nil {
		return "", "", err
	}
	p, err := packet.Read(bytes.NewReader(sig.GetBinary()))
	if err != nil {
		return "", "", fmt.Errorf("pgp: read own signature: %w", err)
	}
	s, ok := p.(*packet.Signature)
	if !ok {
		return "", "", errors.New("pgp: own signature is not a signature packet")
	}
	names := map[crypto.Hash]string{crypto.SHA256: "pgp-sha256", crypto.SHA384: "pgp-sha384", crypto.SHA512: "pgp-sha512", crypto.SHA224: "pgp-sha224"}
	micalg, ok = names[s.Hash]
	if !ok {
		return "", "", fmt.Errorf("pgp: unexpected signature hash %v", s.Hash)
	}
	a, err := sig.GetArmored()
	if err != nil {
		return "", "", fmt.Errorf("pgp: armor signature: %w", err)
	}
	return a, micalg, nil
}
