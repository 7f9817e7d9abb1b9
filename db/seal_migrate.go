package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// sealStep turns one value: seal (true) or open (false).
type sealStep struct {
	db   *DB
	seal bool
}

func (s sealStep) text(v string) (string, error) {
	if s.seal {
		return s.db.sealText(v)
	}
	if v == "" {
		return "", nil
	}
	plain, ok := s.db.openText(v)
	if !ok {
		return "", errors.New("db: a sealed value does not open with this team key")
	}
	return plain, nil
}

func (s sealStep) texts(vs ...*string) error {
	if s.seal {
		return s.db.sealTexts(vs...) // one session key for the row
	}
	for _, v := range vs {
		out, err := s.text(*v)
		if err != nil {
			return err
		}
		*v = out
	}
	return nil
}

func (s sealStep) bytes(b []byte) ([]byte, error) {
	if s.seal {
		return s.db.sealBytes(b)
	}
	return s.db.openBytes(b)
}

// SealExisting encrypts a plaintext database in place (disclose seal): one
// report per transaction together with its reporter, timeline, attachments
// and raw mail, so an interruption loses at most the report in flight and a
// new run carries on where it stopped. Mail kept aside without a report
// follows. progress is told after each report. At the end the on-disk
// search index is merged (its deleted plaintext goes), the file vacuumed
// and the WAL checkpointed and truncated, so no old page keeps plaintext.
func (db *DB) SealExisting(ctx context.Context, progress func(done, total int64)) error {
	if db.sealer == nil {
		return errors.New("db: seal: no team key")
	}
	return db.convert(ctx, sealStep{db: db, seal: true}, progress)
}

// UnsealExisting reverses SealExisting (disclose unseal); it needs the
// unlocked key. The on-disk search index takes the plaintext back.
func (db *DB) UnsealExisting(ctx context.Context, progress func(done, total int64)) error {
	if !db.Unlocked() {
		return errors.New("db: unseal: the team key is locked; give its passphrase (DISCLOSE_KEY_PASSPHRASE_FILE)")
	}
	return db.convert(ctx, sealStep{db: db, seal: false}, progress)
}

func (db *DB) convert(ctx context.Context, s sealStep, progress func(done, total int64)) error {
	// Overwrite what the conversion deletes (old chunks, old values) rather
	// than only unlinking the pages.
	if _, err := db.write.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
		return fmt.Errorf("db: secure_delete: %w", err)
	}
	from := 0
	if !s.seal {
		from = 1
	}
	var total int64
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM reports WHERE sealed = ?`, from).Scan(&total); err != nil {
		return fmt.Errorf("db: count reports to convert: %w", err)
	}
	for done := int64(0); ; done++ {
		more, err := db.convertNext(ctx, s, from)
		if err != nil {
			return err
		} else if !more {
			break
		}
		if progress != nil {
			progress(done+1, total)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if err := db.convertLooseMail(ctx, s, from); err != nil {
		return err
	}
	return db.compact(ctx)
}

// convertNext converts the lowest report still in the old form, in one
// transaction; it reports false when none is left.
func (db *DB) convertNext(ctx context.Context, s sealStep, from int) (bool, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var id int64
	var reporter sql.NullInt64
	var title, asset, desc, steps, impact, credit, reason string
	err = tx.QueryRowContext(ctx, `SELECT id, reporter_id, title, asset, description, steps, impact, credit, close_reason
		FROM reports WHERE sealed = ? ORDER BY id LIMIT 1`, from).Scan(&id, &reporter, &title, &asset, &desc, &steps, &impact, &credit, &reason)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("db: read report to convert: %w", err)
	}
	if err := s.texts(&title, &asset, &desc, &steps, &impact, &credit, &reason); err != nil {
		return false, fmt.Errorf("db: report %d: %w", id, err)
	}
	// The FTS triggers take the plaintext out of (seal) or back into
	// (unseal) the on-disk index as sealed changes.
	if _, err := tx.ExecContext(ctx, `UPDATE reports SET title = ?, asset = ?, description = ?, steps = ?, impact = ?, credit = ?,
		close_reason = ?, sealed = ? WHERE id = ?`, title, asset, desc, steps, impact, credit, reason, 1-from, id); err != nil {
		return false, fmt.Errorf("db: convert report %d: %w", id, err)
	}
	if reporter.Valid {
		if err := tx.convertReporter(ctx, s, from, reporter.Int64); err != nil {
			return false, err
		}
	}
	if err := tx.convertTimeline(ctx, s, from, id); err != nil {
		return false, err
	}
	if err := tx.convertRawMail(ctx, s, from, `report_id = ?`, id); err != nil {
		return false, err
	}
	if err := tx.convertOutbox(ctx, s, from, id); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

func (tx *Tx) convertReporter(ctx context.Context, s sealStep, from int, id int64) error {
	var name, email, key string
	err := tx.QueryRowContext(ctx, `SELECT name, email, pgp_key FROM reporters WHERE id = ? AND sealed = ?`, id, from).Scan(&name, &email, &key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // shared with a report converted before
	} else if err != nil {
		return fmt.Errorf("db: read reporter %d: %w", id, err)
	}
	if err := s.texts(&name, &email, &key); err != nil {
		return fmt.Errorf("db: reporter %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE reporters SET name = ?, email = ?, pgp_key = ?, sealed = ? WHERE id = ?`, name, email, key, 1-from, id); err != nil {
		return fmt.Errorf("db: convert reporter %d: %w", id, err)
	}
	return nil
}

