package pgp

import (
	"crypto"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	pgpcrypto "github.com/ProtonMail/gopenpgp/v2/crypto"
)

// KeyFile is the name of the team key in the data directory: the armored,
// passphrase-locked private key (its public part is readable without the
// passphrase, so intake and publication work while it is locked).
const KeyFile = "team-key.asc"

// ErrLocked says the private key is needed and has not been unlocked.
var ErrLocked = errors.New("pgp: the team key is locked")

// ErrWrongPassphrase says an unlock failed.
var ErrWrongPassphrase = errors.New("pgp: wrong passphrase for the team key")

// TeamKey is the security team's OpenPGP key. The public part is always
// there; the unlocked private key lives only in memory.
type TeamKey struct {
	locked *pgpcrypto.Key // as stored: passphrase-protected

	// LockWait is how long Lock waits for uses of the private key in
	// progress (0: DefaultLockWait).
	LockWait time.Duration

	mu       sync.Mutex
	unlocked *unlockedKey // nil while locked
	// lockBegun, in tests, runs once Lock refuses new uses and before it
	// waits for the ones in progress.
	lockBegun func()

	// The public key ring Seal encrypts to, built once: copying the key out
	// of the locked one re-verifies its signatures, which cost more than
	// the encryption itself.
	pubOnce sync.Once
	pub     *pgpcrypto.KeyRing
	pubErr  error
}

// KeyInfo is what `disclose key show` and the pages say about the key.
type KeyInfo struct {
	Fingerprint string
	Created     time.Time
	Expires     time.Time // zero: never
	UserIDs     []string
	Algorithm   string
}

// GenerateOptions choose the kind of key `disclose key generate` makes.
type GenerateOptions struct {
	Name, Email string
	RSA         bool          // RSA-4096 instead of the default curve25519
	Lifetime    time.Duration // 0: never expires
}

// Generate makes a new team key locked with passphrase.
func Generate(opt GenerateOptions, passphrase []byte, now time.Time) (*TeamKey, error) {
	if len(passphrase) < 8 {
		return nil, errors.New("pgp: the passphrase must be at least 8 characters")
	}
	cfg := &packet.Config{
		Algorithm:     packet.PubKeyAlgoEdDSA,
		Curve:         packet.Curve25519,
		DefaultHash:   crypto.SHA256,
		DefaultCipher: packet.CipherAES256,
		Time:          func() time.Time { return now },
	}
	if opt.RSA {
		cfg.Algorithm, cfg.RSABits, cfg.Curve = packet.PubKeyAlgoRSA, 4096, ""
	}
	if opt.Lifetime > 0 {
		cfg.KeyLifetimeSecs = uint32(opt.Lifetime / time.Second)
	}
	entity, err := openpgp.NewEntity(opt.Name, "", opt.Email, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgp: generate key: %w", err)
	}
	key, err := pgpcrypto.NewKeyFromEntity(entity)
	if err != nil {
		return nil, fmt.Errorf("pgp: generate key: %w", err)
	}
	return lockNew(key, passphrase)
}

// Import reads an armored private key. A key without a passphrase is locked
// with passphrase; a protected one must unlock with it.
func Import(armored string, passphrase []byte) (*TeamKey, error) {
	key, err := pgpcrypto.NewKeyFromArmored(armored)
	if err != nil {
		return nil, errors.New("pgp: this file is not an armored OpenPGP key")
	}
	if !key.IsPrivate() {
		return nil, errors.New("pgp: this is a public key; the team key must include its private part")
	}
	if isLocked, _ := key.IsLocked(); isLocked {
		unlocked, err := key.Unlock(passphrase)
		if err != nil {
			return nil, ErrWrongPassphrase
		}
		key = unlocked
	}
	if !key.CanEncrypt() {
		return nil, errors.New("pgp: this key cannot encrypt (expired, revoked or no encryption subkey)")
	}
	return lockNew(key, passphrase)
}

func lockNew(unlockedKey *pgpcrypto.Key, passphrase []byte) (*TeamKey, error) {
	locked, err := unlockedKey.Lock(passphrase)
	if err != nil {
		return nil, fmt.Errorf("pgp: lock key: %w", err)
	}
	t := &TeamKey{locked: locked}
	if err := t.Unlock(passphrase); err != nil {
		return nil, err
	}
	return t, nil
}

// LoadTeamKey reads the key file; it returns (nil, nil) when there is none,
// since a portal without a key is a supported setup.
func LoadTeamKey(path string) (*TeamKey, error) {
	buf, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("pgp: read team key: %w", err)
	}
	key, err := pgpcrypto.NewKeyFromArmored(string(buf))
	if err != nil {
		return nil, fmt.Errorf("pgp: %s is not an armored OpenPGP key: %w", path, err)
	}
	if isLocked, _ := key.IsLocked(); !isLocked {
		return nil, fmt.Errorf("pgp: %s holds an unprotected private key; re-import it with a passphrase", path)
	}
	return &TeamKey{locked: key}, nil
}

