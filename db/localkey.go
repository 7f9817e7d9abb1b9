package db

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"
)

// LocalKeyFile is the name of the local key file, beside the database file
// in the data directory.
const LocalKeyFile = "local.key"

// localKeyCheckSetting holds a keyed hash made with the local key, so that
// opening a database with another key file (or none) is noticed instead of
// silently creating a new key that opens nothing.
const localKeyCheckSetting = "localkey:check"

// sealedSecretPrefix marks a value sealed with the local key, so a reader
// can tell it from a value written before secrets were encrypted.
const sealedSecretPrefix = "lk1:"

// LocalKey is the key of the secrets the portal keeps in its database (TOTP
// secrets, webhook secrets) and of keyed hashes that must work while report
// data is sealed (acknowledgement caps). It is 32 random bytes in a file of
// the data directory (mode 0600), never in the database, so a copy of the
// database or of a backup alone opens none of those secrets and cannot test
// guesses against those hashes. Each purpose gets its own subkey (HKDF-SHA256);
// values are sealed with XChaCha20-Poly1305, bound to their purpose.
type LocalKey struct {
	master  []byte
	subkeys sync.Map // purpose → []byte, derived once
}

// LoadLocalKey reads the key file at path, creating it with a fresh key when
// it does not exist and create is set.
func LoadLocalKey(path string, create bool) (*LocalKey, error) {
	buf, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		return createLocalKey(path)
	} else if err != nil {
		return nil, fmt.Errorf("db: read local key: %w", err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(buf)))
	if err != nil || len(raw) != 32 {
		return nil, Errorf(EINVALID, "The local key file %s is damaged: it must hold 64 hexadecimal digits.", path)
	}
	return &LocalKey{master: raw}, nil
}

func createLocalKey(path string) (*LocalKey, error) {
	k, err := newLocalKey()
	if err != nil {
		return nil, err
	}
	// Two processes starting at once cannot each create a key: the loser
	// reads the winner's.
	if err := k.writeNew(path); errors.Is(err, fs.ErrExist) {
		return LoadLocalKey(path, false)
	} else if err != nil {
		return nil, err
	}
	return k, nil
}

func newLocalKey() (*LocalKey, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("db: local key randomness: %w", err)
	}
	return &LocalKey{master: raw}, nil
}

// writeNew writes the key to path, which must not exist (fs.ErrExist):
// to a temporary name first, synced, then linked into place, so the file
// is never seen half-written and never replaces another key.
func (k *LocalKey) writeNew(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".local-key-*")
	if err != nil {
		return fmt.Errorf("db: create local key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("db: create local key: %w", err)
	}
	if _, err := io.WriteString(tmp, hex.EncodeToString(k.master)+"\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("db: write local key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("db: write local key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("db: write local key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("db: create local key: %w", err)
	}
	return nil
}

// subkey derives the key of one purpose, once: keyed hashes of addresses
// run on every acknowledgement and mailed reply.
func (k *LocalKey) subkey(purpose string) []byte {
	if v, ok := k.subkeys.Load(purpose); ok {
		return v.([]byte)
	}
	out := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, k.master, nil, []byte("disclose local key: "+purpose)), out); err != nil {
		panic("db: hkdf: " + err.Error()) // cannot happen for 32 bytes of SHA-256
	}
	k.subkeys.Store(purpose, out)
	return out
}

// Seal encrypts a secret for the given purpose. The result is text, safe to
// keep in a TEXT column.
func (k *LocalKey) Seal(purpose string, plaintext []byte) (string, error) {
	aead, err := chacha20poly1305.NewX(k.subkey(purpose))
	if err != nil {
		return "", fmt.Errorf("db: local key: %w", err)
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("db: local key randomness: %w", err)
	}
	out := aead.Seal(nonce, nonce, plaintext, []byte(purpose))
	return sealedSecretPrefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal made for the same purpose.
func (k *LocalKey) Open(purpose, sealed string) ([]byte, error) {
	if !IsLocallySealed(sealed) {
		return nil, fmt.Errorf("db: local key: value is not sealed")
	}
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, sealedSecretPrefix))
	if err != nil {
		return nil, fmt.Errorf("db: local key: %w", err)
	}
	aead, err := chacha20poly1305.NewX(k.subkey(purpose))
	if err != nil {
		return nil, fmt.Errorf("db: local key: %w", err)
	}
	if len(raw) < aead.NonceSize() {
		return nil, fmt.Errorf("db: local key: sealed value too short")
	}
	out, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(purpose))
	if err != nil {
		return nil, fmt.Errorf("db: local key: cannot open a %s secret (another key file?): %w", purpose, err)
	}
	return out, nil
}

// Hash is a keyed hash (HMAC-SHA256 under the purpose's subkey): equal
// inputs give equal hashes, and without the key file no one can compute or
// test one.
func (k *LocalKey) Hash(purpose string, msg []byte) []byte {
	m := hmac.New(sha256.New, k.subkey(purpose))
	m.Write(msg)
	return m.Sum(nil)
}

// IsLocallySealed reports whether a stored value was made by LocalKey.Seal.
func IsLocallySealed(v string) bool { return strings.HasPrefix(v, sealedSecretPrefix) }

// checkValue is what the database keeps to recognise its key.
func (k *LocalKey) checkValue() string {
	return hex.EncodeToString(k.Hash("check", []byte("disclose local key check")))
}

// openLocalKey loads the key file beside the database and ties it to the
// database: the first key a database sees is recorded (as a keyed hash),
// and a later start with another key, or with the file missing, is refused
// rather than making a new key that opens nothing. It runs after the
// migrations, and then seals what an older database still holds in clear.
func (db *DB) openLocalKey(ctx context.Context) error {
	path := filepath.Join(filepath.Dir(db.Path), LocalKeyFile)
	var stored string
	err := db.write.QueryRowContext(ctx, `SELECT CAST(value AS TEXT) FROM settings WHERE key = ?`, localKeyCheckSetting).Scan(&stored)
	known := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("db: read local key check: %w", err)
	}
	k, err := LoadLocalKey(path, !known)
	if errors.Is(err, fs.ErrNotExist) {
		return Errorf(EINVALID, "The local key file %s is missing, and this database was made with one: copy it back from where you keep it (backups do not hold it). Without it two-factor and webhook secrets cannot be read; if it is lost for good, run `disclose secrets reset` to start with a new key (two-factor sign-in is turned off for every account, webhooks get new secrets).", path)
	} else if err != nil {
		return err
	}
	if known {
		if subtle.ConstantTimeCompare([]byte(stored), []byte(k.checkValue())) != 1 {
			return Errorf(EINVALID, "The local key file %s is not the one this database was made with: copy the right one back (backups do not hold it). If the right one is lost for good, move this one aside and run `disclose secrets reset`.", path)
		}
	} else if err := db.exec(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)`, localKeyCheckSetting, k.checkValue()); err != nil {
		return fmt.Errorf("db: store local key check: %w", err)
	}
	db.localKey = k
	return db.sealPlaintextSecrets(ctx)
}

// LocalKey returns the database's local key.
func (db *DB) LocalKey() *LocalKey { return db.localKey }
