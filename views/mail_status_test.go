package views

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

func TestReportMailsView(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	mails := []*db.Mail{
		{ID: 1, Kind: "ack", Status: db.OutboxSent, CreatedAt: now},
		{ID: 2, Kind: "reply", Status: db.OutboxFailed, LastError: "smtp RCPT TO: 550 <b>no</b>", CreatedAt: now},
		{ID: 3, Kind: "state", Status: db.OutboxPending, LeaseUntil: now.Add(time.Minute), CreatedAt: now},
		{ID: 4, Kind: "staff.new", UserID: 9, Status: db.OutboxSent, CreatedAt: now},
	}
	var buf bytes.Buffer
	if err := ReportMailsView(mails, now).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	if got := strings.Count(html, `data-testid="report-mail"`); got != 3 {
		t.Fatalf("%d mails listed, want the 3 to the reporter", got)
	}
	for _, want := range []string{">sent<", ">failed<", ">sending<", `href="/admin/outbox/2"`, "&lt;b&gt;no&lt;/b&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %q in\n%s", want, html)
		}
	}
}