func (tx *Tx) convertTimeline(ctx context.Context, s sealStep, from int, reportID int64) error {
	type row struct {
		id   int64
		body string
	}
	var msgs []row
	rows, err := tx.QueryContext(ctx, `SELECT id, body FROM messages WHERE report_id = ? AND sealed = ?`, reportID, from)
	if err != nil {
		return fmt.Errorf("db: read timeline to convert: %w", err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.body); err != nil {
			rows.Close()
			return fmt.Errorf("db: read timeline to convert: %w", err)
		}
		msgs = append(msgs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: read timeline to convert: %w", err)
	}
	for _, m := range msgs {
		body, err := s.text(m.body)
		if err != nil {
			return fmt.Errorf("db: message %d: %w", m.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET body = ?, sealed = ? WHERE id = ?`, body, 1-from, m.id); err != nil {
			return fmt.Errorf("db: convert message %d: %w", m.id, err)
		}
	}
	var atts []int64
	arows, err := tx.QueryContext(ctx, `SELECT a.id FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.report_id = ? AND a.sealed = ?`, reportID, from)
	if err != nil {
		return fmt.Errorf("db: read attachments to convert: %w", err)
	}
	for arows.Next() {
		var id int64
		if err := arows.Scan(&id); err != nil {
			arows.Close()
			return fmt.Errorf("db: read attachments to convert: %w", err)
		}
		atts = append(atts, id)
	}
	arows.Close()
	if err := arows.Err(); err != nil {
		return fmt.Errorf("db: read attachments to convert: %w", err)
	}
	for _, id := range atts {
		var data []byte
		if err := tx.QueryRowContext(ctx, `SELECT data FROM attachment_data WHERE attachment_id = ?`, id).Scan(&data); err != nil {
			return fmt.Errorf("db: read attachment %d: %w", id, err)
		}
		if len(data) == 0 { // a large mailed file, stored in chunks: sealed whole
			if data, err = attachmentChunks(ctx, tx, id, 0); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM attachment_chunks WHERE attachment_id = ?`, id); err != nil {
				return fmt.Errorf("db: convert attachment %d: %w", id, err)
			}
		}
		out, err := s.bytes(data)
		if err != nil {
			return fmt.Errorf("db: attachment %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE attachment_data SET data = ? WHERE attachment_id = ?`, out, id); err != nil {
			return fmt.Errorf("db: convert attachment %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE attachments SET sealed = ? WHERE id = ?`, 1-from, id); err != nil {
			return fmt.Errorf("db: convert attachment %d: %w", id, err)
		}
	}
	return nil
}
