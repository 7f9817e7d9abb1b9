package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/disclose/disclose/db"
)

// lockedBuffer is an io.Writer safe for a server goroutine and a test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runCmd runs a command in-process and returns its output and error.
func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut lockedBuffer
	env := &environment{stdout: &out, stderr: &errOut, stdin: strings.NewReader(""), getenv: func(string) string { return "" }}
	err := run(context.Background(), env, args)
	return out.String() + errOut.String(), err
}

var setupLinkRE = regexp.MustCompile(`https?://\S+/setup/[A-Za-z0-9_-]{43}`)

func TestUserCommands(t *testing.T) {
	data := t.TempDir()
	t.Run("Add", func(t *testing.T) {
		out, err := runCmd(t, "user", "add", "--data", data, "--base-url", "https://portal.example", "--email", "tri@example.org",
			"--role", "triager", "--name", "Tri", "--program", "default")
		if err != nil {
			t.Fatal(err)
		}
		link := setupLinkRE.FindString(out)
		if !strings.HasPrefix(link, "https://portal.example/setup/") {
			t.Fatalf("no setup link in %q", out)
		}
		d, err := db.Open(context.Background(), filepath.Join(data, "disclose.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		ti, err := d.TokenInfo(context.Background(), link[strings.LastIndex(link, "/")+1:])
		if err != nil || ti.Email != "tri@example.org" || ti.Purpose != db.TokenSetup {
			t.Fatalf("the printed link: %+v %v", ti, err)
		}
	})
	t.Run("ErrBadRole", func(t *testing.T) {
		_, err := runCmd(t, "user", "add", "--data", data, "--email", "x@example.org", "--role", "root")
		if err == nil || !strings.Contains(err.Error(), "--role") {
			t.Fatalf("err=%v, want one naming --role", err)
		}
	})
	t.Run("ErrUnknownProgram", func(t *testing.T) {
		_, err := runCmd(t, "user", "add", "--data", data, "--email", "x@example.org", "--program", "nope")
		if err == nil || !strings.Contains(err.Error(), "nope") {
			t.Fatalf("err=%v", err)
		}
	})
	t.Run("List", func(t *testing.T) {
		out, err := runCmd(t, "user", "list", "--data", data)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`tri@example.org\s+Tri\s+triager\s+invited\s+off\s+never\s+default`).MatchString(out) {
			t.Fatalf("list:\n%s", out)
		}
	})
	t.Run("Reset", func(t *testing.T) {
		out, err := runCmd(t, "user", "reset", "--data", data, "--email", "TRI@example.org")
		if err != nil || setupLinkRE.FindString(out) == "" {
			t.Fatalf("reset: %v %q", err, out)
		}
	})
	t.Run("Disable", func(t *testing.T) {
		if _, err := runCmd(t, "user", "disable", "--data", data, "--email", "tri@example.org"); err != nil {
			t.Fatal(err)
		}
		out, _ := runCmd(t, "user", "list", "--data", data)
		if !strings.Contains(out, "disabled") {
			t.Fatalf("list after disable:\n%s", out)
		}
		if _, err := runCmd(t, "user", "disable", "--data", data, "--email", "nobody@example.org"); err == nil {
			t.Fatal("disabling an unknown account succeeded")
		}
	})
}

func TestAuditVerify(t *testing.T) {
	data := t.TempDir()
	for _, email := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		if _, err := runCmd(t, "user", "add", "--data", data, "--email", email, "--role", "viewer"); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("OK", func(t *testing.T) {
		out, err := runCmd(t, "audit", "verify", "--data", data)
		if err != nil || !strings.Contains(out, "OK: 4 audit rows") {
			t.Fatalf("verify: %v %q", err, out)
		}
	})
	t.Run("ErrTampered", func(t *testing.T) {
		raw, err := sql.Open("sqlite3", filepath.Join(data, "disclose.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Exec(`DROP TRIGGER audit_no_update`); err != nil {
			t.Fatal(err)
		}
		// Someone hides who was given access: the row of b@example.org.
		var id int64
		if err := raw.QueryRow(`SELECT id FROM audit WHERE target = 'b@example.org'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(`UPDATE audit SET target = 'nobody' WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		_, err = runCmd(t, "audit", "verify", "--data", data)
		if err == nil || !strings.Contains(err.Error(), "row "+strconv.FormatInt(id, 10)+" ") {
			t.Fatalf("verify after tampering with row %d: %v", id, err)
		}
	})
}
