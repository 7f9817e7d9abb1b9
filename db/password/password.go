// Package password hashes staff passwords with argon2id (x/crypto) in the
// PHC string format, checks them in constant time, and bounds how many
// hashes run at once. It knows nothing of accounts or the database: db
// stores the strings it makes and decides when to check and rehash.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost settings. They are written into every
// hash, so raising them later only rehashes each password at its next login.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// Default follows the OWASP password storage recommendation for
// argon2id (19 MiB, 2 passes, 1 lane): about 30 ms on one core.
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	argonSaltLen = 16
	argonKeyLen  = 32
	// MinLen follows NIST SP 800-63B: length, not composition rules.
	MinLen = 12
	// MaxLen (bytes) bounds what one hash is asked to read.
	MaxLen = 1024
)

// Hash returns a PHC-format argon2id string:
// $argon2id$v=19$m=19456,t=2,p=1$salt$key.
func Hash(password string, p Params) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := argonKey([]byte(password), salt, p.Time, p.Memory, p.Threads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("password: malformed hash")

// parseHash reads the parameters, salt and key back from a PHC string.
func parseHash(encoded string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > 4<<20 || p.Time > 64 {
		return p, nil, nil, errBadHash
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) == 0 {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}

// Check reports whether password matches encoded, and whether the hash was
// made with parameters other than want (so it should be redone).
func Check(encoded, password string, want Params) (ok, stale bool) {
	p, salt, key, err := parseHash(encoded)
	if err != nil {
		return false, false
	}
	got := argonKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, p != want
}

// hashSlots bounds how many argon2id computations run at once. Each takes
// its Memory (19 MiB by default) for its whole run, and the login form is
// open to anyone: a few hundred parallel requests from many addresses
// (the lockout only counts a failure after its hash) would otherwise take
// gigabytes. The work is CPU-bound, so more at once than there are CPUs
// gains nothing; the others wait their turn.
var hashSlots = make(chan struct{}, max(runtime.GOMAXPROCS(0), 1))

// idKey is argon2.IDKey; a test replaces it to watch concurrency.
var idKey = argon2.IDKey

func argonKey(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return idKey(password, salt, time, memory, threads, keyLen)
}

var (
	dummyOnce sync.Once
	dummyHash string
)

// Burn spends the time of one password check, so a login for an address
// without an account takes as long as one with a wrong password.
func Burn(password string, p Params) {
	dummyOnce.Do(func() { dummyHash, _ = Hash("not a password of anyone", p) })
	Check(dummyHash, password, p)
}
