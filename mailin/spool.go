package mailin

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"filippo.io/age"
)

// spoolMemory is how much of one message or part stays in memory before it
// spills to a temporary file; small mail never touches the disk.
const spoolMemory = 1 << 20

// copyBuffers keeps the 32 KB buffers of copyPooled: io.Copy allocates one
// per call when neither side helps, which was per mail and per part.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// copyPooled is io.Copy with a buffer from copyBuffers.
func copyPooled(dst io.Writer, src io.Reader) (int64, error) {
	b := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(b)
	return io.CopyBuffer(dst, src, *b)
}

// spoolKey is this process's key for what spills to disk: a fresh X25519
// identity, made at the first spill and held in memory only. Spilled bytes
// are the decoded attachments and the raw mail, decrypted ones included, so
// they are written as age-encrypted files: in sealed mode no plaintext of a
// report reaches the disk, and in any mode a temporary file left behind or
// read back from freed blocks is useless once the process is gone.
var spoolKey = sync.OnceValues(age.GenerateX25519Identity)

// spoolClosing, in tests, sees each spilled file just before it is closed.
var spoolClosing func(f *os.File)

// spool holds bytes of unknown length: in memory while small, in a temporary
// file beyond, so a 25 MB attachment costs its decoded size once, not the
// doublings of a growing buffer. The file is unlinked at once where the
// system allows and holds only age ciphertext under spoolKey.
type spool struct {
	dir  string // for the temporary file; "" is os.TempDir
	max  int64  // bytes kept in memory before spilling; 0 is spoolMemory
	buf  bytes.Buffer
	f    *os.File
	w    io.WriteCloser // the encrypter writing to f, until the first read
	size int64          // of f, once written
	err  error          // why the file cannot be read back
	n    int64
}

func (s *spool) Write(p []byte) (int, error) {
	if s.f == nil && int64(s.buf.Len()+len(p)) > s.memory() {
		if err := s.spill(); err != nil {
			return 0, err
		}
	}
	var n int
	var err error
	if s.f != nil {
		if s.w == nil {
			return 0, errors.New("mailin: spool: written after it was read")
		}
		n, err = s.w.Write(p)
	} else {
		n, err = s.buf.Write(p)
	}
	s.n += int64(n)
	return n, err
}

// spill moves what is in memory to a new encrypted temporary file.
func (s *spool) spill() error {
	id, err := spoolKey()
	if err != nil {
		return fmt.Errorf("mailin: spool key: %w", err)
	}
	f, err := os.CreateTemp(s.dir, "disclose-mail-*")
	if err != nil {
		return fmt.Errorf("mailin: spool: %w", err)
	}
	// Unlinked at once where the system allows, so a crash leaves nothing.
	os.Remove(f.Name())
	s.f = f
	if s.w, err = age.Encrypt(f, id.Recipient()); err != nil {
		return fmt.Errorf("mailin: spool: %w", err)
	}
	if _, err := s.w.Write(s.buf.Bytes()); err != nil {
		return fmt.Errorf("mailin: spool: %w", err)
	}
	s.buf = bytes.Buffer{}
	return nil
}

// readable finishes the encrypted file at the first read.
func (s *spool) readable() error {
	if s.w == nil {
		return s.err
	}
	w := s.w
	s.w = nil
	if err := w.Close(); err != nil {
		s.err = fmt.Errorf("mailin: spool: %w", err)
		return s.err
	}
	st, err := s.f.Stat()
	if err != nil {
		s.err = fmt.Errorf("mailin: spool: %w", err)
		return s.err
	}
	s.size = st.Size()
	return nil
}

// decrypted reads the file back from its start. age authenticates each
// 64 KiB chunk as it is read, and the end, so a file changed on disk fails
// the read rather than giving other bytes.
func (s *spool) decrypted() (io.Reader, error) {
	if err := s.readable(); err != nil {
		return nil, err
	}
	id, _ := spoolKey() // made at the spill
	r, err := age.Decrypt(io.NewSectionReader(s.f, 0, s.size), id)
	if err != nil {
		return nil, fmt.Errorf("mailin: spool: %w", err)
	}
	return r, nil
}

// grow makes room for n bytes about to be written when they will stay in
// memory, so a small message is read into one allocation.
func (s *spool) grow(n int64) {
	if s.f == nil && n > 0 && int64(s.buf.Len())+n <= s.memory() {
		s.buf.Grow(int(n))
	}
}

// memory is how much of the content stays in memory.
func (s *spool) memory() int64 {
	if s.max > 0 {
		return s.max
	}
	return spoolMemory
}

// OnDisk says whether the content spilled to the temporary file.
func (s *spool) OnDisk() bool { return s.f != nil }

// Size is the number of bytes written.
func (s *spool) Size() int64 { return s.n }

// Reader reads everything written from the start; each call starts again.
// Nothing may be written after the first call.
func (s *spool) Reader() io.Reader {
	if s.f == nil {
		return bytes.NewReader(s.buf.Bytes())
	}
	r, err := s.decrypted()
	if err != nil {
		return errReader{err}
	}
	return r
}

// Bytes returns the content in one allocation of its exact size.
func (s *spool) Bytes() ([]byte, error) {
	if s.f == nil {
		return s.buf.Bytes(), nil
	}
	r, err := s.decrypted()
	if err != nil {
		return nil, err
	}
	out := make([]byte, s.n)
	if _, err := io.ReadFull(r, out); err != nil {
		return nil, fmt.Errorf("mailin: read spool: %w", err)
	}
	return out, nil
}

// Close drops the content.
func (s *spool) Close() error {
	s.buf = bytes.Buffer{}
	if s.f == nil {
		return nil
	}
	if s.w != nil {
		s.w.Close()
		s.w = nil
	}
	if spoolClosing != nil {
		spoolClosing(s.f)
	}
	name := s.f.Name()
	err := s.f.Close()
	os.Remove(name)
	s.f = nil
	return err
}

// errReader fails every read with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
