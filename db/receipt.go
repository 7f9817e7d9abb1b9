package db

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// receiptBytes is the randomness of a receipt code: 128 bits.
const receiptBytes = 16

var receiptEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newReceiptCode returns a code for people (26 base32 letters and digits in
// groups of four) and the hash that is stored instead of it.
func newReceiptCode() (code string, hash []byte, err error) {
	raw := make([]byte, receiptBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("db: receipt randomness: %w", err)
	}
	plain := receiptEncoding.EncodeToString(raw)
	var b strings.Builder
	for i := 0; i < len(plain); i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(plain[i:min(i+4, len(plain))])
	}
	return b.String(), receiptHash(plain), nil
}

// NormalizeReceiptCode forgives what people do when they copy a code: case,
// spaces, dashes, and digits typed for the letters they resemble.
func NormalizeReceiptCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch {
		case r >= 'A' && r <= 'Z', r >= '2' && r <= '7':
			b.WriteRune(r)
		case r == '0':
			b.WriteByte('O')
		case r == '1':
			b.WriteByte('I')
		case r == '8':
			b.WriteByte('B')
		}
	}
	return b.String()
}

// receiptHash is SHA-256: a 128-bit random code needs no slow hash, and the
// hash is what the unique index looks up.
func receiptHash(normalized string) []byte {
	sum := sha256.Sum256([]byte("disclose-receipt:" + normalized))
	return sum[:]
}

// ReportByReceipt finds the report a receipt code belongs to. A wrong code
// and a malformed one give the same ENOTFOUND.
func (db *DB) ReportByReceipt(ctx context.Context, code string) (*Report, error) {
	norm := NormalizeReceiptCode(code)
	notFound := Errorf(ENOTFOUND, "That receipt code is not right. Check it and try again.")
	if len(norm) != receiptEncoding.EncodedLen(receiptBytes) {
		return nil, notFound
	}
	want := receiptHash(norm)
	var id int64
	var stored []byte
	err := db.read.QueryRowContext(ctx, `SELECT id, receipt_hash FROM reports WHERE receipt_hash = ?`, want).Scan(&id, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	} else if err != nil {
		return nil, fmt.Errorf("db: find receipt: %w", err)
	}
	// The index finds the row by hash; the final check is constant-time so
	// that no comparison of secret material depends on where bytes differ.
	if subtle.ConstantTimeCompare(stored, want) != 1 {
		return nil, notFound
	}
	return db.ReportByID(ctx, id)
}
