package mailin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// TestWebhookReach: deliveries go only where the operator's reach allows,
// judged by the address the worker connects to. A refused delivery fails at
// once with the reason in the delivery log and is not tried again.
func TestWebhookReach(t *testing.T) {
	ctx := context.Background()
	// setup queues one delivery to a receiver on 127.0.0.1, reached through
	// host (an address or a name). The webhook is saved in the loopback
	// reach, as if the operator narrowed the setting afterwards.
	setup := func(t *testing.T, host string) (*db.DB, *testClock, *hookReceiver, *db.Webhook) {
		d, clock := mustOpenMailDB(t)
		rcv := &hookReceiver{}
		srv := httptest.NewServer(rcv)
		t.Cleanup(srv.Close)
		u, _ := url.Parse(srv.URL)
		u.Host = host + ":" + u.Port()
		p, _ := d.DefaultProgram(ctx)
		hook, err := d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: p.ID, URL: u.String() + "/hook", Format: db.WebhookGeneric, Enabled: true,
			Reach: db.WebhookReachLoopback}, db.Actor{Name: "admin@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		rcv.secret = hook.Secret
		webReport(t, d, "XSS", "")
		return d, clock, rcv, hook
	}
	worker := func(d *db.DB, reach db.WebhookReach) *Webhooks {
		w := newHookWorker(d)
		w.Reach = reach
		return w
	}
	// refused checks that the delivery failed for good with want in its
	// error, that nothing reached the receiver, and that a later run does
	// not try again.
	refused := func(t *testing.T, d *db.DB, clock *testClock, rcv *hookReceiver, w *Webhooks, hook *db.Webhook, want string) {
		t.Helper()
		if n, err := w.SendDue(ctx); err != nil || n != 0 {
			t.Fatalf("sent %d, %v; want 0 sent", n, err)
		}
		ds, _ := d.Deliveries(ctx, hook.ID, 10)
		if ds[0].Status != db.OutboxFailed || ds[0].Attempts != 1 {
			t.Fatalf("delivery status %s after %d attempts, want failed after 1", ds[0].Status, ds[0].Attempts)
		}
		if got := ds[0].LastError; !strings.Contains(got, want) {
			t.Fatalf("delivery error %q, want it to contain %q", got, want)
		}
		clock.Add(48 * time.Hour)
		if n, err := w.SendDue(ctx); err != nil || n != 0 {
			t.Fatalf("second run sent %d, %v", n, err)
		}
		if ds, _ := d.Deliveries(ctx, hook.ID, 10); ds[0].Attempts != 1 {
			t.Fatalf("a refused delivery was tried again: %d attempts", ds[0].Attempts)
		}
		if bodies, _, _ := rcv.seen(); len(bodies) != 0 {
			t.Fatalf("the receiver got %d requests", len(bodies))
		}
	}
	t.Run("ErrLoopbackByDefault", func(t *testing.T) {
		d, clock, rcv, hook := setup(t, "127.0.0.1")
		refused(t, d, clock, rcv, worker(d, db.WebhookReachPublic), hook,
			"refused: 127.0.0.1 is a loopback address; set DISCLOSE_WEBHOOK_ALLOW_PRIVATE=loopback to allow it")
	})
	t.Run("ErrLocalhostByDefault", func(t *testing.T) {
		d, clock, rcv, hook := setup(t, "localhost")
		refused(t, d, clock, rcv, worker(d, db.WebhookReachPublic), hook, "is a loopback address; set DISCLOSE_WEBHOOK_ALLOW_PRIVATE=loopback")
	})
	t.Run("ErrLoopbackWhenOnlyPrivateAllowed", func(t *testing.T) {
		d, clock, rcv, hook := setup(t, "127.0.0.1")
		refused(t, d, clock, rcv, worker(d, db.WebhookReachPrivate), hook, "refused: 127.0.0.1 is a loopback address")
	})
	t.Run("ErrIPv4MappedLoopback", func(t *testing.T) {
		d, clock, rcv, hook := setup(t, "[::ffff:127.0.0.1]")
		refused(t, d, clock, rcv, worker(d, db.WebhookReachPublic), hook, "is a loopback address")
	})
	t.Run("OKLoopbackAllowed", func(t *testing.T) {
		d, _, rcv, hook := setup(t, "127.0.0.1")
		if n, err := worker(d, db.WebhookReachLoopback).SendDue(ctx); err != nil || n != 1 {
			t.Fatalf("sent %d, %v", n, err)
		}
		if _, _, verified := rcv.seen(); len(verified) != 1 || verified[0] != nil {
			t.Fatalf("receiver verified %v", verified)
		}
		if ds, _ := d.Deliveries(ctx, hook.ID, 10); ds[0].Status != db.OutboxSent {
			t.Fatalf("delivery %s", ds[0].Status)
		}
	})
	t.Run("OKLocalhostAllowed", func(t *testing.T) {
		d, _, rcv, _ := setup(t, "localhost")
		if n, err := worker(d, db.WebhookReachLoopback).SendDue(ctx); err != nil || n != 1 {
			t.Fatalf("sent %d, %v", n, err)
		}
		if bodies, _, _ := rcv.seen(); len(bodies) != 1 {
			t.Fatalf("receiver got %d requests", len(bodies))
		}
	})
	t.Run("ErrRedirectNotFollowed", func(t *testing.T) {
		d, _ := mustOpenMailDB(t)
		var inner atomic.Int32
		internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inner.Add(1) }))
		t.Cleanup(internal.Close)
		srv := httptest.NewServer(http.RedirectHandler(internal.URL+"/admin", http.StatusFound))
		t.Cleanup(srv.Close)
		p, _ := d.DefaultProgram(ctx)
		hook, err := d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: p.ID, URL: srv.URL + "/hook", Format: db.WebhookGeneric, Enabled: true,
			Reach: db.WebhookReachLoopback}, db.ActorSystem)
		if err != nil {
			t.Fatal(err)
		}
		webReport(t, d, "XSS", "")
		if n, err := worker(d, db.WebhookReachLoopback).SendDue(ctx); err != nil || n != 0 {
			t.Fatalf("sent %d, %v", n, err)
		}
		ds, _ := d.Deliveries(ctx, hook.ID, 10)
		if ds[0].Status != db.OutboxFailed || !strings.Contains(ds[0].LastError, "302") || inner.Load() != 0 {
			t.Fatalf("delivery %s %q, redirect target hit %d times", ds[0].Status, ds[0].LastError, inner.Load())
		}
	})
}

