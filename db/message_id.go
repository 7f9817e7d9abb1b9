package db

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
	"time"
)

// messageIDTime writes the creation time of a Message-ID in an alphabet
// whose byte order is its numeric order (base32 "extended hex", lower
// case), so that IDs made later sort later.
var messageIDTime = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// NewMessageID makes the Message-ID of a mail the portal sends:
// "<" + the time in milliseconds (10 characters, in creation order) + 32
// base32 characters of 160 random bits + "@" + domain + ">".
//
// The outbox keeps Message-IDs in a unique index (threading looks replies
// up by them). With random IDs every queued mail wrote to a random leaf
// of that index: at a million reports (2.4 million mails) four leaves
// per submission, each one a page more in the write-ahead log, the
// checkpoint and the statement journal; on a small database too, that
// index was 38 % of the pages a submission wrote. With the time first,
// new IDs are appended to the end of the index, as NewSubmissionKey's
// keys are. The random part is what makes an ID unguessable, so that
// threading by In-Reply-To cannot be forged by someone who never saw the
// mail; the time it shows is in the mail's Date header anyway.
func NewMessageID(now time.Time, domain string) string {
	// 50 bits of milliseconds (until the year 37,000) are the low 50 bits
	// of the 64-bit time: drop the top 14 bits, which shifts the low bits
	// into the first ten 5-bit characters.
	v := uint64(now.UnixMilli()) << 14
	var t [8]byte
	for i := range t {
		t[i] = byte(v >> (56 - 8*i))
	}
	stamp := messageIDTime.EncodeToString(t[:])[:10]
	random := make([]byte, 20) // 160 bits, as the threat model promises
	rand.Read(random)          // never fails (crypto/rand, Go 1.24 and later)
	return "<" + stamp + strings.ToLower(receiptEncoding.EncodeToString(random)) + "@" + domain + ">"
}
