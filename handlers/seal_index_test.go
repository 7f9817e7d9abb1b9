package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/mailin/pgp"
)

// gatedKey is the team key whose decryption waits while the gate is shut,
// so that a test sees the search index of sealed reports mid-build.
type gatedKey struct {
	*pgp.TeamKey
	mu   sync.Mutex
	gate chan struct{} // nil: open
}

func (g *gatedKey) wait() {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		<-gate
	}
}

func (g *gatedKey) Open(b []byte) ([]byte, error) { g.wait(); return g.TeamKey.Open(b) }

func (g *gatedKey) OpenAll(b [][]byte) ([][]byte, error) { g.wait(); return g.TeamKey.OpenAll(b) }

func (g *gatedKey) shut() {
	g.mu.Lock()
	g.gate = make(chan struct{})
	g.mu.Unlock()
}

func (g *gatedKey) open() {
	g.mu.Lock()
	close(g.gate)
	g.gate = nil
	g.mu.Unlock()
}

// indexControl does what cmd/disclose does on unlock and lock: build the
// search index of sealed reports in the background, drop it.
type indexControl struct {
	key *pgp.TeamKey
	d   *db.DB
}

func (c *indexControl) Unlock(p []byte) error {
	if err := c.key.Unlock(p); err != nil {
		return err
	}
	c.d.StartSealedIndex()
	return nil
}

func (c *indexControl) Lock() { c.key.Lock(); c.d.DropSealedIndex() }

// Admins follow the build of the search index of sealed reports on the key
// page and on the queue; a search meanwhile answers at once and says it is
// incomplete (to triagers too, without the numbers); locking drops it.
func TestSealedIndexPages(t *testing.T) {
	ctx := context.Background()
	key := newTeamKey(t)
	ctl := &indexControl{key: key}
	env := newTestEnvWith(t, "http", func(c *handlers.Config) { c.TeamKey, c.KeyControl = key, ctl })
	ctl.d = env.DB
	gated := &gatedKey{TeamKey: key}
	env.DB.SetSealer(gated, true)
	t.Cleanup(func() { // a failed test must not leave the build waiting (Close waits for it)
		gated.mu.Lock()
		if gated.gate != nil {
			close(gated.gate)
			gated.gate = nil
		}
		gated.mu.Unlock()
	})
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	env.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	p, _ := env.DB.DefaultProgram(ctx)
	for _, title := range []string{"Okapi overflow", "Okapi bypass", "Okapi traversal"} {
		in := &db.NewReport{ProgramID: p.ID, Source: db.SourceWeb, Title: title, Description: "The okapi handler trusts the header."}
		if _, err := env.DB.CreateReport(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	key.Lock()
	admin := env.browser(t)
	admin.mustLogin("admin@example.org")
	tri := env.browser(t)
	tri.mustLogin("tri@example.org")
	state := func() string {
		return regexpFind(`data-testid="index-state" data-state="([a-z]*)"`, admin.get("/admin/key").Body)
	}

	if got := state(); got != "off" {
		t.Fatalf("locked: index %q", got)
	}
	if q := tri.get("/triage?q=okapi"); !strings.Contains(q.Body, "Sealed reports were not searched: the team key is locked") {
		t.Errorf("search while locked does not say sealed reports were left out")
	}

	gated.shut()
	admin.get("/admin/key")
	if r := admin.post("/admin/key/unlock", url.Values{"passphrase": {sealPassphrase}}); r.Status != http.StatusSeeOther {
		t.Fatalf("unlock: status %d", r.Status)
	}
	t.Run("Building", func(t *testing.T) {
		page := admin.get("/admin/key").Body
		if got := regexpFind(`data-testid="index-state" data-state="([a-z]*)"`, page); got != "building" || !strings.Contains(page, "0 of 3 reports") {
			t.Fatalf("key page during the build: state %q, body %q", got, page)
		}
		q := admin.get("/triage?q=okapi")
		if q.Status != http.StatusOK || !strings.Contains(q.Body, `data-testid="search-incomplete"`) || !strings.Contains(q.Body, `data-testid="index-banner"`) ||
			!strings.Contains(q.Body, "search index of sealed reports: 0 of 3 reports") {
			t.Fatalf("admin's search during the build: status %d, body %q", q.Status, q.Body)
		}
		q = tri.get("/triage?q=okapi")
		if !strings.Contains(q.Body, `data-testid="search-incomplete"`) || strings.Contains(q.Body, `data-testid="index-banner"`) {
			t.Fatalf("triager's search during the build: incomplete notice and no admin numbers expected, body %q", q.Body)
		}
	})
	gated.open()
	if st, err := env.DB.WaitSealedIndex(ctx); err != nil || st.State != db.SealedIndexReady {
		t.Fatalf("%+v, %v", st, err)
	}
	t.Run("Ready", func(t *testing.T) {
		page := admin.get("/admin/key").Body
		if !strings.Contains(page, `data-state="ready"`) || !strings.Contains(page, "Ready: 3 reports") {
			t.Fatalf("key page after the build: %q", page)
		}
		q := tri.get("/triage?q=okapi")
		if n := strings.Count(q.Body, "<tr data-ref="); n != 3 || strings.Contains(q.Body, `data-testid="search-incomplete"`) {
			t.Fatalf("search after the build: %d rows, body %q", n, q.Body)
		}
	})
	t.Run("Lock", func(t *testing.T) {
		admin.get("/admin/key")
		if r := admin.post("/admin/key/lock", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("lock: status %d", r.Status)
		}
		if got := state(); got != "off" {
			t.Fatalf("after the lock: index %q", got)
		}
		if st := env.DB.SealedIndex(); st.State != db.SealedIndexOff {
			t.Fatalf("after the lock: %+v", st)
		}
	})
}
