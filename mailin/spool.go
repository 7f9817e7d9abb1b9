package mailin

import (
	"io"
	"sync"
)

// The spool itself (memory, then an age-encrypted temporary file) is
// db/spool, shared with the web side's uploads.

// copyBuffers keeps the 32 KB buffers of copyPooled: io.Copy allocates one
// per call when neither side helps, which was per mail and per part.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// copyPooled is io.Copy with a buffer from copyBuffers.
func copyPooled(dst io.Writer, src io.Reader) (int64, error) {
	b := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(b)
	return io.CopyBuffer(dst, src, *b)
}

// errReader fails every read with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
