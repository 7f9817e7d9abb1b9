package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/disclose/disclose/db"
)

var tokenSecretRE = regexp.MustCompile(`dsc_[A-Za-z0-9_-]{43}`)

// TestAccountTokens: a user makes a token on the account page (after a
// recent password), sees it once, uses it, sees its last use, and
// revokes it; another user's token cannot be revoked from here.
func TestAccountTokens(t *testing.T) {
	f := newAPIFixture(t)
	b := f.browser(t)
	b.mustLogin(f.triager.Email)

	// A sign-in longer ago than the re-authentication window: the form
	// is replaced by a link to confirm the password, and a post is sent
	// there.
	f.clock.Advance(11 * time.Minute)
	if pg := b.get("/account/tokens"); pg.Status != http.StatusOK || !strings.Contains(pg.Body, `data-testid="reauth-needed"`) {
		t.Fatalf("stale sign-in: %d", pg.Status)
	}
	if pg := b.post("/account/tokens", url.Values{"name": {"ci"}, "scope": {"write"}, "expires": {"30"}}); pg.Status != http.StatusSeeOther || !strings.HasPrefix(pg.Location, "/account/reauth") {
		t.Fatalf("a stale sign-in made a token: %d %s", pg.Status, pg.Location)
	}
	if pg := b.post("/account/reauth", url.Values{"password": {testPassword}, "next": {"/account/tokens"}}); pg.Location != "/account/tokens" {
		t.Fatalf("reauth: %d %s", pg.Status, pg.Location)
	}
	if pg := b.post("/account/tokens", url.Values{"name": {""}, "scope": {"root"}, "expires": {"30"}}); pg.Status != http.StatusUnprocessableEntity ||
		tokenSecretRE.MatchString(pg.Body) {
		t.Fatalf("a bad form: %d", pg.Status)
	}
	accessible := func(name string, pg page) {
		t.Helper()
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(pg.Body))
		if err != nil {
			t.Fatal(err)
		}
		for _, problem := range a11yProblems(doc) {
			t.Errorf("%s: %s", name, problem)
		}
	}
	accessible("errors", b.post("/account/tokens", url.Values{"name": {""}, "scope": {"root"}, "expires": {"30"}}))
	pg := b.post("/account/tokens", url.Values{"name": {"ci"}, "scope": {"write"}, "expires": {"30"}})
	accessible("created", pg)
	secret := tokenSecretRE.FindString(pg.Body)
	if pg.Status != http.StatusOK || secret == "" || pg.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %q", pg.Status, pg.Header.Get("Cache-Control"))
	}
	if again := b.get("/account/tokens"); tokenSecretRE.MatchString(again.Body) || !strings.Contains(again.Body, "ci") || !strings.Contains(again.Body, "never") {
		t.Fatal("the list shows the token again, or not its row")
	}
	if a := f.api(t, secret).get("/api/v1/reports/" + f.report.Ref()); a.Status != http.StatusOK {
		t.Fatalf("the new token: %d", a.Status)
	}
	if pg := b.get("/account/tokens"); !strings.Contains(pg.Body, "127.0.0.1") {
		t.Fatal("no last use listed")
	} else {
		accessible("list", pg)
	}
	// Someone else's token: 404 from this user's page, and it still works.
	other := f.mustUser(t, "otto@example.org", db.RoleTriager, f.own.ID)
	otherSecret, otherTok := f.token(t, other, db.ScopeRead, "")
	if pg := b.post("/account/tokens/"+itoa(otherTok.ID)+"/revoke", nil); pg.Status != http.StatusNotFound {
		t.Fatalf("revoking another user's token: %d", pg.Status)
	}
	if a := f.api(t, otherSecret).get("/api/v1/programs"); a.Status != http.StatusOK {
		t.Fatalf("another user's token after the refused revoke: %d", a.Status)
	}
	list, err := f.DB.APITokens(t.Context(), f.triager.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("tokens: %v %v", list, err)
	}
	if pg := b.post("/account/tokens/"+itoa(list[0].ID)+"/revoke", nil); pg.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", pg.Status)
	}
	if a := f.api(t, secret).get("/api/v1/programs"); a.Status != http.StatusUnauthorized {
		t.Fatalf("a revoked token: %d", a.Status)
	}
}
