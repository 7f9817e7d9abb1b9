package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// BenchmarkForgotTiming times "forgot your password?" for an account that
// gets a mail and for an unknown address, interleaved so that both see the
// same machine, and reports the median of each and their ratio
// (unknown/known; 1 means a stranger cannot tell them apart by time). The
// per-address limit is lifted so that every request of the account mails.
func BenchmarkForgotTiming(b *testing.B) {
	p := newPortal(b, wallClock())
	p.DB.Auth.ResetPerAddress = 1 << 30
	p.mustUser(b, "alice@example.org", db.RoleTriager)
	csrf, _ := p.browser(b).formToken()
	cookie := "disclose_csrf=" + csrf
	send := func(email string) time.Duration {
		form := url.Values{"csrf": {csrf}, "email": {email}}
		req := httptest.NewRequest(http.MethodPost, "/login/forgot", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", cookie)
		rec := httptest.NewRecorder()
		start := time.Now()
		p.Handler.ServeHTTP(rec, req)
		d := time.Since(start)
		if rec.Code != http.StatusSeeOther {
			b.Fatalf("status %d", rec.Code)
		}
		return d
	}
	var known, unknown []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			known = append(known, send("alice@example.org"))
			unknown = append(unknown, send("nobody@example.org"))
		} else {
			unknown = append(unknown, send("nobody@example.org"))
			known = append(known, send("alice@example.org"))
		}
	}
	b.StopTimer()
	median := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Nanoseconds())
	}
	mk, mu := median(known), median(unknown)
	b.ReportMetric(mk, "known-median-ns")
	b.ReportMetric(mu, "unknown-median-ns")
	b.ReportMetric(mu/mk, "unknown/known")
}
