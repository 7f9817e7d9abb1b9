package handlers_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/disclose/disclose/mailin"
)

// BenchmarkSubmitSealing runs the whole submission handler path (as
// BenchmarkSubmit) with sealing off and on in the same run, so their rates
// compare. As in `disclose serve` the events the submissions record are
// composed into mail (a report with a contact address gets its
// acknowledgement), within the timed part, and
// the sealed portal runs once with the team key locked (intake needs only
// the public key) and once unlocked (the usual state of a running portal).
// The target is sealed ≤ 1.5× plain with a curve25519 team key. Besides
// ns/op it reports cpu-µs/op, the process's CPU time per submission, which
// other load on a shared machine inflates much less than the wall time.
func BenchmarkSubmitSealing(b *testing.B) {
	for _, mode := range []string{"plain", "sealed-locked", "sealed-unlocked"} {
		b.Run(mode, func(b *testing.B) {
			p := newPortal(b, configure(reportLimits), wallClock())
			events := &mailin.Events{Store: p.DB, Notifier: &mailin.Notifier{BaseURL: p.Config.BaseURL, Domain: "portal.example.org"}}
			if mode != "plain" {
				key := newTeamKey(b)
				if mode == "sealed-locked" {
					key.Lock() // intake seals with the public key only
				}
				p.DB.SetSealer(key, true)
			}
			csrf, _ := p.browser(b).formToken()
			cookie := "disclose_csrf=" + csrf
			handler := p.Handler
			b.ReportAllocs()
			b.SetParallelism(16)
			cpu0 := processCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				key := make([]byte, 16)
				fields := url.Values{}
				for k, v := range validFields(csrf, "") {
					fields.Set(k, v)
				}
				for pb.Next() {
					rand.Read(key)
					fields.Set("key", hex.EncodeToString(key))
					req := httptest.NewRequest(http.MethodPost, "/report", strings.NewReader(fields.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.Header.Set("Cookie", cookie)
					rec := httptest.NewRecorder()
					handler.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d", rec.Code)
					}
				}
			})
			if _, err := events.Drain(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// processCPU is the CPU time (user and system) the test process used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
