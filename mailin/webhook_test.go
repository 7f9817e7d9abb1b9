package mailin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// hookReceiver is an httptest server that verifies each delivery as a real
// receiver would and answers with the scripted statuses (200 once they run
// out).
type hookReceiver struct {
	mu       sync.Mutex
	secret   string
	statuses []int
	bodies   [][]byte
	headers  []http.Header
	verified []error
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.bodies = append(h.bodies, b)
	h.headers = append(h.headers, r.Header.Clone())
	h.verified = append(h.verified, VerifyWebhook(h.secret, r.Header, b, time.Now(), 5*time.Minute))
	status := http.StatusOK
	if len(h.statuses) > 0 {
		status, h.statuses = h.statuses[0], h.statuses[1:]
	}
	w.WriteHeader(status)
}

// seen returns what the receiver got so far.
func (h *hookReceiver) seen() (bodies [][]byte, headers []http.Header, verified []error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.bodies...), append([]http.Header(nil), h.headers...), append([]error(nil), h.verified...)
}

// newHookWorker is the webhook worker of the tests. Its receivers are
// httptest servers on 127.0.0.1, so it allows loopback destinations
// explicitly (the default refuses them).
func newHookWorker(d *db.DB) *Webhooks {
	return &Webhooks{Store: d, Links: testNotifier(), Retry: Retry{Base: time.Minute, Max: time.Hour, GiveUp: 24 * time.Hour}, Log: discardLog(),
		Reach: db.WebhookReachLoopback}
}

func TestWebhooks(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T, format db.WebhookFormat, content bool, statuses ...int) (*db.DB, *testClock, *hookReceiver, *db.Webhook) {
		d, clock := mustOpenMailDB(t)
		rcv := &hookReceiver{statuses: statuses}
		srv := httptest.NewServer(rcv)
		t.Cleanup(srv.Close)
		p, _ := d.DefaultProgram(ctx)
		hook, err := d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: p.ID, URL: srv.URL + "/hook", Format: format, IncludeContent: content, Enabled: true,
			Reach: db.WebhookReachLoopback}, db.Actor{Name: "admin@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		rcv.secret = hook.Secret
		return d, clock, rcv, hook
	}
	t.Run("OK", func(t *testing.T) {
		d, _, rcv, _ := setup(t, db.WebhookGeneric, false)
		webReport(t, d, "Stored XSS in profile name", "alice@example.net")
		n, err := newHookWorker(d).SendDue(ctx)
		if err != nil || n != 1 {
			t.Fatalf("sent %d, %v", n, err)
		}
		bodies, headers, verified := rcv.seen()
		if verified[0] != nil {
			t.Fatalf("signature: %v", verified[0])
		}
		var ev struct {
			Event  string
			Report map[string]string
		}
		if err := json.Unmarshal(bodies[0], &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Event != "report.created" || ev.Report["ref"] != "SEC-1" || ev.Report["url"] != "https://portal.example.org/triage/reports/SEC-1" {
			t.Fatalf("event %+v", ev)
		}
		if strings.Contains(string(bodies[0]), "Stored XSS") || strings.Contains(string(bodies[0]), "alice") {
			t.Fatalf("content-free webhook carries content: %s", bodies[0])
		}
		if got := headers[0].Get(HeaderEvent); got != "report.created" {
			t.Errorf("event header %q", got)
		}
	})
	t.Run("ErrTamperedOrReplayed", func(t *testing.T) {
		body := []byte(`{"event":"report.created"}`)
		now := time.Now()
		h := http.Header{}
		h.Set(HeaderTimestamp, "1700000000")
		h.Set(HeaderSignature, SignWebhook("k", 1700000000, body))
		if err := VerifyWebhook("k", h, body, now, 5*time.Minute); err == nil {
			t.Error("an old signed request was accepted")
		}
		h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		h.Set(HeaderSignature, SignWebhook("k", now.Unix(), body))
		if err := VerifyWebhook("k", h, body, now, 5*time.Minute); err != nil {
			t.Fatalf("fresh request refused: %v", err)
		}
		if err := VerifyWebhook("k", h, []byte(`{"event":"report.deleted"}`), now, 5*time.Minute); err == nil {
			t.Error("a changed body was accepted")
		}
		if err := VerifyWebhook("other", h, body, now, 5*time.Minute); err == nil {
			t.Error("a wrong secret was accepted")
		}
	})
	t.Run("RetryAfterServerError", func(t *testing.T) {
		d, clock, rcv, _ := setup(t, db.WebhookGeneric, false, http.StatusBadGateway)
		webReport(t, d, "XSS", "")
		w := newHookWorker(d)
		if n, err := w.SendDue(ctx); err != nil || n != 0 {
			t.Fatalf("first attempt: %d, %v", n, err)
		}
		clock.Add(time.Minute)
		if n, err := w.SendDue(ctx); err != nil || n != 1 {
			t.Fatalf("retry: %d, %v", n, err)
		}
		bodies, headers, _ := rcv.seen()
		if len(bodies) != 2 || string(bodies[0]) != string(bodies[1]) {
			t.Fatalf("receiver got %d bodies", len(bodies))
		}
		if a, b := headers[0].Get(HeaderDelivery), headers[1].Get(HeaderDelivery); a == "" || a != b {
			t.Fatalf("delivery ids %q %q: a retry must say it is the same delivery", a, b)
		}
		ds, _ := d.Deliveries(ctx, 1, 10)
		if ds[0].Status != db.OutboxSent || ds[0].Attempts != 2 {
			t.Fatalf("delivery %+v", ds[0])
		}
	})
	t.Run("ErrClientErrorIsPermanent", func(t *testing.T) {
		d, _, _, hook := setup(t, db.WebhookGeneric, false, http.StatusNotFound)
		webReport(t, d, "XSS", "")
		if _, err := newHookWorker(d).SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		ds, _ := d.Deliveries(ctx, hook.ID, 10)
		if ds[0].Status != db.OutboxFailed || !strings.Contains(ds[0].LastError, "404") {
			t.Fatalf("delivery %+v", ds[0])
		}
		if err := d.RetryDelivery(ctx, ds[0].ID, db.Actor{Name: "admin@example.org"}); err != nil {
			t.Fatal(err)
		}
		if n, _ := newHookWorker(d).SendDue(ctx); n != 1 {
			t.Fatal("retried delivery not sent")
		}
	})
	t.Run("SlackWithContent", func(t *testing.T) {
		d, _, rcv, _ := setup(t, db.WebhookSlack, true)
		webReport(t, d, "XSS <!channel> & more", "")
		if n, err := newHookWorker(d).SendDue(ctx); err != nil || n != 1 {
			t.Fatalf("sent %d, %v", n, err)
		}
		var msg map[string]string
		bodies, _, _ := rcv.seen()
		if err := json.Unmarshal(bodies[0], &msg); err != nil {
			t.Fatal(err)
		}
		want := "New report <https://portal.example.org/triage/reports/SEC-1|SEC-1>: XSS &lt;!channel&gt; &amp; more"
		if msg["text"] != want {
			t.Fatalf("text = %q, want %q", msg["text"], want)
		}
	})
	t.Run("ErrBadURL", func(t *testing.T) {
		d, _ := mustOpenMailDB(t)
		for _, u := range []string{"", "ftp://x.example", "https://user:pw@x.example/", "/relative"} {
			_, err := d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: 1, URL: u, Format: db.WebhookGeneric}, db.ActorSystem)
			if db.ErrorFields(err)["url"] == "" {
				t.Errorf("URL %q: %v, want a validation error", u, err)
			}
		}
	})
}
