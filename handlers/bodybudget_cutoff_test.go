package handlers

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestStalledUploadIsCutOff: to hold the budget a stranger now has to send
// it; a body that then stops arriving (or trickles below the minimum rate)
// is cut off with 408 and gives its share back, and the next upload from
// that network is taken.
func TestStalledUploadIsCutOff(t *testing.T) {
	s, srv := slowPortal(t, func(c *Config) { c.BodyMinRate, c.BodyRateWindow = 64<<10, 300*time.Millisecond })
	t.Run("StopsAfterMost", func(t *testing.T) {
		conn := rawUpload(t, srv, "2001:db8:1::1", 1<<20, 900<<10) // then nothing
		start := time.Now()
		if got := answer(t, conn, 10*time.Second); got != http.StatusRequestTimeout {
			t.Fatalf("a stalled upload got %d, want 408", got)
		}
		t.Logf("a stalled upload holding 900 KiB was cut off after %v", time.Since(start).Round(time.Millisecond))
		waitEmpty(t, s.bodies)
		if got := honestUpload(t, srv, "2001:db8:1::2", 900<<10); got == http.StatusServiceUnavailable {
			t.Errorf("the next upload from the same network was refused after the stalled one was cut off")
		}
	})
	t.Run("Trickles", func(t *testing.T) {
		conn := rawUpload(t, srv, "2001:db8:2::1", 1<<20, 100)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { // 10 bytes every 50 ms: 200 B/s
			defer close(done)
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for i := 0; i < 400; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := conn.Write([]byte(strings.Repeat("a", 10))); err != nil {
						return
					}
				}
			}
		}()
		defer func() { close(stop); <-done }()
		if got := answer(t, conn, 10*time.Second); got != http.StatusRequestTimeout {
			t.Fatalf("a trickling upload got %d, want 408", got)
		}
	})
	t.Run("OK/FastUpload", func(t *testing.T) {
		if got := honestUpload(t, srv, "198.51.100.7", 900<<10); got == http.StatusServiceUnavailable || got == http.StatusRequestTimeout {
			t.Errorf("an upload at loopback speed got %d", got)
		}
	})
}

// waitEmpty waits (bounded) until no body holds any of the budget.
func waitEmpty(t *testing.T, b *bodyBudget) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	limit := time.After(10 * time.Second)
	for {
		b.mu.Lock()
		used := b.used
		b.mu.Unlock()
		if used == 0 {
			return
		}
		select {
		case <-tick.C:
		case <-limit:
			t.Fatalf("%d bytes of the budget still held", used)
		}
	}
}
