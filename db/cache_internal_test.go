package db

import (
	"context"
	"testing"
)

// TestWriterCacheSize: the write connection opens with the page cache
// WriterCacheMiB asks for (serve's DISCLOSE_CACHE_MB), not SQLite's 2 MiB,
// which at a million reports sent every commit back to the OS for the
// indexes' pages.
func TestWriterCacheSize(t *testing.T) {
	old := WriterCacheMiB.Load()
	t.Cleanup(func() { WriterCacheMiB.Store(old) })
	WriterCacheMiB.Store(48)
	d := openInternal(t)
	var kib int64
	if err := d.write.QueryRowContext(context.Background(), `PRAGMA cache_size`).Scan(&kib); err != nil {
		t.Fatal(err)
	}
	if kib != -48*1024 {
		t.Fatalf("writer cache_size = %d, want %d (48 MiB)", kib, -48*1024)
	}
}
