package mailin

import (
	"errors"
	"fmt"
	"testing"

	"github.com/disclose/disclose/mailin/pgp"
)

// TestRecheckResult: a second check of a decrypted part's signature that
// could not run (the key locked meanwhile, the budget spent) leaves the
// signer unknown; only a check that ran and failed calls it bad. A lock
// during intake used to mark a good signature "bad".
func TestRecheckResult(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   pgp.Signature
		err  error
		want pgp.Signature
	}{
		{"Verified", pgp.Verified, nil, pgp.Verified},
		{"Unknown", pgp.UnknownKey, nil, pgp.UnknownKey},
		{"Locked", pgp.Unsigned, fmt.Errorf("decrypt: %w", pgp.ErrLocked), pgp.UnknownKey},
		{"OverBudget", pgp.Unsigned, fmt.Errorf("decrypt: %w", pgp.ErrTooLarge), pgp.UnknownKey},
		{"Damaged", pgp.Unsigned, errors.New("openpgp: invalid data"), pgp.BadSig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := recheckResult(tc.st, tc.err); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
