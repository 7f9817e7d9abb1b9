package db_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// loadMail is a mailed report like those of the mail intake load run: about
// 10 KB of text (base64 of random bytes, the worst case for the search
// index: every word is new).
func loadMail(i int, textBytes int) *db.InboundMail {
	b := make([]byte, textBytes)
	rand.Read(b)
	enc := base64.StdEncoding.EncodeToString(b)
	var lines []string
	for len(enc) > 76 {
		lines = append(lines, enc[:76])
		enc = enc[76:]
	}
	body := fmt.Sprintf("Finding %d\n%s\n%s", i, strings.Join(lines, "\n"), enc)
	id := fmt.Sprintf("<load-%d@load.test>", i)
	raw := []byte("From: r" + fmt.Sprint(i) + "@load.test\r\nTo: security@example.org\r\nSubject: Load report\r\nMessage-ID: " + id + "\r\n\r\n" + body + "\r\n")
	sum := sha256.Sum256(raw)
	return &db.InboundMail{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(i), OpenRaw: func() io.Reader { return bytes.NewReader(raw) },
		RawSize: int64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]), MessageID: id, FromEmail: fmt.Sprintf("r%d@load.test", i),
		To: []string{"security@example.org"}, Subject: fmt.Sprintf("Load report %d", i), Body: body}
}

// BenchmarkIngestMailBatch stores mailed reports 64 to a transaction, as
// intake commits a group of fetched messages; ns/op is per message. "10KB"
// is the load run's mail, "short" a one-line mail: the cost of the
// statements alone, without the text's search indexing and bytes.
func BenchmarkIngestMailBatch(b *testing.B) {
	b.Run("10KB", func(b *testing.B) { benchIngestMailBatch(b, 7000) })
	b.Run("short", func(b *testing.B) { benchIngestMailBatch(b, 30) })
}

func benchIngestMailBatch(b *testing.B, textBytes int) {
	ctx := context.Background()
	d := MustOpenDB(b)
	const group = 64
	var mails []*db.InboundMail
	for i := 0; i < 1024; i++ {
		mails = append(mails, loadMail(i+1, textBytes))
	}
	b.ResetTimer()
	n := 0
	for n < b.N {
		if n%len(mails) == 0 && n > 0 {
			b.StopTimer()
			d = MustOpenDB(b)
			b.StartTimer()
		}
		k := min(group, b.N-n, len(mails)-n%len(mails))
		batch := mails[n%len(mails) : n%len(mails)+k]
		if _, err := mailin.IngestMailBatch(ctx, d, batch, mailin.IngestOptions{MessageIDDomain: "portal.test"}); err != nil {
			b.Fatal(err)
		}
		n += k
	}
}
