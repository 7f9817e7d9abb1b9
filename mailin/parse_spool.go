package mailin

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/spool"
)

// What one mail may hold in memory while it is parsed for storage: beyond
// memFiles of attachments, each further one spills to the spool at once,
// and what decryption and signature checks read (ciphertext, plaintext,
// signed parts) keeps at most tempMemory each in memory. A mail of fifty
// attachments of just under 1 MB then costs 8 MB, not 50.
const (
	memFiles   = 8 << 20
	minMemory  = 4 << 10
	tempMemory = 256 << 10
)

// fileSpool is a spool for one attachment: within what is left of memFiles
// when the mail is parsed for storage (keepSpooled), the usual spool
// otherwise (everything ends in memory then anyway).
func (c *collector) fileSpool() *spool.Spool {
	sp := &spool.Spool{Dir: c.spoolDir}
	if c.keepSpooled {
		sp.Memory = max(min(spool.DefaultMemory, memFiles-c.memBytes), minMemory)
	}
	return sp
}

// tempSpool is a spool that lives until the mail is parsed.
func (c *collector) tempSpool() *spool.Spool {
	sp := &spool.Spool{Dir: c.spoolDir, Memory: tempMemory}
	c.temps = append(c.temps, sp)
	return sp
}

// setSpooled records whether file idx waits in a spool (sf) or is in memory
// (nil), keeping InboundMail.Spooled nil while no file is spooled.
func (c *collector) setSpooled(idx int, sf *db.SpooledFile) {
	if sf == nil && c.in.Spooled == nil {
		return
	}
	for len(c.in.Spooled) <= idx {
		c.in.Spooled = append(c.in.Spooled, nil)
	}
	c.in.Spooled[idx] = sf
}

// fileContent opens the bytes of kept file idx, from memory or its spool.
func (c *collector) fileContent(idx int) (open func() io.Reader, size int64) {
	if idx < len(c.in.Spooled) && c.in.Spooled[idx] != nil {
		sf := c.in.Spooled[idx]
		return sf.Open, sf.Size
	}
	data := c.in.Files[idx].Data
	return func() io.Reader { return bytes.NewReader(data) }, int64(len(data))
}

// errFileTooLarge says a decrypted file would pass the attachment limits.
var errFileTooLarge = errors.New("mailin: the decrypted file is over the attachment limit")

// limitWriter fails with errFileTooLarge once more than n bytes come.
type limitWriter struct {
	w io.Writer
	n int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		l.n = 0
		return 0, errFileTooLarge
	}
	l.n -= int64(len(p))
	return l.w.Write(p)
}

// textSink keeps the first max bytes written to it and counts the rest, for
// decrypted text that joins the body (bounded like any text).
type textSink struct {
	buf bytes.Buffer
	max int64
	cut bool
}

func (t *textSink) Write(p []byte) (int, error) {
	room := t.max - int64(t.buf.Len())
	if int64(len(p)) > room {
		t.buf.Write(p[:max(room, 0)])
		t.cut = true
		return len(p), nil
	}
	return t.buf.Write(p)
}

// text is what was kept, without a character cut in half at the end.
func (t *textSink) text() []byte {
	b := t.buf.Bytes()
	if t.cut {
		for i := 0; i < utf8.UTFMax-1 && len(b) > 0 && !utf8.Valid(b[max(0, len(b)-utf8.UTFMax):]); i++ {
			b = b[:len(b)-1]
		}
	}
	return b
}

// crlfReader gives every line a CRLF end as it reads: the canonical form
// RFC 3156 signs (a lone CR stays as it is).
type crlfReader struct {
	r      *bufio.Reader
	prevCR bool
	lf     bool // a LF is due after the CR just given
}

func (c *crlfReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if c.lf {
			p[n], c.lf, c.prevCR = '\n', false, false
			n++
			continue
		}
		b, err := c.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if b == '\n' && !c.prevCR {
			p[n], c.lf = '\r', true
			n++
			continue
		}
		p[n], c.prevCR = b, b == '\r'
		n++
	}
	return n, nil
}

// section is a byte range of a spool: one part of a multipart body.
type section struct{ off, n int64 }

// in reads the section from the spool.
func (s section) in(sp *spool.Spool) io.Reader {
	r := sp.Reader()
	if sk, ok := r.(io.Seeker); ok {
		if _, err := sk.Seek(s.off, io.SeekStart); err != nil {
			return errReader{err}
		}
	} else if _, err := io.CopyN(io.Discard, r, s.off); err != nil {
		return errReader{err}
	}
	return io.LimitReader(r, s.n)
}

// splitSections finds the parts of a multipart body as byte ranges (RFC
// 2046 section 5.1.1: the line break before a delimiter belongs to the
// delimiter), reading it once as a stream. go-message hands out parts
// decoded; a detached signature needs them raw, and a spool keeps them
// out of memory.
func splitSections(body io.Reader, boundary string) ([]section, bool) {
	if boundary == "" {
		return nil, false
	}
	delim := []byte("--" + boundary)
	br := bufio.NewReaderSize(body, 64<<10)
	var parts []section
	var pos int64
	start := int64(-1)
	prevEOL := int64(0) // the line break that ends the line before pos
	lineStart := true
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			if lineStart {
				line := bytes.TrimRight(chunk, " \t\r\n")
				if rest, ok := bytes.CutPrefix(line, delim); ok && (len(rest) == 0 || bytes.Equal(rest, []byte("--"))) {
					if start >= 0 {
						parts = append(parts, section{start, max(pos-prevEOL-start, 0)})
					}
					if len(rest) > 0 {
						return parts, true
					}
					start = pos + int64(len(chunk))
				}
			}
			pos += int64(len(chunk))
			lineStart = chunk[len(chunk)-1] == '\n'
			switch {
			case bytes.HasSuffix(chunk, []byte("\r\n")):
				prevEOL = 2
			case lineStart:
				prevEOL = 1
			default:
				prevEOL = 0
			}
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return parts, false
		}
	}
}
