package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/disclose/disclose/handlers"
)

// TestMetricsMethodLabelBounded: the HTTP method is whatever token a client
// sends; as a label each new one made a new series that lives until the
// process ends, so a loop of made-up methods grew memory without bound.
func TestMetricsMethodLabelBounded(t *testing.T) {
	p := newPortal(t, configure(func(c *handlers.Config) { c.MetricsLoopback = true }))
	for i := 0; i < 20; i++ {
		req, _ := http.NewRequest(fmt.Sprintf("X%d", i), p.Server.URL+"/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	_, body := scrape(t, p, nil)
	if strings.Contains(body, `method="X1"`) {
		t.Fatal("a made-up method became a metric label")
	}
	if !strings.Contains(body, `method="other"`) {
		t.Fatal(`made-up methods are not counted as method="other"`)
	}
}
