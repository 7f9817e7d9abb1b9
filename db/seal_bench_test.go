package db_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// BenchmarkIngestSealing stores mailed reports (raw message kept, as the
// IMAP poller does) with sealing off and on in the same run.
func BenchmarkIngestSealing(b *testing.B) {
	body := strings.Repeat("The upload handler trusts the Content-Length header. ", 30)
	for _, mode := range []string{"plain", "sealed"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			d := MustOpenDB(b)
			if mode == "sealed" {
				key := newTeamKey(b)
				key.Lock() // intake seals with the public key only
				d.SetSealer(key, true)
			}
			b.ReportAllocs()
			cpu0 := processCPU()
			i := 0
			for b.Loop() {
				i++
				id := fmt.Sprintf("<bench-%d@example.net>", i)
				raw := []byte("From: r@example.net\r\nTo: security@example.org\r\nSubject: Overflow in upload\r\nMessage-ID: " + id + "\r\n\r\n" + body + "\r\n")
				sum := sha256.Sum256(raw)
				in := &db.InboundMail{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(i), OpenRaw: func() io.Reader { return bytes.NewReader(raw) },
					RawSize: int64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]), MessageID: id, FromEmail: "r@example.net", FromName: "R",
					To: []string{"security@example.org"}, Subject: "Overflow in upload", Body: body}
				if _, err := mailin.IngestMail(ctx, d, in, mailin.IngestOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// processCPU is the CPU time (user and system) the test process used; on a
// shared machine it is inflated much less than the wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
