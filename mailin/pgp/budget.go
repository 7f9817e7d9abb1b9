package pgp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgpcrypto "github.com/ProtonMail/gopenpgp/v2/crypto"
)

// Budget is how many plaintext bytes the decryptions of one mail may still
// produce. OpenPGP compresses, and compressed packets nest: a mail of a few
// kilobytes can hold dozens of messages that each inflate to gigabytes. One
// budget shared by every decryption of a mail (inline blocks, PGP/MIME, an
// encrypted message inside a decrypted one, .pgp files, the re-checks of
// signatures) bounds the work a stranger's mail can cause, however it is
// split. It is charged while the plaintext streams, never after.
type Budget struct {
	mu    sync.Mutex
	total int64
	left  int64
}

// NewBudget is a budget of n bytes.
func NewBudget(n int64) *Budget { return &Budget{total: n, left: n} }

// Total is the budget as it was made, for notes that name the limit.
func (b *Budget) Total() int64 { return b.total }

// Left is what is left of the budget.
func (b *Budget) Left() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.left
}

// take charges n bytes; false when they do not fit (the budget is then spent).
func (b *Budget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.left {
		b.left = 0
		return false
	}
	b.left -= n
	return true
}

// budgetReader reads plaintext and charges it to a budget, failing with
// ErrTooLarge at the first byte past it: decompression stops there.
type budgetReader struct {
	r io.Reader
	b *Budget
}

func (r *budgetReader) Read(p []byte) (int, error) {
	// Ask for at most one byte more than is left, so that a message that
	// ends exactly at the budget still reads to its end.
	if left := r.b.Left(); int64(len(p)) > left+1 {
		p = p[:left+1]
	}
	n, err := r.r.Read(p)
	if !r.b.take(int64(n)) {
		return 0, ErrTooLarge
	}
	return n, err
}

// DecryptTo decrypts an OpenPGP message (armored or binary) sent to the team
// key from msg, writes its plaintext to w as it streams, and checks its
// signature against signerKeys. Every plaintext byte is charged to b; past
// it, decryption stops with ErrTooLarge. On any error what w received must
// be thrown away: it is neither complete nor authenticated. It needs the
// unlocked key.
func (t *TeamKey) DecryptTo(w io.Writer, msg io.Reader, b *Budget, signerKeys []*PublicKey, now time.Time) (Signature, error) {
	verify, err := signers(signerKeys)
	if err != nil {
		return "", err
	}
	// The whole decryption is one use of the key: Lock waits for it (up
	// to its wait) instead of wiping the key under the stream.
	u, err := t.begin()
	if err != nil {
		return "", err
	}
	defer u.end()
	br := bufio.NewReader(msg)
	head, _ := br.Peek(1024)
	var packets io.Reader = br
	if isArmored(head) {
		block, err := armor.Decode(br)
		if err != nil || block.Type != "PGP MESSAGE" {
			return "", ErrCorrupt
		}
		packets = block.Body
	}
	var r *pgpcrypto.PlainMessageReader
	if err := u.do(func(ring *pgpcrypto.KeyRing) error {
		var err error
		if r, err = ring.DecryptStream(packets, verify, now.Unix()); err != nil {
			return classifyDecryptError(err)
		}
		return nil
	}); err != nil {
		return "", err
	}
	if _, err := io.Copy(plainWriter{w}, &budgetReader{r: &useReader{u: u, r: r}, b: b}); err != nil {
		switch {
		case errors.Is(err, ErrTooLarge), errors.Is(err, ErrLocked):
			return "", err
		case errors.Is(err, ErrWrite):
			return "", err
		}
		return "", classifyDecryptError(err)
	}
	var status Signature
	if err := u.do(func(*pgpcrypto.KeyRing) error {
		var err error
		if status, err = sigStatus(r.VerifySignature()); err != nil {
			return classifyDecryptError(err)
		}
		return nil
	}); err != nil {
		return "", err
	}
	return status, nil
}

// ErrWrite marks a failure of the writer DecryptTo was given (a full disk,
// a limit of the caller's), told apart from damaged input; the writer's
// own error is wrapped too.
var ErrWrite = errors.New("pgp: write plaintext")

type plainWriter struct{ w io.Writer }

func (p plainWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if err != nil {
		return n, fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return n, nil
}
