package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// accountRoute is one row of the account matrix: what a signed-in user of
// any role gets; anonymous GETs are sent to sign in and POSTs get 401.
// {session} is another session of the same user, {xsession} one of
// another user.
type accountRoute struct {
	method, path string
	form         url.Values
	signedIn     int
}

func accountMatrix() []accountRoute {
	return []accountRoute{
		{"GET", "/account/2fa", nil, 200},
		{"GET", "/account/2fa/qr.png", nil, 200},
		{"POST", "/account/2fa", url.Values{"code": {"000000"}}, 422},
		{"POST", "/account/2fa/replace", nil, 409}, // no second factor yet
		{"GET", "/account/reauth", nil, 200},
		{"POST", "/account/reauth", url.Values{"password": {"not the password"}}, 422},
		{"GET", "/account/password", nil, 200},
		{"POST", "/account/password", url.Values{"current": {testPassword}, "password": {"new password one"}, "password2": {"new password two"}}, 422},
		{"GET", "/account/sessions", nil, 200},
		{"POST", "/account/sessions/{xsession}/end", nil, 404},
		{"POST", "/account/sessions/{session}/end", nil, 303},
		{"POST", "/account/sessions/end-others", nil, 303},
		{"GET", "/account/notifications", nil, 200},
		{"POST", "/account/notifications", url.Values{"mode": {"hourly"}}, 422},
	}
}

// TestAccountAuthorization: every role reaches its own account pages,
// nobody reaches another user's sessions, anonymous users reach nothing.
func TestAccountAuthorization(t *testing.T) {
	env := newPortal(t)
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	env.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	env.mustUser(t, "view@example.org", db.RoleViewer, 1)
	env.mustUser(t, "target@example.org", db.RoleViewer, 1)
	target := env.browser(t)
	target.mustLogin("target@example.org")
	xsession := sessionEndRE.FindStringSubmatch(env.loginAgain(t, target, "target@example.org"))
	browsers := env.roleBrowsers(t)
	for _, who := range []string{"anonymous", "admin", "tri", "view"} {
		b := browsers[who]
		for _, r := range accountMatrix() {
			t.Run(who+" "+r.method+" "+r.path, func(t *testing.T) {
				path := strings.ReplaceAll(r.path, "{xsession}", xsession[1])
				if strings.Contains(path, "{session}") {
					if who == "anonymous" {
						path = strings.ReplaceAll(path, "{session}", xsession[1])
					} else {
						m := sessionEndRE.FindStringSubmatch(env.loginAgain(t, b, who+"@example.org"))
						path = strings.ReplaceAll(path, "{session}", m[1])
					}
				}
				var p page
				if r.method == "GET" {
					p = b.get(path)
				} else {
					form := url.Values{}
					for k, v := range r.form {
						form[k] = v
					}
					p = b.post(path, form)
				}
				want := r.signedIn
				if who == "anonymous" {
					want = refusedStatus(who, r.method)
				}
				if p.Status != want {
					t.Fatalf("status %d, want %d", p.Status, want)
				}
				if who == "anonymous" && r.method == "GET" && !strings.HasPrefix(p.Location, "/login") {
					t.Fatalf("redirect to %q, want the login page", p.Location)
				}
			})
		}
	}
	if p := target.get("/triage"); p.Status != http.StatusOK {
		t.Fatal("another user ended target's session")
	}
}

// loginAgain signs the user in from a second browser and returns the
// sessions page of b, which now offers to end that second session.
func (e *portal) loginAgain(t *testing.T, b *browser, email string) string {
	t.Helper()
	second := e.browser(t)
	second.mustLogin(email)
	return b.get("/account/sessions").Body
}
