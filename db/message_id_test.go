package db

import (
	"strings"
	"testing"
	"time"
)

// TestNewMessageIDSortsByTime: IDs made later sort later (the outbox's
// unique index takes them at its end), and each keeps 160 random bits.
func TestNewMessageIDSortsByTime(t *testing.T) {
	start := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	var prev string
	seen := map[string]bool{}
	for i := range 2000 {
		now := start.Add(time.Duration(i*i) * 997 * time.Microsecond)
		id := NewMessageID(now, "security.example.org")
		if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@security.example.org>") || len(id) != len("<")+10+32+len("@security.example.org>") {
			t.Fatalf("malformed id %q", id)
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
		if prev != "" && now.UnixMilli() > start.Add(time.Duration((i-1)*(i-1))*997*time.Microsecond).UnixMilli() && id <= prev {
			t.Fatalf("id %q made at %s sorts before %q made earlier", id, now, prev)
		}
		prev = id
	}
	// Far in the future the order holds as well.
	a := NewMessageID(time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC), "x")
	b := NewMessageID(time.Date(2999, 1, 1, 0, 0, 0, 1e6, time.UTC), "x")
	if a[:11] >= b[:11] {
		t.Fatalf("%q does not sort before %q", a, b)
	}
}
