package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
)

// BenchmarkSubmit measures the whole handler path of a submission without
// attachments: CSRF check, form parsing, validation, the insert transaction
// and the receipt page.
func BenchmarkSubmit(b *testing.B) {
	p := newPortal(b, configure(reportLimits), wallClock())
	csrf, _ := p.browser(b).formToken()
	cookie := "disclose_csrf=" + csrf
	handler := p.Handler
	b.ReportAllocs()
	b.SetParallelism(16) // many researchers at once, as in the load run
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		fields := url.Values{}
		for k, v := range validFields(csrf, "") {
			fields.Set(k, v)
		}
		for pb.Next() {
			key, err := db.NewSubmissionKey(time.Now()) // as the form hands out
			if err != nil {
				b.Fatal(err)
			}
			fields.Set("key", key)
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
}
