package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
	"github.com/disclose/disclose/mailin"
)

// ingestRates stores the same kind of mail (new reports of ~9.6 KB from
// distinct senders) into the database in dir and into an empty one, in
// alternating rounds of batches of 64 as the mail gateway commits them,
// and returns both rates: the database part of mail intake at dir's size
// against an empty database, in one run. The serve on dir must be stopped.
//
// The "empty" database gets a small demo (baselineReports) first: the same
// programs and staff as a demo database of any size, so that both sides
// write the same notifications. A database without staff writes no outbox
// rows and reads no audience: the 1M side did more work per mail than the
// empty one, and the ratio counted that as the cost of size.
func ingestRates(dir string, n int) (full, empty float64, err error) {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "disclose-ingest")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(tmp)
	dbs := make([]*db.DB, 2)
	for i, path := range []string{filepath.Join(dir, "disclose.db"), filepath.Join(tmp, "disclose.db")} {
		if dbs[i], err = db.Open(ctx, path); err != nil {
			return 0, 0, err
		}
		defer dbs[i].Close()
	}
	if _, err := demo.Generate(ctx, dbs[1], demo.Options{Reports: baselineReports}); err != nil {
		return 0, 0, err
	}
	body := strings.Repeat("The parser of the upload endpoint trusts the length header and reads past the buffer. ", 110)
	var took [2]time.Duration
	uid := uint32(time.Now().Unix() % 1e6 * 1000)
	const rounds, batch = 8, 64
	per := max(n/rounds/batch, 1)
	for r := range rounds {
		for k := range 2 {
			i := (r + k) % 2 // alternate which goes first
			for range per {
				var mails []*db.InboundMail
				for range batch {
					uid++
					msgID := fmt.Sprintf("<load-%d-%d@researcher.example>", uid, time.Now().UnixNano())
					raw := "From: r" + fmt.Sprint(uid) + "@researcher.example\r\nSubject: Overflow in upload\r\nMessage-ID: " + msgID + "\r\n\r\n" + body
					sum := sha256.Sum256([]byte(raw))
					mails = append(mails, &db.InboundMail{Mailbox: "LOAD", UIDValidity: 1, UID: uid,
						OpenRaw: func() io.Reader { return strings.NewReader(raw) }, RawSize: int64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]),
						MessageID: msgID, FromEmail: fmt.Sprintf("r%d@researcher.example", uid), Subject: "Overflow in upload", Body: body})
				}
				t0 := time.Now()
				if _, err := mailin.IngestMailBatch(ctx, dbs[i], mails, mailin.IngestOptions{}); err != nil {
					return 0, 0, err
				}
				took[i] += time.Since(t0)
			}
		}
	}
	total := float64(rounds * per * batch)
	return total / took[0].Seconds(), total / took[1].Seconds(), nil
}

// baselineReports is the size of the "empty" database the 1M rates are
// compared with: a demo this small has the demo's programs and staff, so a
// submission or a mail notifies the same people on both sides.
const baselineReports = 100
