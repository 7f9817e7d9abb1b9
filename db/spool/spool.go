// Package spool holds bytes on their way into the database: in memory while
// small, beyond that in an age-encrypted temporary file. The mail gateway
// (mailin) spools mailed attachments and raw mail, the web side (handlers)
// spools uploaded files; db then reads each back as a stream
// (db.SpooledFile). It lives under db, which both writers already import,
// and imports nothing of ours, so that neither writer imports the other.
package spool

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"filippo.io/age"
)

// DefaultMemory is how much of one spool stays in memory before it spills
// to a temporary file, when Spool.Memory is zero; small content never
// touches the disk.
const DefaultMemory = 1 << 20

// key is this process's key for what spills to disk: a fresh X25519
// identity, made at the first spill and held in memory only. Spilled bytes
// are decoded attachments, raw mail (decrypted ones included) and uploaded
// files, so they are written as age-encrypted files: in sealed mode no
// plaintext of a report reaches the disk, and in any mode a temporary file
// left behind or read back from freed blocks is useless once the process
// is gone.
var key = sync.OnceValues(age.GenerateX25519Identity)

// Closing, when set (by tests only), sees each spilled file just before it
// is closed, to check that it holds only ciphertext.
var Closing func(f *os.File)

// Spool holds bytes of unknown length: in memory while small, in a
// temporary file beyond, so a 25 MB file costs its size once on disk, not
// the doublings of a growing buffer in memory. The file is unlinked at once
// where the system allows and holds only age ciphertext under the process
// key. Set Dir and Memory before the first write.
type Spool struct {
	Dir    string // for the temporary file; "" is os.TempDir
	Memory int64  // bytes kept in memory before spilling; 0 is DefaultMemory

	buf  bytes.Buffer
	f    *os.File
	w    io.WriteCloser // the encrypter writing to f, until the first read
	size int64          // of f, once written
	err  error          // why the file cannot be read back
	n    int64
}

func (s *Spool) Write(p []byte) (int, error) {
	if s.f == nil && int64(s.buf.Len()+len(p)) > s.memory() {
		if err := s.spill(); err != nil {
			return 0, err
		}
	}
	var n int
	var err error
	if s.f != nil {
		if s.w == nil {
			return 0, errors.New("spool: written after it was read")
		}
		n, err = s.w.Write(p)
	} else {
		n, err = s.buf.Write(p)
	}
	s.n += int64(n)
	return n, err
}

// spill moves what is in memory to a new encrypted temporary file.
func (s *Spool) spill() error {
	id, err := key()
	if err != nil {
		return fmt.Errorf("spool: key: %w", err)
	}
	f, err := os.CreateTemp(s.Dir, "disclose-spool-*")
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	// Unlinked at once where the system allows, so a crash leaves nothing.
	os.Remove(f.Name())
	s.f = f
	if s.w, err = age.Encrypt(f, id.Recipient()); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := s.w.Write(s.buf.Bytes()); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.buf = bytes.Buffer{}
	return nil
}

// readable finishes the encrypted file at the first read.
func (s *Spool) readable() error {
	if s.w == nil {
		return s.err
	}
	w := s.w
	s.w = nil
	if err := w.Close(); err != nil {
		s.err = fmt.Errorf("spool: %w", err)
		return s.err
	}
	st, err := s.f.Stat()
	if err != nil {
		s.err = fmt.Errorf("spool: %w", err)
		return s.err
	}
	s.size = st.Size()
	return nil
}

// decrypted reads the file back from its start. age authenticates each
// 64 KiB chunk as it is read, and the end, so a file changed on disk fails
// the read rather than giving other bytes.
func (s *Spool) decrypted() (io.Reader, error) {
	if err := s.readable(); err != nil {
		return nil, err
	}
	id, _ := key() // made at the spill
	r, err := age.Decrypt(io.NewSectionReader(s.f, 0, s.size), id)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	return r, nil
}

// Grow makes room for n bytes about to be written when they will stay in
// memory, so small content is read into one allocation.
func (s *Spool) Grow(n int64) {
	if s.f == nil && n > 0 && int64(s.buf.Len())+n <= s.memory() {
		s.buf.Grow(int(n))
	}
}

// memory is how much of the content stays in memory.
func (s *Spool) memory() int64 {
	if s.Memory > 0 {
		return s.Memory
	}
	return DefaultMemory
}

// OnDisk says whether the content spilled to the temporary file.
func (s *Spool) OnDisk() bool { return s.f != nil }

// Size is the number of bytes written.
func (s *Spool) Size() int64 { return s.n }

// Reader reads everything written from the start; each call starts again.
// Nothing may be written after the first call.
func (s *Spool) Reader() io.Reader {
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
func (s *Spool) Bytes() ([]byte, error) {
	if s.f == nil {
		return s.buf.Bytes(), nil
	}
	r, err := s.decrypted()
	if err != nil {
		return nil, err
	}
	out := make([]byte, s.n)
	if _, err := io.ReadFull(r, out); err != nil {
		return nil, fmt.Errorf("spool: read back: %w", err)
	}
	return out, nil
}

// Close drops the content.
func (s *Spool) Close() error {
	s.buf = bytes.Buffer{}
	if s.f == nil {
		return nil
	}
	if s.w != nil {
		s.w.Close()
		s.w = nil
	}
	if Closing != nil {
		Closing(s.f)
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
