package handlers_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// statusPortal is a portal and a browser that opened SEC-1 with its code.
// The status session's expiry is decided by the database, so moving the
// portal's clock is all "time passes" needs.
func statusPortal(t *testing.T) (*portal, *browser) {
	p := newPortal(t, configure(reportLimits))
	return p, p.browser(t)
}

// statusCookie is the status cookie b holds.
func statusCookie(t *testing.T, b *browser) string {
	t.Helper()
	if ck := b.cookie("disclose_status"); ck != "" {
		return ck
	}
	t.Fatal("no status cookie")
	return ""
}

// opensWith reports whether a browser that sends exactly this status cookie
// (whatever its own cookie jar would have kept) sees the report.
func opensWith(t *testing.T, p *portal, cookie string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.Server.URL+"/status", nil)
	req.AddCookie(&http.Cookie{Name: "disclose_status", Value: cookie})
	return strings.Contains(p.browser(t).do(req).Body, `data-testid="ref">SEC-1<`)
}

// rawDB reads the database file as someone holding a copy of it would.
func rawDB(t *testing.T, p *portal) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+p.DB.Path+"?mode=ro&_busy_timeout=5000")
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
		p, b := statusPortal(t)
		openStatus(t, b)
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
		p, b := statusPortal(t)
		openStatus(t, b)
		cookie := statusCookie(t, b)
		if raw, _ := base64.RawURLEncoding.DecodeString(cookie); len(raw) < 16 {
			t.Fatalf("status token of %d bytes, want at least 128 bits", len(raw))
		}
		sum := sha256.Sum256([]byte(cookie))
		var n int
		if err := rawDB(t, p).QueryRow(`SELECT COUNT(*) FROM status_sessions WHERE token_hash = ?`, sum[:]).Scan(&n); err != nil || n != 1 {
			t.Fatalf("sessions under the token's hash: %d, %v", n, err)
		}
		for _, f := range []string{p.DB.Path, p.DB.Path + "-wal"} {
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
		p, b := statusPortal(t)
		clk := p.clock
		openStatus(t, b)
		cookie := statusCookie(t, b)
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
		p, b := statusPortal(t)
		clk := p.clock
		openStatus(t, b)
		cookie := statusCookie(t, b)
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
		p, b := statusPortal(t)
		openStatus(t, b)
		cookie := statusCookie(t, b)
		b.post("/status/forget", nil)
		if opensWith(t, p, cookie) {
			t.Fatal("a copy of the cookie taken before \"forget\" still opens the report")
		}
	})
	t.Run("CodeLoginRotates", func(t *testing.T) {
		p, b := statusPortal(t)
		_, code := openStatus(t, b)
		first := statusCookie(t, b)
		if pg := b.post("/status", url.Values{"code": {code}}); pg.Status != http.StatusSeeOther {
			t.Fatalf("second login: %d", pg.Status)
		}
		second := statusCookie(t, b)
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
		p, b := statusPortal(t)
		clk := p.clock
		now := clk.t
		clk.t = now.Add(-72 * time.Hour)
		_, code := openStatus(t, b)
		r, err := p.DB.ReportByRef(ctx, "SEC-1")
		if err != nil {
			t.Fatal(err)
		}
		if err := p.DB.ChangeState(ctx, r.ID, r.Version, db.ActorSystem, db.StateChange{To: db.StateInformative, Reason: "expected behaviour"}); err != nil {
			t.Fatal(err)
		}
		if err := p.DB.SetRetentionRule(ctx, &db.RetentionRule{ProgramID: r.ProgramID, AnonymiseDays: 1}, db.ActorSystem); err != nil {
			t.Fatal(err)
		}
		// A fresh session, so that only the anonymisation can end it.
		clk.t = now
		b.post("/status", url.Values{"code": {code}})
		cookie := statusCookie(t, b)
		if !opensWith(t, p, cookie) {
			t.Fatal("the fresh session does not open the report")
		}
		res, err := p.DB.Purge(ctx, false, nil)
		if err != nil || res.Done[db.DisposeAnonymise] != 1 {
			t.Fatalf("purge: %+v, %v", res, err)
		}
		if opensWith(t, p, cookie) {
			t.Fatal("the session still opens the anonymised report")
		}
	})
}
