package mailin

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// hugePartHeaderMail is a mail whose second part has a header of about size
// bytes (many short fields) before its Content-Type.
func hugePartHeaderMail(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: x@example.net\r\nTo: security@example.org\r\nSubject: big part header\r\n" +
		"Message-ID: <bigpart@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nThe real report text.\r\n--b\r\n")
	line := "X-Junk: " + strings.Repeat("j", 60) + "\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	b.WriteString("Content-Type: text/plain; name=notes.txt\r\nContent-Disposition: attachment; filename=notes.txt\r\n\r\n" +
		"attached notes\r\n--b--\r\n")
	return b.Bytes()
}

// A part header is cut at the limit: its first bytes stay, the rest of its
// lines up to the blank line go, and everything after it is untouched.
func TestPartHeaderCap(t *testing.T) {
	raw := hugePartHeaderMail(300 << 10)
	capped := newPartHeaderCap(bufio.NewReaderSize(bytes.NewReader(raw), 4096), 64<<10)
	out, err := io.ReadAll(capped)
	if err != nil {
		t.Fatal(err)
	}
	if capped.dropped == 0 || len(out) > 80<<10 {
		t.Fatalf("kept %d bytes, dropped %d lines", len(out), capped.dropped)
	}
	for _, want := range []string{"The real report text.", "--b\r\nX-Junk: ", "\r\n\r\nattached notes\r\n--b--\r\n"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output lost %q", want)
		}
	}
}

// Every mail of the corpus passes the cap byte for byte.
func TestPartHeaderCapKeepsCorpus(t *testing.T) {
	files, _ := filepath.Glob("testdata/corpus/*.eml")
	if len(files) < 30 {
		t.Fatalf("corpus has %d files", len(files))
	}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(newPartHeaderCap(bufio.NewReaderSize(bytes.NewReader(raw), 4096), DefaultLimits.MaxHeaderBytes))
		if err != nil || !bytes.Equal(out, raw) {
			t.Errorf("%s: changed by the cap (%v)", filepath.Base(name), err)
		}
	}
}

// A 20 MB part header no longer costs seven times its size: the mail is
// parsed with its text and attachment, says header lines were ignored, and
// allocates a bounded amount.
func TestParseHugePartHeader(t *testing.T) {
	raw := hugePartHeaderMail(20 << 20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	in, err := Parse(bytes.NewReader(raw), DefaultLimits)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(in.Body, "The real report text.") {
		t.Errorf("body %q", in.Body)
	}
	if len(in.Omitted) == 0 || !strings.Contains(in.Omitted[0], "header line(s) were ignored") {
		t.Errorf("notes %q", in.Omitted)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("parsing a mail with a %d MB part header allocated %d MB", len(raw)>>20, alloc>>20)
	if alloc > 40<<20 {
		t.Errorf("allocated %d MB for a %d MB mail", alloc>>20, len(raw)>>20)
	}
}
