package db

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// TestPasswordHashesBounded: parallel logins (anyone can send them) never
// run more argon2id computations at once than hashSlots allows, so their
// memory stays bounded.
func TestPasswordHashesBounded(t *testing.T) {
	ctx := context.Background()
	d := openInternal(t)
	d.Auth.Argon2 = Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	d.Auth.MaxClientFailures, d.Auth.MaxAccountFailures = 0, 0

	burnPasswordTime("warm up", d.Auth.Argon2) // the dummy hash is made once, outside the test
	var running, peak atomic.Int32
	gate := make(chan struct{})
	real := idKey
	idKey = func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-gate // hold the slot until every login had its chance to start
		defer running.Add(-1)
		return real(password, salt, time, memory, threads, keyLen)
	}
	defer func() { idKey = real }()

	const logins = 16
	var wg sync.WaitGroup
	for i := range logins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.Login(ctx, fmt.Sprintf("user%d@example.org", i), "guess guess guess", fmt.Sprintf("192.0.2.%d", i))
		}()
	}
	// Give every login the chance to start its hash (bounded: with the
	// limit in place the count never gets there), then let them all finish.
	for i := 0; i < 100000 && running.Load() < logins; i++ {
		runtime.Gosched()
	}
	close(gate)
	wg.Wait()
	if got, want := peak.Load(), int32(cap(hashSlots)); got > want {
		t.Fatalf("got %d argon2id computations at once, want at most %d", got, want)
	}
}
