package mailin

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
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

// spool holds bytes of unknown length: in memory while small, in a temporary
// file beyond, so a 25 MB attachment costs its decoded size once, not the
// doublings of a growing buffer.
type spool struct {
	dir string // for the temporary file; "" is os.TempDir
	max int64  // bytes kept in memory before spilling; 0 is spoolMemory
	buf bytes.Buffer
	f   *os.File
	n   int64
}

func (s *spool) Write(p []byte) (int, error) {
	if s.f == nil && int64(s.buf.Len()+len(p)) > s.memory() {
		f, err := os.CreateTemp(s.dir, "disclose-mail-*")
		if err != nil {
			return 0, fmt.Errorf("mailin: spool: %w", err)
		}
		// Unlinked at once where the system allows, so a crash leaves nothing.
		os.Remove(f.Name())
		s.f = f
		if _, err := f.Write(s.buf.Bytes()); err != nil {
			return 0, fmt.Errorf("mailin: spool: %w", err)
		}
		s.buf = bytes.Buffer{}
	}
	var n int
	var err error
	if s.f != nil {
		n, err = s.f.Write(p)
	} else {
		n, err = s.buf.Write(p)
	}
	s.n += int64(n)
	return n, err
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
func (s *spool) Reader() io.Reader {
	if s.f != nil {
		return io.NewSectionReader(s.f, 0, s.n)
	}
	return bytes.NewReader(s.buf.Bytes())
}

// Bytes returns the content in one allocation of its exact size.
func (s *spool) Bytes() ([]byte, error) {
	if s.f == nil {
		return s.buf.Bytes(), nil
	}
	out := make([]byte, s.n)
	if _, err := io.ReadFull(io.NewSectionReader(s.f, 0, s.n), out); err != nil {
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
	name := s.f.Name()
	err := s.f.Close()
	os.Remove(name)
	s.f = nil
	return err
}
