package handlers_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// statusClock is the database's clock in these tests; the status session's
// expiry is decided by the database, so moving it is all "time passes" needs.
type statusClock struct{ t time.Time }

func (c *statusClock) Now() time.Time { return c.t }

func statusPortal(t *testing.T) (*testPortal, *statusClock) {
	p := newPortal(t, plainConfig())
	clk := &statusClock{t: time.Now().UTC()}
	p.db.Now = clk.Now
	return p, clk
}

// statusCookie is the status cookie the portal's client holds.
func statusCookie(t *testing.T, p *testPortal) string {
	t.Helper()
	u, _ := url.Parse(p.srv.URL)
	for _, ck := range p.client.Jar.Cookies(u) {
		if ck.Name == "disclose_status" {
			return ck.Value
		}
	}
	t.Fatal("no status cookie")
	return ""
}

// opensWith reports whether a browser that sends exactly this status cookie
// (whatever its own cookie jar would have kept) sees the report.
func opensWith(t *testing.T, p *testPortal, cookie string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.srv.URL+"/status", nil)
	req.AddCookie(&http.Cookie{Name: "disclose_status", Value: cookie})
	resp, err := noRedirectClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(body), `data-testid="ref">SEC-1<`)
}

// rawDB reads the database file as someone holding a copy of it would.
func rawDB(t *testing.T, p *testPortal) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+p.db.Path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// TestStatusSessionServerSide: the status page's session is decided by the
// server. A copy of the database mints nothing, and what the browser still
// holds after expiry, "forget", a new code login or anonymisation opens
// nothing.
func TestStatusSessionServerSide(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrCookieMintedFromDatabase", func(t *testing.T) {
		p, _ := statusPortal(t)
		openStatus(t, p)
		raw := rawDB(t, p)
		// The signed cookie's key was in the settings table: sign "report 1,
		// valid until 2100" with it, as a backup holder could.
		var key []byte
		err := raw.QueryRow(`SELECT value FROM settings WHERE key = 'secret:status-cookie'`).Scan(&key)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		binary.BigEndian.PutUint64(buf[:8], 1)
		binary.BigEndian.PutUint64(buf[8:], uint64(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix()))
		mac := hmac.New(sha256.New, key)
		mac.Write(buf)
		if opensWith(t, p, base64.RawURLEncoding.EncodeToString(mac.Sum(buf))) {
			t.Fatal("a cookie signed with the key from the database opened the report")
		}
		// What the database holds of a session is its hash: sent as a
		// token, it opens nothing either.
		rows, err := raw.Query(`SELECT token_hash FROM status_sessions`)
		if err != nil {
			t.Fatalf("no status_sessions table: %v", err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var h []byte
			rows.Scan(&h)
			n++
			if opensWith(t, p, base64.RawURLEncoding.EncodeToString(h)) {
				t.Fatal("a stored session hash, sent as a token, opened the report")
			}
		}
		if n != 1 {
			t.Fatalf("%d status sessions stored, want 1", n)
		}
	})
	t.Run("TokenStoredOnlyHashed", func(t *testing.T) {
		p, _ := statusPortal(t)
		openStatus(t, p)
		cookie := statusCookie(t, p)
		if raw, _ := base64.RawURLEncoding.DecodeString(cookie); len(raw) < 16 {
			t.Fatalf("status token of %d bytes, want at least 128 bits", len(raw))
		}
		sum := sha256.Sum256([]byte(cookie))
		var n int
		if err := rawDB(t, p).QueryRow(`SELECT COUNT(*) FROM status_sessions WHERE token_hash = ?`, sum[:]).Scan(&n); err != nil || n != 1 {
			t.Fatalf("sessions under the token's hash: %d, %v", n, err)
		}
		for _, f := range []string{p.db.Path, p.db.Path + "-wal"} {
			data, err := os.ReadFile(f)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			if strings.Contains(string(data), cookie) {
				t.Fatalf("%s holds the status token", f)
			}
		}
	})
	t.Run("ErrIdleExpired", func(t *testing.T) {
		p, clk := statusPortal(t)
		openStatus(t, p)
		cookie := statusCookie(t, p)
		clk.t = clk.t.Add(db.StatusSessionIdle - time.Minute)
		if !opensWith(t, p, cookie) {
			t.Fatal("the session ended before its idle time")
		}
		clk.t = clk.t.Add(db.StatusSessionIdle + time.Minute)
		if opensWith(t, p, cookie) {
			t.Fatal("an idle session opened the report: its expiry is not checked by the server")
		}
	})
	t.Run("ErrLifetimeExpired", func(t *testing.T) {
		p, clk := statusPortal(t)
		openStatus(t, p)
		cookie := statusCookie(t, p)
		start := clk.t
		for clk.t.Sub(start) < db.StatusSessionLifetime-db.StatusSessionIdle {
			clk.t = clk.t.Add(db.StatusSessionIdle / 2)
			if !opensWith(t, p, cookie) {
				t.Fatalf("a session in use ended after %s", clk.t.Sub(start))
			}
		}
		clk.t = start.Add(db.StatusSessionLifetime)
		if opensWith(t, p, cookie) {
			t.Fatal("a session in use outlived its lifetime")
		}
	})
	t.Run("ForgetEndsItOnTheServer", func(t *testing.T) {
		p, _ := statusPortal(t)
		csrf, _ := openStatus(t, p)
		cookie := statusCookie(t, p)
		p.do(p.client, http.MethodPost, "/status/forget", "application/x-www-form-urlencoded", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
		if opensWith(t, p, cookie) {
			t.Fatal("a copy of the cookie taken before \"forget\" still opens the report")
		}
	})
	t.Run("CodeLoginRotates", func(t *testing.T) {
		p, _ := statusPortal(t)
		csrf, code := openStatus(t, p)
		first := statusCookie(t, p)
		resp, _ := p.do(p.client, http.MethodPost, "/status", "application/x-www-form-urlencoded",
			strings.NewReader(url.Values{"csrf": {csrf}, "code": {code}}.Encode()))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("second login: %d", resp.StatusCode)
		}
		second := statusCookie(t, p)
		if second == first {
			t.Fatal("a new code login kept the old token")
		}
		if opensWith(t, p, first) {
			t.Fatal("the session before the new code login still opens the report")
		}
		if !opensWith(t, p, second) {
			t.Fatal("the new session does not open the report")
		}
	})
	t.Run("AnonymiseEndsIt", func(t *testing.T) {
		p, clk := statusPortal(t)
		now := clk.t
		clk.t = now.Add(-72 * time.Hour)
		csrf, code := openStatus(t, p)
		r, err := p.db.ReportByRef(ctx, "SEC-1")
		if err != nil {
			t.Fatal(err)
		}
		if err := p.db.ChangeState(ctx, r.ID, r.Version, db.ActorSystem, db.StateChange{To: db.StateInformative, Reason: "expected behaviour"}); err != nil {
			t.Fatal(err)
		}
		if err := p.db.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: r.ProgramID, AnonymiseDays: 1}, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		// A fresh session, so that only the anonymisation can end it.
		clk.t = now
		p.do(p.client, http.MethodPost, "/status", "application/x-www-form-urlencoded",
			strings.NewReader(url.Values{"csrf": {csrf}, "code": {code}}.Encode()))
		cookie := statusCookie(t, p)
		if !opensWith(t, p, cookie) {
			t.Fatal("the fresh session does not open the report")
		}
		res, err := p.db.Purge(ctx, false, nil)
		if err != nil || res.Done[db.DisposeAnonymise] != 1 {
			t.Fatalf("purge: %+v, %v", res, err)
		}
		if opensWith(t, p, cookie) {
			t.Fatal("the session still opens the anonymised report")
		}
	})
}
