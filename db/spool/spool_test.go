package spool_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/disclose/disclose/db/spool"
)

// TestSpoolEncrypted: what spills is age ciphertext under the process key,
// read back whole and as often as asked; small content stays in memory.
func TestSpoolEncrypted(t *testing.T) {
	var seen [][]byte
	spool.Closing = func(f *os.File) {
		st, err := f.Stat()
		if err != nil {
			t.Error(err)
			return
		}
		buf := make([]byte, st.Size())
		if _, err := f.ReadAt(buf, 0); err != nil && err != io.EOF {
			t.Error(err)
		}
		seen = append(seen, buf)
	}
	t.Cleanup(func() { spool.Closing = nil })
	const marker = "qzmarkerspool"
	var b strings.Builder
	raw := make([]byte, 48)
	for b.Len() < 3<<20 {
		rand.Read(raw)
		b.WriteString(marker + " " + base64.StdEncoding.EncodeToString(raw) + "\r\n")
	}
	data := []byte(b.String())
	small := &spool.Spool{Dir: t.TempDir(), Memory: 64 << 10}
	small.Write(data[:64<<10])
	if small.OnDisk() {
		t.Fatal("64 KiB spilled from a spool that keeps 64 KiB in memory")
	}
	sp := &spool.Spool{Dir: t.TempDir()}
	if _, err := io.Copy(sp, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if !sp.OnDisk() || sp.Size() != int64(len(data)) {
		t.Fatalf("on disk %v, size %d", sp.OnDisk(), sp.Size())
	}
	for range 2 {
		got, err := io.ReadAll(sp.Reader())
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back %d bytes, %v; want %d", len(got), err, len(data))
		}
	}
	if got, err := sp.Bytes(); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Bytes: %d, %v", len(got), err)
	}
	if _, err := sp.Write([]byte("more")); err == nil {
		t.Fatal("a write after reading was taken")
	}
	sp.Close()
	if len(seen) != 1 || bytes.Contains(seen[0], []byte(marker)) || !bytes.HasPrefix(seen[0], []byte("age-encryption.org/v1")) {
		t.Fatalf("the spilled file is not age ciphertext (%d files)", len(seen))
	}
}
