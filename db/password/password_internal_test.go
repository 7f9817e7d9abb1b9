package password

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// TestHashesBounded: parallel checks (a login form lets anyone ask for
// them) never run more argon2id computations at once than hashSlots
// allows, so their memory stays bounded. Burn is in the count: a login for
// an unknown address costs a hash too.
func TestHashesBounded(t *testing.T) {
	p := Params{Memory: 1024, Time: 1, Threads: 1}
	Burn("warm up", p) // the dummy hash is made once, outside the test
	stored, err := Hash("correct horse battery staple", p)
	if err != nil {
		t.Fatal(err)
	}
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
		<-gate // hold the slot until every check had its chance to start
		defer running.Add(-1)
		return real(password, salt, time, memory, threads, keyLen)
	}
	defer func() { idKey = real }()

	const checks = 16
	var wg sync.WaitGroup
	for i := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				Burn(fmt.Sprintf("guess %d", i), p)
			} else if ok, _ := Check(stored, fmt.Sprintf("guess %d", i), p); ok {
				t.Errorf("guess %d matched", i)
			}
		}()
	}
	// Give every check the chance to start its hash (bounded: with the
	// limit in place the count never gets there), then let them all finish.
	for i := 0; i < 100000 && running.Load() < checks; i++ {
		runtime.Gosched()
	}
	close(gate)
	wg.Wait()
	if got, want := peak.Load(), int32(cap(hashSlots)); got > want {
		t.Fatalf("got %d argon2id computations at once, want at most %d", got, want)
	}
}

// TestCheck: the right password matches, a wrong one does not, a hash made
// with other costs is stale, and a malformed hash never matches.
func TestCheck(t *testing.T) {
	p := Params{Memory: 1024, Time: 1, Threads: 1}
	h, err := Hash("correct horse battery staple", p)
	if err != nil {
		t.Fatal(err)
	}
	if ok, stale := Check(h, "correct horse battery staple", p); !ok || stale {
		t.Fatalf("right password: ok=%v stale=%v", ok, stale)
	}
	if ok, _ := Check(h, "correct horse battery stapler", p); ok {
		t.Fatal("a wrong password matched")
	}
	if ok, stale := Check(h, "correct horse battery staple", Params{Memory: 2048, Time: 1, Threads: 1}); !ok || !stale {
		t.Fatalf("other costs: ok=%v stale=%v, want a match that is stale", ok, stale)
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=1024,t=1,p=1$$", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$a2V5"} {
		if ok, _ := Check(bad, "", p); ok {
			t.Errorf("malformed hash %q matched", bad)
		}
	}
}
