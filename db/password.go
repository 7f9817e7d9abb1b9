package db

import (
	"fmt"

	"github.com/disclose/disclose/db/password"
)

// Argon2Params are the argon2id cost settings of Auth (db/password hashes).
type Argon2Params = password.Params

// DefaultArgon2 is db/password's default cost.
var DefaultArgon2 = password.Default

// MinPasswordLen is the shortest password a form accepts.
const MinPasswordLen = password.MinLen

// The accounts, login and token code hash and check through db/password;
// these names keep their call sites short.
var (
	hashPassword     = password.Hash
	checkPassword    = password.Check
	burnPasswordTime = password.Burn
)

// ValidatePassword checks a new password and its repetition, returning
// messages per field ("password", "password2").
func ValidatePassword(pw, again string) FieldErrors {
	errs := FieldErrors{}
	switch n := len([]rune(pw)); {
	case n < MinPasswordLen:
		errs["password"] = fmt.Sprintf("Use at least %d characters; a few unrelated words make a good password.", MinPasswordLen)
	case len(pw) > password.MaxLen:
		errs["password"] = fmt.Sprintf("Use at most %d bytes.", password.MaxLen)
	case pw != again:
		errs["password2"] = "The two passwords differ."
	}
	return errs
}
