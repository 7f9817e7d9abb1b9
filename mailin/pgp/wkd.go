package pgp

import (
	"crypto/sha1"
	"encoding/base32"
	"strings"
)

// zbase32 is the encoding Web Key Directory names keys with.
var zbase32 = base32.NewEncoding("ybndrfg8ejkmcpqxot1uwisza345h769").WithPadding(base32.NoPadding)

// WKDHash is the Web Key Directory name of a mailbox's local part: the
// z-base-32 SHA-1 of its lower-cased form (draft-koch-openpgp-webkey-service).
// SHA-1 here is the lookup name the standard fixes, not a security measure.
func WKDHash(localPart string) string {
	sum := sha1.Sum([]byte(strings.ToLower(localPart)))
	return zbase32.EncodeToString(sum[:])
}
