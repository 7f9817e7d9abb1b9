package mailin

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/emersion/go-message"
)

// partHeaderCap forwards the body of a message unchanged, except that the
// header block after each line that starts with "--" (a multipart boundary,
// or something that may be one) keeps at most max bytes: further lines, up
// to the blank line that ends the block, are dropped. go-message reads a
// part's header whole and without a limit, holding several copies of it, so
// a mail with one 20 MB part header cost about 140 MB of memory; the top
// header is capped by readHeader already. A "--" line inside a text part
// (a signature separator) followed by more than max bytes without a blank
// line loses those lines to this cap; the raw message is kept in full.
type partHeaderCap struct {
	br      *bufio.Reader
	max     int
	midLine bool // the last chunk read did not end a line
	inHdr   bool // between a "--" line and the next blank line
	hdrLen  int
	drop    bool // the current line is being dropped
	dropped int  // lines dropped
	pending []byte
	err     error
}

func newPartHeaderCap(br *bufio.Reader, max int) *partHeaderCap {
	return &partHeaderCap{br: br, max: max}
}

func (h *partHeaderCap) Read(p []byte) (int, error) {
	for len(h.pending) == 0 {
		if h.err != nil {
			return 0, h.err
		}
		chunk, err := h.br.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			h.err = err
		}
		if len(chunk) == 0 {
			continue
		}
		if !h.midLine {
			h.startLine(chunk)
		}
		h.midLine = chunk[len(chunk)-1] != '\n'
		if h.inHdr && !h.drop {
			h.hdrLen += len(chunk)
			if h.hdrLen > h.max {
				h.drop = true
				h.dropped++
			}
		}
		if !h.drop {
			h.pending = chunk
		}
	}
	n := copy(p, h.pending)
	h.pending = h.pending[n:]
	return n, nil
}

// startLine decides, at the first chunk of a line, whether a part header
// starts or ends with it.
func (h *partHeaderCap) startLine(chunk []byte) {
	h.drop = false
	blank := len(bytes.TrimRight(chunk, "\r\n")) == 0 && chunk[len(chunk)-1] == '\n'
	switch {
	case h.inHdr && blank:
		h.inHdr = false
	case h.inHdr:
	case bytes.HasPrefix(chunk, []byte("--")):
		h.inHdr, h.hdrLen = true, -len(chunk) // the "--" line itself is not header
	}
}

// readEntity reads a MIME message from br with every header block capped at
// max bytes: the top one by readHeader, the parts' by partHeaderCap. It
// returns how many header lines were dropped (a count that grows while the
// entity's body is read), with go-message's result.
func readEntity(br *bufio.Reader, max int) (*message.Entity, func() int, error) {
	hdr, dropped, err := readHeader(br, max)
	if err != nil {
		return nil, nil, err
	}
	capped := newPartHeaderCap(br, max)
	e, err := message.Read(io.MultiReader(bytes.NewReader(hdr), capped))
	return e, func() int { return dropped + capped.dropped }, err
}
