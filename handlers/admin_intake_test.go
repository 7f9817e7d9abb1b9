package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

func TestAdminIntake(t *testing.T) {
	env := newPortal(t)
	env.mustUser(t, "admin@example.org", db.RoleAdmin)
	env.mustUser(t, "tri@example.org", db.RoleTriager, 1)
	ctx := context.Background()
	raw := "From: bob@example.net\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\n<script>alert(1)</script> away\r\n"
	sum := sha256.Sum256([]byte(raw))
	if _, err := mailin.IngestMail(ctx, env.DB, &db.InboundMail{Mailbox: "INBOX", UIDValidity: 1, UID: 1,
		OpenRaw: func() io.Reader { return strings.NewReader(raw) }, RawSize: int64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]),
		FromEmail: "bob@example.net", Subject: "Out of office <b>", Auto: "Auto-Submitted: auto-replied"}, mailin.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.RecordPoll(ctx, "mailin: connect to imap.example.org:993: connection refused"); err != nil {
		t.Fatal(err)
	}
	kept, err := env.DB.KeptMail(ctx, 10)
	if err != nil || len(kept) != 1 {
		t.Fatalf("kept = %v, %v", kept, err)
	}
	mailURL := "/admin/intake/mail/" + itoa(kept[0].ID)

	t.Run("OK", func(t *testing.T) {
		b := env.browser(t)
		b.mustLogin("admin@example.org")
		p := b.get("/admin/intake")
		if p.Status != http.StatusOK {
			t.Fatalf("status %d", p.Status)
		}
		for _, want := range []string{
			`data-testid="processed">1<`,
			`data-testid="set-aside">0<`,
			"connection refused",
			"Out of office &lt;b&gt;",
			"Auto-Submitted: auto-replied",
			`href="` + mailURL + `"`,
		} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		d := b.get(mailURL)
		if d.Status != http.StatusOK || d.Body != raw {
			t.Fatalf("download: status %d, body %q", d.Status, d.Body)
		}
		if got := d.Header.Get("Content-Disposition"); !strings.HasPrefix(got, "attachment;") {
			t.Errorf("Content-Disposition = %q, want an attachment", got)
		}
		if got, want := d.Header.Get("Content-Type"), "application/octet-stream"; got != want {
			t.Errorf("Content-Type = %q, want %q", got, want)
		}
	})

	t.Run("ErrNotAdmin", func(t *testing.T) {
		b := env.browser(t)
		b.mustLogin("tri@example.org")
		for _, path := range []string{"/admin/intake", mailURL} {
			if p := b.get(path); p.Status != http.StatusForbidden {
				t.Errorf("%s: status %d, want 403", path, p.Status)
			}
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		b := env.browser(t)
		b.mustLogin("admin@example.org")
		if p := b.get("/admin/intake/mail/999"); p.Status != http.StatusNotFound {
			t.Errorf("status %d, want 404", p.Status)
		}
	})
}
