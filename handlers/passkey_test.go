package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestPasskeyRegisterNeedsRecentSignIn: a session older than the
// re-authentication window cannot start adding a passkey, nor finish one.
func TestPasskeyRegisterNeedsRecentSignIn(t *testing.T) {
	p := newPortal(t, configure(onLocalhost))
	p.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	b := p.browser(t)
	b.mustLogin("tri@example.org")
	if pg := b.post("/account/passkeys/begin", nil); pg.Status != http.StatusOK || !strings.Contains(pg.Body, `"challenge"`) {
		t.Fatalf("fresh session: %d %s", pg.Status, pg.Body)
	}
	p.clock.Advance(p.DB.ReauthWindow() + time.Minute)
	pg := b.post("/account/passkeys/begin", nil)
	var body map[string]string
	json.Unmarshal([]byte(pg.Body), &body)
	if pg.Status != http.StatusForbidden || !strings.HasPrefix(body["reauth"], "/account/reauth") {
		t.Fatalf("stale session: %d %s", pg.Status, pg.Body)
	}
	if pg := b.post("/account/passkeys", map[string][]string{"name": {"Key"}, "credential": {"{}"}}); pg.Status != http.StatusSeeOther ||
		!strings.HasPrefix(pg.Location, "/account/reauth") {
		t.Fatalf("finish with a stale session: %d %s", pg.Status, pg.Location)
	}
	if pg := b.get("/account/passkeys"); !strings.Contains(pg.Body, `data-testid="passkey-reauth"`) || strings.Contains(pg.Body, "passkey-add-form") {
		t.Error("the page offers to add a passkey to a stale session")
	}
}

// TestPasskeySecondFactorNoOracle: the start of the passkey step answers
// the same to a right password, a decoy of an account under attack and no
// pending sign-in at all: a challenge and no list of credentials.
func TestPasskeySecondFactorNoOracle(t *testing.T) {
	p := newPortal(t, configure(onLocalhost))
	u := p.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	if _, err := p.DB.AddPasskey(context.Background(), u.ID, []byte("cred"), "Key", "{}", db.ActorSystem); err != nil {
		t.Fatal(err)
	}
	shape := func(b *browser) string {
		t.Helper()
		pg := b.post("/login/code/passkey/begin", nil)
		if pg.Status != http.StatusOK {
			t.Fatalf("begin: %d %s", pg.Status, pg.Body)
		}
		var opts struct {
			PublicKey map[string]any `json:"publicKey"`
		}
		if err := json.Unmarshal([]byte(pg.Body), &opts); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range opts.PublicKey {
			keys = append(keys, k)
		}
		if _, ok := opts.PublicKey["allowCredentials"]; ok {
			t.Errorf("the options list credentials: %s", pg.Body)
		}
		return strings.Join(sortedStrings(keys), ",")
	}
	right := p.browser(t)
	if pg := right.login("tri@example.org", testPassword); !strings.HasPrefix(pg.Location, "/login/code") {
		t.Fatalf("password step: %d %s", pg.Status, pg.Location)
	}
	none := p.browser(t)
	none.get("/login")
	if a, b := shape(right), shape(none); a != b {
		t.Errorf("right password %q, no sign-in %q", a, b)
	}
}

func sortedStrings(s []string) []string { sort.Strings(s); return s }
