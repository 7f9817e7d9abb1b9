package pgp_test

import (
	"testing"

	"github.com/disclose/disclose/mailin/pgp"
)

func TestWKDHash(t *testing.T) {
	// The example of draft-koch-openpgp-webkey-service: Joe.Doe@Example.ORG.
	if got, want := pgp.WKDHash("Joe.Doe"), "iy9q119eutrkn8s1mk4r39qejnbu3n5q"; got != want {
		t.Fatalf("WKDHash=%q, want %q", got, want)
	}
}
