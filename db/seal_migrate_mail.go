package db

import (
	"context"
	"fmt"
)

// convertRawMail converts the kept raw messages matching where; it returns
// how many it converted.
func (tx *Tx) convertRawMail(ctx context.Context, s sealStep, from int, where string, args ...any) (int, error) {
	type row struct {
		id            int64
		from, subject string
	}
	var msgs []row
	rows, err := tx.QueryContext(ctx, `SELECT id, from_addr, subject FROM mail_raw WHERE sealed = ? AND `+where, append([]any{from}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("db: read raw mail to convert: %w", err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.from, &r.subject); err != nil {
			rows.Close()
			return 0, fmt.Errorf("db: read raw mail to convert: %w", err)
		}
		msgs = append(msgs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("db: read raw mail to convert: %w", err)
	}
	for _, m := range msgs {
		if err := s.texts(&m.from, &m.subject); err != nil {
			return 0, fmt.Errorf("db: raw mail %d: %w", m.id, err)
		}
		off, err := tx.chunkCount(ctx, rawMailChunkRows, m.id)
		if err != nil {
			return 0, err
		}
		if off > 0 {
			stored := newChunkReader(ctx, tx, rawMailChunkRows, m.id)
			stored.until = off
			if err := tx.convertChunks(ctx, s, rawMailChunkRows, m.id, stored, off, false, 0, ""); err != nil {
				return 0, fmt.Errorf("db: raw mail %d: %w", m.id, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE mail_raw SET from_addr = ?, subject = ?, sealed = ? WHERE id = ?`, m.from, m.subject, 1-from, m.id); err != nil {
			return 0, fmt.Errorf("db: convert raw mail %d: %w", m.id, err)
		}
	}
	return len(msgs), nil
}

// noteColumn is a note sealed on its own flag (migration 0020): fixed
// names, never input.
type noteColumn struct{ table, col, flag string }

var (
	messageNotes = noteColumn{"messages", "pgp_note", "pgp_note_sealed"}
	rawMailNotes = noteColumn{"mail_raw", "note", "note_sealed"}
)

// convertNotes converts the notes of c in the old form in the rows matching
// where (a sealed row can hold a clear note written before notes were
// sealed); it returns how many it converted.
func (tx *Tx) convertNotes(ctx context.Context, s sealStep, from int, c noteColumn, where string, args ...any) (int, error) {
	type row struct {
		id   int64
		note string
	}
	var out []row
	rows, err := tx.QueryContext(ctx, `SELECT id, `+c.col+` FROM `+c.table+` WHERE `+c.col+` <> '' AND `+c.flag+` = ? AND `+where,
		append([]any{from}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("db: read %s notes to convert: %w", c.table, err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.note); err != nil {
			rows.Close()
			return 0, fmt.Errorf("db: read %s notes to convert: %w", c.table, err)
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("db: read %s notes to convert: %w", c.table, err)
	}
	for _, r := range out {
		note, err := s.text(r.note)
		if err != nil {
			return 0, fmt.Errorf("db: note of %s %d: %w", c.table, r.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+c.table+` SET `+c.col+` = ?, `+c.flag+` = ? WHERE id = ?`, note, 1-from, r.id); err != nil {
			return 0, fmt.Errorf("db: convert note of %s %d: %w", c.table, r.id, err)
		}
	}
	return len(out), nil
}

// compact removes what the conversion left behind: FTS5 keeps deleted
// entries in its segments until they are merged, freed pages keep their old
// bytes until VACUUM rewrites the file, and the WAL keeps old page images
// until it is checkpointed and truncated.
func (db *DB) compact(ctx context.Context) error {
	if err := db.exec(ctx, `INSERT INTO reports_fts (reports_fts) VALUES ('optimize')`); err != nil {
		return fmt.Errorf("db: merge search index: %w", err)
	}
	// A checkpoint and VACUUM cannot run inside a transaction: they use the
	// write connection beside the writer.
	if err := db.Checkpoint(ctx); err != nil {
		return err
	}
	if _, err := db.write.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("db: vacuum: %w", err)
	}
	return db.Checkpoint(ctx)
}

// convertOutbox converts the outgoing mail matching where (mail about a
// report quotes it).
func (tx *Tx) convertOutbox(ctx context.Context, s sealStep, from int, where string, args ...any) (int, error) {
	type row struct {
		id                int64
		to, subject, body string
	}
	var out []row
	rows, err := tx.QueryContext(ctx, `SELECT id, to_addr, subject, body FROM outbox WHERE sealed = ? AND `+where, append([]any{from}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("db: read outbox to convert: %w", err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.to, &r.subject, &r.body); err != nil {
			rows.Close()
			return 0, fmt.Errorf("db: read outbox to convert: %w", err)
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("db: read outbox to convert: %w", err)
	}
	for _, m := range out {
		if err := s.texts(&m.to, &m.subject, &m.body); err != nil {
			return 0, fmt.Errorf("db: outbox mail %d: %w", m.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET to_addr = ?, subject = ?, body = ?, sealed = ? WHERE id = ?`,
			m.to, m.subject, m.body, 1-from, m.id); err != nil {
			return 0, fmt.Errorf("db: convert outbox mail %d: %w", m.id, err)
		}
	}
	return len(out), nil
}

// convertKeyCandidates converts the public keys that came with mail
// matching where: their user IDs name the reporter.
func (tx *Tx) convertKeyCandidates(ctx context.Context, s sealStep, from int, where string, args ...any) (int, error) {
	type row struct {
		id      int64
		armored string
	}
	var out []row
	rows, err := tx.QueryContext(ctx, `SELECT id, armored FROM pgp_key_candidates WHERE sealed = ? AND `+where, append([]any{from}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("db: read mailed keys to convert: %w", err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.armored); err != nil {
			rows.Close()
			return 0, fmt.Errorf("db: read mailed keys to convert: %w", err)
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("db: read mailed keys to convert: %w", err)
	}
	for _, k := range out {
		armored, err := s.text(k.armored)
		if err != nil {
			return 0, fmt.Errorf("db: mailed key %d: %w", k.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pgp_key_candidates SET armored = ?, sealed = ? WHERE id = ?`, armored, 1-from, k.id); err != nil {
			return 0, fmt.Errorf("db: convert mailed key %d: %w", k.id, err)
		}
	}
	return len(out), nil
}
