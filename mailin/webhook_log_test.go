package mailin

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// The path of a webhook URL is often its credential (a Slack incoming
// webhook is https://hooks.slack.com/services/T/B/<secret>): a failed post
// must not write it to the log or to the delivery's error.
func TestWebhookErrorKeepsURLOut(t *testing.T) {
	ctx := context.Background()
	d, _ := mustOpenMailDB(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: the post fails
	const token = "XOXB7f3c9aSecretPathToken"
	p, _ := d.DefaultProgram(ctx)
	if _, err := d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: p.ID, URL: "http://" + addr + "/services/T0/B0/" + token,
		Format: db.WebhookSlack, Enabled: true, Reach: db.WebhookReachLoopback}, db.Actor{Name: "admin@example.org"}); err != nil {
		t.Fatal(err)
	}
	webReport(t, d, "Stored XSS in profile name", "alice@example.net")
	var logs bytes.Buffer
	w := newHookWorker(d)
	w.Log = slog.New(slog.NewTextHandler(&logs, nil))
	if n, err := w.SendDue(ctx); err != nil || n != 0 {
		t.Fatalf("sent %d, %v; want 0 sent and no error", n, err)
	}
	if !strings.Contains(logs.String(), "webhook deferred") {
		t.Fatalf("no deferral logged:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), token) {
		t.Errorf("the log carries the webhook URL's secret path:\n%s", logs.String())
	}
}
