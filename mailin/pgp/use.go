package pgp

import (
	"errors"
	"io"
	"sync"
	"time"

	pgpcrypto "github.com/ProtonMail/gopenpgp/v2/crypto"
)

// DefaultLockWait is how long Lock waits for the uses of the private key in
// progress to end before it cuts them (see TeamKey.Lock).
const DefaultLockWait = 5 * time.Second

// unlockedKey is one unlock of the team key: the private key ring and the
// uses of it in progress. Lock retires it: no new use begins, and the ring
// is wiped once no use can touch it any more.
type unlockedKey struct {
	ring *pgpcrypto.KeyRing
	uses map[*keyUse]struct{} // guarded by TeamKey.mu
	idle chan struct{}        // closed when the last use ends while Lock waits
}

// keyUse is one use of the private key: an operation (Open, a signature)
// or a stream (OpenFrom, DecryptTo) that may reach the key until it ends.
// Everything that touches the ring runs under mu, so that Lock, to cut a
// use, waits for the step in progress (one operation, one Read) and every
// later step sees cut and fails with ErrLocked without touching the key.
type keyUse struct {
	t   *TeamKey
	k   *unlockedKey
	mu  sync.Mutex
	cut bool
	// done is guarded by TeamKey.mu.
	done bool
}

// begin starts a use of the unlocked key; ErrLocked while it is locked (or
// being locked).
func (t *TeamKey) begin() (*keyUse, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := t.unlocked
	if k == nil {
		return nil, ErrLocked
	}
	u := &keyUse{t: t, k: k}
	k.uses[u] = struct{}{}
	return u, nil
}

// end ends the use; Lock no longer waits for it. It may be called again.
func (u *keyUse) end() {
	u.t.mu.Lock()
	defer u.t.mu.Unlock()
	if u.done {
		return
	}
	u.done = true
	delete(u.k.uses, u)
	if len(u.k.uses) == 0 && u.k.idle != nil {
		close(u.k.idle)
		u.k.idle = nil
	}
}

// do runs fn with the key ring, or fails with ErrLocked once Lock cut the
// use.
func (u *keyUse) do(fn func(ring *pgpcrypto.KeyRing) error) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.cut {
		return ErrLocked
	}
	return fn(u.k.ring)
}

// withRing runs fn with the unlocked key ring as one use: Lock, which wipes
// the private key in place, waits until fn is done rather than zeroing a
// key that is being used.
func (t *TeamKey) withRing(fn func(ring *pgpcrypto.KeyRing) error) error {
	u, err := t.begin()
	if err != nil {
		return err
	}
	defer u.end()
	return u.do(fn)
}

// retire waits up to the lock wait for the uses of k to end, cuts the ones
// left and wipes the private key. No new use of k begins once it is no
// longer t.unlocked.
func (t *TeamKey) retire(k *unlockedKey) {
	t.mu.Lock()
	var idle chan struct{}
	if len(k.uses) > 0 {
		k.idle = make(chan struct{})
		idle = k.idle
	}
	t.mu.Unlock()
	if idle != nil {
		wait := t.LockWait
		if wait <= 0 {
			wait = DefaultLockWait
		}
		timer := time.NewTimer(wait)
		select {
		case <-idle:
		case <-timer.C:
		}
		timer.Stop()
	}
	t.mu.Lock()
	left := make([]*keyUse, 0, len(k.uses))
	for u := range k.uses {
		left = append(left, u)
	}
	t.mu.Unlock()
	for _, u := range left {
		u.mu.Lock() // the step in progress, if any, ends first
		u.cut = true
		u.mu.Unlock()
	}
	k.ring.ClearPrivateParams()
}

// useReader reads a decrypting stream as a use of the key: each Read is a
// step of the use, and the use ends with the stream (its end, an error, or
// Close).
type useReader struct {
	u *keyUse
	r io.Reader
	// classify turns a failure of the stream into ErrCorrupt (OpenFrom);
	// DecryptTo tells its failures apart itself.
	classify bool
}

func (s *useReader) Read(p []byte) (int, error) {
	var n int
	var rerr error
	if err := s.u.do(func(*pgpcrypto.KeyRing) error {
		n, rerr = s.r.Read(p)
		return nil
	}); err != nil {
		s.u.end()
		return 0, err
	}
	if rerr != nil {
		s.u.end()
		if s.classify && !errors.Is(rerr, io.EOF) {
			rerr = classifyDecryptError(rerr)
		}
	}
	return n, rerr
}

// Close ends the use; a stream not read to its end must be closed, or Lock
// waits for it (up to its wait).
func (s *useReader) Close() error {
	s.u.end()
	return nil
}
