package handlers_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/handlers"
)

// What finishing a passkey sign-in with the worst form a stranger can
// send may allocate, client and portal together. A form over 64 KiB is
// refused before it is read (bodybudget_forms.go); under it, a credential
// field over 64 KiB would be refused unread. Measured (shared 2-core
// machine): 0.1 MiB for the 10 MB form (33 MiB when it was read whole),
// 0.4 MiB for a credential of 50 KB that go-webauthn parses and refuses.
const passkeyFinishAllocs = 4 << 20

// TestPasskeyCost sends passkey sign-ins a stranger can write: the largest
// form, a credential just under the field's bound whose clientDataJSON and
// attestation are huge. Each finish is refused with what it allocated
// measured. Floods of ceremony starts: TestPasskeySignInFlood.
func TestPasskeyCost(t *testing.T) {
	if testing.Short() {
		t.Skip("sends a 10 MB form")
	}
	p := newPortal(t, configure(onLocalhost), configure(func(c *handlers.Config) {
		c.MaxBody = 60 << 20 // serve's
		c.SSORate = handlers.RateLimit{}
	}))
	b := p.browser(t)
	b.get("/login")
	big := base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat(`{"type":"webauthn.get","challenge":"x"}`, 1200)))
	cred, _ := json.Marshal(map[string]any{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": map[string]string{
		"clientDataJSON": big[:20<<10], "authenticatorData": big[:20<<10], "signature": big[:10<<10], "userHandle": "AAAAAAAAAAE"}})
	for _, tc := range []struct {
		name, credential string
	}{
		{"10 MB form", strings.Repeat("A", 10<<20-1024)},
		{"64 KiB credential", string(cred)},
	} {
		if pg := b.post("/login/passkey/begin", nil); pg.Status != http.StatusOK {
			t.Fatalf("begin: %d %s", pg.Status, pg.Body)
		}
		form := url.Values{"csrf": {b.csrf}, "credential": {tc.credential}}.Encode()
		runtime.GC()
		before := heapAllocated()
		start := time.Now()
		pg := b.send(http.MethodPost, "/login/passkey", "application/x-www-form-urlencoded", strings.NewReader(form))
		took, allocs := time.Since(start), heapAllocated()-before
		t.Logf("%-18s %8d bytes: %d, %6d KiB allocated, %v", tc.name, len(form), pg.Status, allocs>>10, took.Round(time.Millisecond))
		if pg.Status == http.StatusSeeOther || pg.Status == http.StatusOK && strings.Contains(pg.Body, "Sign out") {
			t.Fatalf("%s: signed in", tc.name)
		}
		if allocs > passkeyFinishAllocs {
			t.Errorf("%s: the request allocated %d MiB, want at most %d MiB", tc.name, allocs>>20, passkeyFinishAllocs>>20)
		}
	}

}
