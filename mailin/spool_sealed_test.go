package mailin

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disclose/disclose/db/spool"
	"github.com/disclose/disclose/mailin/pgp"
)

// markedLines is about n bytes of text lines that do not compress, each
// carrying marker.
func markedLines(n int, marker string) string {
	var b strings.Builder
	raw := make([]byte, 48)
	for b.Len() < n {
		rand.Read(raw)
		b.WriteString(marker + " " + base64.StdEncoding.EncodeToString(raw) + "\r\n")
	}
	return b.String()
}

// spoolSeen records every spilled file as it is about to be closed.
func spoolSeen(t *testing.T) func() [][]byte {
	t.Helper()
	var mu sync.Mutex
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
		mu.Lock()
		seen = append(seen, buf)
		mu.Unlock()
	}
	t.Cleanup(func() { spool.Closing = nil })
	return func() [][]byte {
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
}

// TestIntakeSealedSpoolsNoPlaintext: in sealed mode, a plain mail with an
// attachment over 1 MB and an encrypted mail over 1 MB whose decrypted
// attachment is over 1 MB both spill to the spool directory while they are
// taken in; what is on disk then, in the spool directory after, and in the
// database file and its WAL never holds their text.
func TestIntakeSealedSpoolsNoPlaintext(t *testing.T) {
	ctx := context.Background()
	seen := spoolSeen(t)
	const plainMarker, encMarker = "qzmarkerplainspool", "qzmarkerencspool"
	key, err := pgp.Generate(pgp.GenerateOptions{Name: "Security", Email: "security@example.org"}, []byte(teamPass), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv, d := startMemIMAP(t, nil), mustOpenDB(t)
	d.SetSealer(key, true)
	if err := d.MarkSealed(ctx); err != nil {
		t.Fatal(err)
	}
	in := newTestIntake(t, srv.addr, d)
	in.UsePGP(&PGP{Key: key, Known: d.KnownKeys, Now: d.Now})

	plainAtt := markedLines(2<<20, plainMarker)
	srv.deliver(t, "INBOX", "From: ann@researcher.test\r\nTo: security@example.org\r\nSubject: Dump\r\nMessage-ID: <plain@researcher.test>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nThe dump is attached.\r\n"+
		"--B\r\nContent-Type: text/plain; name=dump.txt\r\nContent-Disposition: attachment; filename=dump.txt\r\n\r\n"+plainAtt+"--B--\r\n")
	encAtt := markedLines(2<<20, encMarker)
	inner := "Content-Type: multipart/mixed; boundary=I\r\n\r\n--I\r\nContent-Type: text/plain\r\n\r\nSee the log.\r\n" +
		"--I\r\nContent-Type: text/plain; name=log.txt\r\nContent-Disposition: attachment; filename=log.txt\r\n\r\n" + encAtt + "--I--\r\n"
	ct, _, err := key.EncryptTo([]byte(inner), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.deliver(t, "INBOX", "From: bob@researcher.test\r\nTo: security@example.org\r\nSubject: Log\r\nMessage-ID: <enc@researcher.test>\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n"+
		"--b\r\nContent-Type: application/octet-stream\r\n\r\n"+strings.ReplaceAll(ct, "\n", "\r\n")+"\r\n--b--\r\n")
	if len(ct) <= spool.DefaultMemory {
		t.Fatalf("the encrypted mail is %d bytes: it would not spill", len(ct))
	}

	if stats := pollOnce(t, in); stats.Reports != 2 {
		t.Fatalf("stats = %+v, want two reports", stats)
	}
	files := seen()
	if len(files) < 4 { // two raw mails, two decoded attachments
		t.Fatalf("%d spilled files seen, want at least 4: the test does not look where it should", len(files))
	}
	for _, m := range []string{plainMarker, encMarker} {
		for i, f := range files {
			if bytes.Contains(f, []byte(m)) {
				t.Errorf("spilled file %d holds %s in clear", i, m)
				break
			}
		}
	}
	left, err := os.ReadDir(in.cfg.SpoolDir)
	if err != nil || len(left) != 0 {
		t.Fatalf("the spool directory holds %d files after intake (%v)", len(left), err)
	}
	if err := d.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if buf := readDB(t, d); bytes.Contains(buf, []byte(plainMarker)) || bytes.Contains(buf, []byte(encMarker)) {
		t.Fatal("the database file or WAL holds a marker in clear")
	}
	for ref, want := range map[string]string{"SEC-1": plainAtt, "SEC-2": encAtt} {
		r, msgs := timeline(t, d, ref)
		found := false
		for _, m := range msgs {
			for _, a := range m.Attachments {
				if a.Size < spool.DefaultMemory {
					continue
				}
				_, data, err := d.AttachmentOf(ctx, r.ID, a.ID, false)
				if err != nil {
					t.Fatal(err)
				}
				// The line end before the boundary belongs to the boundary.
				found = found || string(data) == strings.TrimSuffix(want, "\r\n")
			}
		}
		if !found {
			t.Fatalf("%s: the large attachment does not read back as sent", ref)
		}
	}
}

// BenchmarkSpoolSpill writes 8 MB through a spool and reads it back once,
// as intake does with a large attachment.
func BenchmarkSpoolSpill(b *testing.B) {
	data := make([]byte, 8<<20)
	rand.Read(data)
	dir := b.TempDir()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		sp := &spool.Spool{Dir: dir}
		if _, err := copyPooled(sp, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		if _, err := copyPooled(io.Discard, sp.Reader()); err != nil {
			b.Fatal(err)
		}
		sp.Close()
	}
}
