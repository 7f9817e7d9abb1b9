package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/mailin/pgp"
)

// wakingControl is the team key with a count of the pending passes an
// unlock started (cmd/disclose runs the real pass).
type wakingControl struct {
	*pgp.TeamKey
	woken int
}

func (w *wakingControl) Unlock(p []byte) error {
	if err := w.TeamKey.Unlock(p); err != nil {
		return err
	}
	w.woken++
	return nil
}

func TestAdminKey(t *testing.T) {
	key, err := pgp.Generate(pgp.GenerateOptions{Name: "Security", Email: "security@example.org", Lifetime: 20 * 24 * time.Hour}, []byte("right passphrase"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	key.Lock()
	ctl := &wakingControl{TeamKey: key}
	env := newPortal(t, configure(func(c *handlers.Config) { c.TeamKey, c.KeyControl = key, ctl }))
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	env.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	fpr := key.Info().Fingerprint

	t.Run("OK", func(t *testing.T) {
		b := env.browser(t)
		b.mustLogin("admin@example.org")
		p := b.get("/admin/key")
		for _, want := range []string{fpr, `data-testid="key-expires-soon"`, "Locked:", `action="/admin/key/unlock"`} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		p = b.post("/admin/key/unlock", url.Values{"passphrase": {"wrong"}})
		if got, want := p.Status, http.StatusUnprocessableEntity; got != want {
			t.Fatalf("wrong passphrase: status %d, want %d", got, want)
		}
		if !strings.Contains(p.Body, "This passphrase is wrong") || key.Unlocked() {
			t.Errorf("wrong passphrase: unlocked=%v, page says %q", key.Unlocked(), p.Body)
		}
		p = b.post("/admin/key/unlock", url.Values{"passphrase": {"right passphrase"}})
		if p.Status != http.StatusSeeOther || !key.Unlocked() || ctl.woken != 1 {
			t.Fatalf("unlock: status %d, unlocked %v, pending passes %d", p.Status, key.Unlocked(), ctl.woken)
		}
		if p = b.get(p.Location); !strings.Contains(p.Body, "The key is unlocked") || !strings.Contains(p.Body, `action="/admin/key/lock"`) {
			t.Errorf("after unlock the page says %q", p.Body)
		}
		if p = b.post("/admin/key/lock", nil); p.Status != http.StatusSeeOther || key.Unlocked() {
			t.Fatalf("lock: status %d, unlocked %v", p.Status, key.Unlocked())
		}
		acts, err := env.DB.AuditActions(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []string{"key.unlock.refused", "key.unlock", "key.lock"} {
			if acts[a] != 1 {
				t.Errorf("audit %s = %d, want 1", a, acts[a])
			}
		}
	})
	t.Run("ErrNotAdmin", func(t *testing.T) {
		b := env.browser(t)
		b.mustLogin("tri@example.org")
		if p := b.get("/admin/key"); p.Status != http.StatusForbidden && p.Status != http.StatusNotFound {
			t.Errorf("triager GET: status %d", p.Status)
		}
		if p := b.post("/admin/key/unlock", url.Values{"passphrase": {"right passphrase"}}); p.Status < 400 || key.Unlocked() {
			t.Errorf("triager POST: status %d, unlocked %v", p.Status, key.Unlocked())
		}
	})
	t.Run("ErrCSRF", func(t *testing.T) {
		b := env.browser(t)
		b.mustLogin("admin@example.org")
		if p := b.post("/admin/key/unlock", url.Values{"passphrase": {"right passphrase"}, "csrf": {"forged"}}); p.Status != http.StatusForbidden || key.Unlocked() {
			t.Errorf("forged token: status %d, unlocked %v", p.Status, key.Unlocked())
		}
	})
	t.Run("ErrRateLimited", func(t *testing.T) {
		b := env.browser(t)
		b.mustLogin("admin@example.org")
		b.get("/admin/key")
		got := 0
		for i := 0; i < 10 && got != http.StatusTooManyRequests; i++ {
			got = b.post("/admin/key/unlock", url.Values{"passphrase": {"guess"}}).Status
		}
		if got != http.StatusTooManyRequests {
			t.Errorf("10 guesses: last status %d, want %d", got, http.StatusTooManyRequests)
		}
	})
}
