package handlers_test

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// BenchmarkSubmitSealing runs the whole submission handler path (as
// BenchmarkSubmit) with sealing off and on in the same run, so their rates
// compare: sealing should cost at most 2x with a curve25519 team key.
func BenchmarkSubmitSealing(b *testing.B) {
	for _, mode := range []string{"plain", "sealed"} {
		b.Run(mode, func(b *testing.B) {
			p := newPortal(b, configure(reportLimits), wallClock())
			if mode == "sealed" {
				key := newTeamKey(b)
				key.Lock() // intake seals with the public key only
				p.DB.SetSealer(key, true)
			}
			csrf, _ := p.browser(b).formToken()
			cookie := "disclose_csrf=" + csrf
			handler := p.Handler
			b.ReportAllocs()
			b.SetParallelism(16)
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
		})
	}
}
