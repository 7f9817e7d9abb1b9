package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// SessionInfo is one signed-in session of a user, as the user sees it on
// their account page.
type SessionInfo struct {
	// ID names the session in forms. It is derived from the stored hash of
	// the token and cannot be turned back into the token or the hash.
	ID         string
	CreatedAt  time.Time
	LastSeenAt time.Time
	EndsAt     time.Time // idle timeout or lifetime, whichever comes first
	Network    string    // ClientNetwork of the address it signed in from
	Current    bool      // the session asking
}

func sessionID(hash []byte) string {
	sum := sha256.Sum256(append([]byte("disclose session id\x00"), hash...))
	return hex.EncodeToString(sum[:12])
}

// SessionsOf lists the live sessions of the user signed in with token,
// newest first, marking the one of token.
func (db *DB) SessionsOf(ctx context.Context, token string) ([]*SessionInfo, error) {
	u, err := db.UserBySession(ctx, token)
	if err != nil {
		return nil, err
	}
	rtx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer rtx.Rollback()
	return sessionsOf(ctx, rtx, u.ID, token, db.Now().UTC(), db.Auth.SessionIdle)
}

func sessionsOf(ctx context.Context, q queryer, userID int64, token string, now time.Time, idle time.Duration) ([]*SessionInfo, error) {
	rows, err := q.QueryContext(ctx, `SELECT token_hash, client_addr, created_at, last_seen_at, expires_at FROM sessions
		WHERE user_id = ? AND stage = 'full' AND expires_at > ? AND last_seen_at > ? ORDER BY created_at DESC`,
		userID, formatTime(now), formatTime(now.Add(-idle)))
	if err != nil {
		return nil, fmt.Errorf("db: list sessions: %w", err)
	}
	defer rows.Close()
	own := tokenHash(token)
	var out []*SessionInfo
	for rows.Next() {
		var hash []byte
		var addr, created, seen, expires string
		if err := rows.Scan(&hash, &addr, &created, &seen, &expires); err != nil {
			return nil, fmt.Errorf("db: scan session: %w", err)
		}
		s := &SessionInfo{ID: sessionID(hash), CreatedAt: parseTime(created), LastSeenAt: parseTime(seen),
			Network: ClientNetwork(addr), Current: string(hash) == string(own)}
		s.EndsAt = parseTime(expires)
		if idleEnd := s.LastSeenAt.Add(idle); idleEnd.Before(s.EndsAt) {
			s.EndsAt = idleEnd
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// EndSession ends one other session of the user signed in with token; id
// is a SessionInfo.ID. A session of another user, the asking session itself
// (that is signing out) or an unknown id is ENOTFOUND.
func (db *DB) EndSession(ctx context.Context, token, id string, actor Actor) error {
	u, err := db.UserBySession(ctx, token)
	if err != nil {
		return err
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT token_hash, client_addr FROM sessions WHERE user_id = ? AND token_hash <> ?`, u.ID, tokenHash(token))
		if err != nil {
			return fmt.Errorf("db: find session: %w", err)
		}
		var hash []byte
		var network string
		for rows.Next() {
			var h []byte
			var addr string
			if err := rows.Scan(&h, &addr); err != nil {
				rows.Close()
				return fmt.Errorf("db: scan session: %w", err)
			}
			if sessionID(h) == id {
				hash, network = h, ClientNetwork(addr)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("db: find session: %w", err)
		}
		if hash == nil {
			return Errorf(ENOTFOUND, "That session has ended already.")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hash); err != nil {
			return fmt.Errorf("db: end session: %w", err)
		}
		return tx.audit(ctx, actor, "session.end", u.Email, "network="+network)
	})
}

// EndOtherSessions ends every session of the user signed in with token but
// that one (logins awaiting a code included), and says how many ended.
func (db *DB) EndOtherSessions(ctx context.Context, token string, actor Actor) (int, error) {
	u, err := db.UserBySession(ctx, token)
	if err != nil {
		return 0, err
	}
	var out int
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		n, err := tx.endOtherSessions(ctx, u.ID, token)
		if err != nil {
			return err
		}
		if err := tx.audit(ctx, actor, "session.end_others", u.Email, fmt.Sprintf("ended=%d", n)); err != nil {
			return err
		}
		out = n
		return nil
	})
	if err != nil {
		return 0, err
	}
	return out, nil
}

func (tx *Tx) endOtherSessions(ctx context.Context, userID int64, token string) (int, error) {
	// Dead sessions are not counted as ended.
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND (expires_at <= ? OR (stage = 'full' AND last_seen_at <= ?))`,
		userID, formatTime(tx.now), formatTime(tx.now.Add(-tx.db.Auth.SessionIdle))); err != nil {
		return 0, fmt.Errorf("db: purge sessions: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, userID, tokenHash(token))
	if err != nil {
		return 0, fmt.Errorf("db: end other sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