// Save writes the locked key with owner-only permissions, atomically.
func (t *TeamKey) Save(path string) error {
	armored, err := t.locked.Armor()
	if err != nil {
		return fmt.Errorf("pgp: armor team key: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(armored), 0o600); err != nil {
		return fmt.Errorf("pgp: write team key: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("pgp: write team key: %w", err)
	}
	return nil
}

// Unlock decrypts the private key into memory.
func (t *TeamKey) Unlock(passphrase []byte) error {
	key, err := t.locked.Unlock(passphrase)
	if err != nil {
		return ErrWrongPassphrase
	}
	ring, err := pgpcrypto.NewKeyRing(key)
	if err != nil {
		return fmt.Errorf("pgp: key ring: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.unlocked != nil {
		// Unlocked already, with the same key: the uses in progress keep
		// the ring they have.
		ring.ClearPrivateParams()
		return nil
	}
	t.unlocked = &unlockedKey{ring: ring, uses: map[*keyUse]struct{}{}}
	return nil
}

// Lock forgets the unlocked private key. From its call on nothing new uses
// the key (Unlocked is false, every operation fails with ErrLocked). The
// uses in progress (a value being opened, a signature, a decrypting stream
// such as an attachment being downloaded or a mail being decrypted) may
// end for up to LockWait; Lock then cuts those left (their next read fails
// with ErrLocked: a download ends incomplete, a mail's decryption waits
// for the next unlock) and wipes the private key, which no use touches any
// more. Lock returns once the key is wiped.
func (t *TeamKey) Lock() {
	t.mu.Lock()
	k := t.unlocked
	t.unlocked = nil
	t.mu.Unlock()
	if t.lockBegun != nil {
		t.lockBegun()
	}
	if k != nil {
		t.retire(k)
	}
}

// Unlocked reports whether the private key is in memory.
func (t *TeamKey) Unlocked() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.unlocked != nil
}

// ArmoredPublic is the public key as published.
func (t *TeamKey) ArmoredPublic() (string, error) { return t.locked.GetArmoredPublicKey() }

// PublicBinary is the public key without armor, as Web Key Directory serves it.
func (t *TeamKey) PublicBinary() ([]byte, error) { return t.locked.GetPublicKey() }

// Info describes the key.
func (t *TeamKey) Info() KeyInfo {
	e := t.locked.GetEntity()
	info := KeyInfo{Fingerprint: strings.ToUpper(t.locked.GetFingerprint()), Created: e.PrimaryKey.CreationTime.UTC()}
	if sig, _ := e.PrimarySelfSignature(); sig != nil && sig.KeyLifetimeSecs != nil && *sig.KeyLifetimeSecs > 0 {
		info.Expires = info.Created.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second)
	}
	for name := range e.Identities {
		info.UserIDs = append(info.UserIDs, name)
	}
	switch e.PrimaryKey.PubKeyAlgo {
	case packet.PubKeyAlgoEdDSA, packet.PubKeyAlgoEd25519:
		info.Algorithm = "ed25519/cv25519"
	case packet.PubKeyAlgoRSA:
		bits, _ := e.PrimaryKey.BitLength()
		info.Algorithm = fmt.Sprintf("rsa%d", bits)
	default:
		info.Algorithm = fmt.Sprintf("algorithm %d", e.PrimaryKey.PubKeyAlgo)
	}
	return info
}

// ExpiresWithin reports whether the key expires before now+d (false for a
// key that never expires).
func (i KeyInfo) ExpiresWithin(now time.Time, d time.Duration) bool {
	return !i.Expires.IsZero() && i.Expires.Before(now.Add(d))
}

// SignCleartext makes an OpenPGP cleartext-signed message of text (as
// security.txt carries it); it needs the unlocked key.
func (t *TeamKey) SignCleartext(text string) (string, error) {
	msg := pgpcrypto.NewPlainMessageFromString(text)
	var sig *pgpcrypto.PGPSignature
	if err := t.withRing(func(ring *pgpcrypto.KeyRing) error {
		var err error
		if sig, err = ring.SignDetached(msg); err != nil {
			return fmt.Errorf("pgp: sign: %w", err)
		}
		return nil
	}); err != nil {
		return "", err
	}
	return pgpcrypto.NewClearTextMessage(msg.GetBinary(), sig.GetBinary()).GetArmored()
}
