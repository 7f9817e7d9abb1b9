package handlers_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestDatabaseLockedElsewhere holds the write lock from another connection
// (as an sqlite3 shell with an open transaction would) and checks that a
// submission fails with a clear 503 and one log line naming the cause, that
// admins get a problem banner, that reporters can still read their status
// page, and that intake works again once the lock is gone.
func TestDatabaseLockedElsewhere(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 10 s busy timeout")
	}
	p := newPortal(t)
	c := p.browser(t)
	_, code := c.fileReport(map[string]string{"title": "Before the lock", "description": "d"})
	c.get("/status")
	c.post("/status", url.Values{"code": {code}})

	other, err := sql.Open("sqlite3", "file:"+p.DB.Path+"?_busy_timeout=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}

	_, key := c.formToken()
	pg := c.post("/report", url.Values{"key": {key}, "title": {"During the lock"}, "description": {"d"}, "credit": {"anonymous"}})
	if got, want := pg.Status, http.StatusServiceUnavailable; got != want {
		t.Fatalf("status %d, want %d", got, want)
	}
	if msg := parse(t, pg).Find("[data-testid=error-message]").Text(); !strings.Contains(msg, "try again") {
		t.Fatalf("page says %q", msg)
	}
	ps := p.problems.List()
	if len(ps) != 1 || ps[0].Key != "storage" || !strings.Contains(ps[0].Message, "locked by another process") {
		t.Fatalf("problems = %+v", ps)
	}
	if n := strings.Count(p.logs.String(), "locked by another process"); n != 1 {
		t.Fatalf("the cause is logged %d times, want once", n)
	}

	t.Run("ReadsKeepWorking", func(t *testing.T) {
		pg := c.get("/status")
		if pg.Status != http.StatusOK || parse(t, pg).Find("[data-testid=ref]").Text() == "" {
			t.Fatalf("status page during the lock: %d", pg.Status)
		}
	})
	t.Run("IntakeResumes", func(t *testing.T) {
		if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
			t.Fatal(err)
		}
		if ref, _ := c.fileReport(map[string]string{"title": "After the lock", "description": "d"}); ref == "" {
			t.Fatal("no receipt after the lock was released")
		}
	})
}