// TestWebhookClientRefuses: the client the worker builds refuses, before
// any packet is sent, the addresses no setting allows, and private ones in
// the default reach; and it takes no proxy from the environment, which
// would connect for it unchecked.
func TestWebhookClientRefuses(t *testing.T) {
	for _, tt := range []struct {
		url   string
		reach db.WebhookReach
		want  string
	}{
		{"http://169.254.169.254/latest/meta-data/", db.WebhookReachLoopback, "refused: 169.254.169.254 is a cloud metadata address and never allowed"},
		{"http://[fd00:ec2::254]/latest/meta-data/", db.WebhookReachLoopback, "refused: fd00:ec2::254 is a cloud metadata address and never allowed"},
		{"http://[::ffff:169.254.169.254]/", db.WebhookReachLoopback, "is a cloud metadata address"},
		{"http://0.0.0.0:9/", db.WebhookReachLoopback, "refused: 0.0.0.0 is the unspecified address"},
		{"http://10.0.0.5/", db.WebhookReachPublic, "refused: 10.0.0.5 is a private address; set DISCLOSE_WEBHOOK_ALLOW_PRIVATE to allow it"},
		{"http://100.64.0.1/", db.WebhookReachPublic, "refused: 100.64.0.1 is a private address"},
		{"http://[fd00::1]/", db.WebhookReachPublic, "refused: fd00::1 is a private address"},
	} {
		t.Run(tt.url, func(t *testing.T) {
			c := webhookClient(tt.reach)
			resp, err := c.Post(tt.url, "application/json", strings.NewReader("{}"))
			if err == nil {
				resp.Body.Close()
				t.Fatal("posted")
			}
			ae, ok := refusedAddr(err)
			if !ok {
				t.Fatalf("error %v, want an address refusal", err)
			}
			if got := ae.Message; !strings.Contains(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("OKPrivateAllowed", func(t *testing.T) {
		// The check the dialer runs on each connection; connecting for real
		// would need a host on a private network.
		for _, addr := range []string{"10.0.0.5:443", "[fd00::1]:443", "100.64.0.1:80"} {
			if err := checkDialAddr(addr, db.WebhookReachPrivate); err != nil {
				t.Errorf("%s: %v", addr, err)
			}
		}
	})
	t.Run("ErrNoProxy", func(t *testing.T) {
		if tr := webhookClient(db.WebhookReachPublic).Transport.(*http.Transport); tr.Proxy != nil {
			t.Fatal("the webhook client uses a proxy from the environment")
		}
	})
}
