package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Actor is who did something: a staff user, the reporter, or the system.
type Actor struct {
	UserID     int64  // 0 for reporters and the system
	Name       string // user email, "reporter" or "system"
	ClientAddr string // staff client address; never recorded for reporters
}

// Reporter and system actors; staff actors come from their session.
var (
	ActorReporter = Actor{Name: "reporter"}
	ActorSystem   = Actor{Name: "system"}
)

// AuditEntry is one row of the append-only audit log.
type AuditEntry struct {
	ID         int64
	At         string
	ActorID    int64
	Actor      string
	ClientAddr string
	Action     string
	Target     string
	Detail     string
	PrevHash   string
	Hash       string
}

// auditHead is the last row of the chain as a transaction sees it, kept so
// that a batch of writes reads it once.
type auditHead struct {
	id   int64
	hash string
}

// auditHash chains a row to its predecessor: any edit of an earlier row, or a
// row removed from the middle, breaks every hash after it.
func auditHash(e *AuditEntry) string {
	h := sha256.New()
	for _, f := range []string{e.PrevHash, strconv.FormatInt(e.ID, 10), e.At, strconv.FormatInt(e.ActorID, 10),
		e.Actor, e.ClientAddr, e.Action, e.Target, e.Detail} {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// loadAuditHead reads the chain's last row once per transaction: every row
// appended after it (Audit, AuditRows) links to the one before.
func (tx *Tx) loadAuditHead(ctx context.Context) error {
	if tx.auditHead != nil {
		return nil
	}
	head := &auditHead{hash: strings.Repeat("0", 64)}
	err := tx.QueryRowContext(ctx, `SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1`).Scan(&head.id, &head.hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("db: read audit head: %w", err)
	}
	tx.auditHead = head
	return nil
}

// audit appends one row to the audit log inside tx.
func (tx *Tx) audit(ctx context.Context, actor Actor, action, target, detail string) error {
	e := AuditEntry{At: formatTime(tx.now), ActorID: actor.UserID, Actor: actor.Name,
		ClientAddr: actor.ClientAddr, Action: action, Target: target, Detail: detail}
	if err := tx.loadAuditHead(ctx); err != nil {
		return err
	}
	e.ID, e.PrevHash = tx.auditHead.id+1, tx.auditHead.hash
	e.Hash = auditHash(&e)
	var actorID any
	if actor.UserID != 0 {
		actorID = actor.UserID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit (id, at, actor_id, actor, client_addr, action, target, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.At, actorID, e.Actor, e.ClientAddr, e.Action, e.Target, e.Detail, e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("db: append audit %s: %w", action, err)
	}
	tx.auditHead = &auditHead{id: e.ID, hash: e.Hash}
	return tx.auditScope(ctx, &e)
}

// VerifyAudit walks the chain and returns the id of the first row whose hash
// does not match (0 when the whole chain holds).
func (db *DB) VerifyAudit(ctx context.Context) (int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, at, COALESCE(actor_id, 0), actor, client_addr, action, target, detail, prev_hash, hash FROM audit ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("db: read audit: %w", err)
	}
	defer rows.Close()
	prev := strings.Repeat("0", 64)
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.ActorID, &e.Actor, &e.ClientAddr, &e.Action, &e.Target, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return 0, fmt.Errorf("db: scan audit: %w", err)
		}
		if e.PrevHash != prev || auditHash(&e) != e.Hash {
			return e.ID, nil
		}
		prev = e.Hash
	}
	return 0, rows.Err()
}
