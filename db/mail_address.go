package db

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"fmt"
	"net/mail"
	"strings"
)

// addressPurpose is the local key purpose of address hashes
// (reporters.email_hash, ack_recipients.hash).
const addressPurpose = "mail-address"

// NormalAddress is the form of a mail address that says which mailbox it
// reaches, so that the variants a sender can make of one address count as
// one: surrounding space and a display name go, the whole address is lower
// case (local parts are case-sensitive in theory, in no mail system people
// use), a trailing dot of the domain goes, a "+tag" of the local part goes
// (Gmail, Outlook, Fastmail and most others deliver a+anything@ to a@), and
// for Gmail the dots of the local part go and googlemail.com is gmail.com.
// It returns "" for an empty address.
func NormalAddress(s string) string {
	s = strings.TrimSpace(s)
	if a, err := mail.ParseAddress(s); err == nil {
		s = a.Address
	}
	s = strings.ToLower(s)
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return s
	}
	local, domain := s[:at], strings.TrimSuffix(s[at+1:], ".")
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	if domain == "googlemail.com" {
		domain = "gmail.com"
	}
	if domain == "gmail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	return local + "@" + domain
}

// addressHash is the keyed hash of an address in its normal form, or nil
// for no address (or a database opened without its local key).
func (db *DB) addressHash(addr string) []byte {
	n := NormalAddress(addr)
	if n == "" || db.localKey == nil {
		return nil
	}
	return db.localKey.Hash(addressPurpose, []byte(n))
}

// withAddressHash returns in with the hash of its reporter's address, taken
// while the address is still in clear (before sealing); in itself is not
// changed, since a caller may submit it again.
func (db *DB) withAddressHash(in *NewReport) *NewReport {
	if in.sealed || in.emailHash != nil || in.Reporter.Email == "" {
		return in
	}
	out := *in
	out.emailHash = db.addressHash(in.Reporter.Email)
	return &out
}

// sameAddress says whether from reaches the same mailbox as a reporter's
// stored address, and known says whether that could be told at all: a
// stored hash answers always; a plain address is compared in clear; a
// sealed one without a hash only while the team key is unlocked.
func (db *DB) sameAddress(from, stored string, sealed bool, hash []byte) (same, known bool) {
	if from == "" || (stored == "" && hash == nil) {
		return false, true
	}
	if hash != nil {
		h := db.addressHash(from)
		return h != nil && hmac.Equal(h, hash), true
	}
	if sealed {
		var ok bool
		if stored, ok = db.openText(stored); !ok {
			return false, false
		}
	}
	n := NormalAddress(stored)
	return n != "" && n == NormalAddress(from), true
}

// reporterAddress is what the portal keeps of a report's reporter address.
type reporterAddress struct {
	id     int64 // 0: the report has no reporter
	email  string
	sealed bool
	hash   []byte
}

func (tx *Tx) reporterAddressOf(ctx context.Context, reportID int64) (*reporterAddress, error) {
	a := &reporterAddress{}
	var id sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT rp.id, COALESCE(rp.email, ''), COALESCE(rp.sealed, 0), rp.email_hash
		FROM reports r LEFT JOIN reporters rp ON rp.id = r.reporter_id WHERE r.id = ?`, reportID).Scan(&id, &a.email, &a.sealed, &a.hash)
	if err != nil {
		return nil, fmt.Errorf("db: reporter address: %w", err)
	}
	a.id = id.Int64
	return a, nil
}

// HashAddresses gives the reporters written before migration 0015 their
// address hash: plain rows always, sealed rows while the team key is
// unlocked. The worker that runs after each unlock calls it; plain rows are
// compared in clear meanwhile, so only sealed rows wait for it. It works in batches, one transaction
// each, and returns how many rows it filled.
func (db *DB) HashAddresses(ctx context.Context) (int, error) {
	if db.localKey == nil {
		return 0, nil
	}
	done := 0
	var after int64
	for {
		n, last, err := db.hashAddressBatch(ctx, after, 500)
		done += n
		if err != nil || last == 0 {
			return done, err
		}
		after = last
	}
}

// hashAddressBatch fills up to limit rows after id after; last is the last
// id looked at, 0 when there were none.
func (db *DB) hashAddressBatch(ctx context.Context, after int64, limit int) (n int, last int64, err error) {
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		n, last = 0, 0
		rows, err := tx.QueryContext(ctx, `SELECT id, email, sealed FROM reporters WHERE id > ? AND email_hash IS NULL AND email <> ''
			AND (sealed = 0 OR ?) ORDER BY id LIMIT ?`, after, db.Unlocked(), limit)
		if err != nil {
			return fmt.Errorf("db: reporters to hash: %w", err)
		}
		type row struct {
			id     int64
			email  string
			sealed bool
		}
		var todo []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.email, &r.sealed); err != nil {
				rows.Close()
				return fmt.Errorf("db: scan reporter to hash: %w", err)
			}
			todo = append(todo, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("db: reporters to hash: %w", err)
		}
		for _, r := range todo {
			last = r.id
			email := r.email
			if r.sealed {
				var ok bool
				if email, ok = db.openText(email); !ok {
					continue // locked meanwhile, or another key: left for later
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE reporters SET email_hash = ? WHERE id = ?`, db.addressHash(email), r.id); err != nil {
				return fmt.Errorf("db: store address hash: %w", err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("db: hash addresses: %w", err)
	}
	return n, last, nil
}
