package mailin

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// bigMail is a mail with a large base64 attachment (over spool.DefaultMemory, so
// it is spooled) between two small ones.
func bigMail(msgID, inReplyTo string, att []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: ann@researcher.test\nTo: security@example.org\nSubject: Core dump\nMessage-ID: %s\n", msgID)
	if inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: %s\n", inReplyTo)
	}
	b.WriteString("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nThe dump is attached.\n")
	b.WriteString("--B\nContent-Type: text/plain; name=first.txt\nContent-Disposition: attachment; filename=first.txt\n\nfirst\n")
	b.WriteString("--B\nContent-Type: application/octet-stream; name=core.bin\nContent-Transfer-Encoding: base64\n\n")
	writeBase64Lines(&b, att)
	b.WriteString("--B\nContent-Type: text/plain; name=last.txt\nContent-Disposition: attachment; filename=last.txt\n\nlast\n--B--\n")
	return b.String()
}

// spoolFiles counts this process's open spool files.
func spoolFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.Contains(target, "disclose-mail-") {
			n++
		}
	}
	return n
}

// TestIntakeSpooled: an attachment over 1 MB stays in the spool while the
// mail is parsed and is stored from it in chunks, in its place among the
// files, for a new report and a reply alike; the spools are closed after.
func TestIntakeSpooled(t *testing.T) {
	ctx := context.Background()
	// No collection during the test: the finalizer of an *os.File would
	// close a leaked spool and hide the leak.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	srv, d := startMemIMAP(t, nil), mustOpenDB(t)
	in := newTestIntake(t, srv.addr, d)
	att := make([]byte, 3<<20)
	rand.Read(att)
	open := spoolFiles(t)
	srv.deliver(t, "INBOX", bigMail("<big1@researcher.test>", "", att))
	srv.deliver(t, "INBOX", bigMail("<big2@researcher.test>", "<big1@researcher.test>", att))
	stats := pollOnce(t, in)
	if stats.Reports != 1 || stats.Replies != 1 {
		t.Fatalf("stats = %+v, want a report and a reply", stats)
	}
	r, msgs := timeline(t, d, "SEC-1")
	var names []string
	for _, m := range msgs {
		for _, a := range m.Attachments {
			names = append(names, a.Filename)
			_, data, err := d.AttachmentOf(ctx, r.ID, a.ID, false)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]byte{"first.txt": []byte("first"), "core.bin": att, "last.txt": []byte("last")}[a.Filename]
			got := data
			if a.Filename != "core.bin" { // random bytes may begin or end like white space
				got = bytes.TrimSpace(data)
			}
			if !bytes.Equal(got, want) || a.Size != int64(len(data)) {
				t.Fatalf("%s: %d bytes read back (size %d), want %d", a.Filename, len(data), a.Size, len(want))
			}
		}
	}
	if got, want := strings.Join(names, " "), "first.txt core.bin last.txt first.txt core.bin last.txt"; got != want {
		t.Fatalf("attachments = %s, want %s", got, want)
	}
	if got := spoolFiles(t); got != open {
		t.Fatalf("%d spool files open after the poll, want %d", got, open)
	}
}
