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
	// The database says it is sealed from the start, so that no process
	// writes plaintext beside an interrupted run, and serve refuses to start
	// until a run completed.
	db.sealOn = true
	if err := db.setSealed(ctx, true); err != nil {
		return err
	}
	return db.convert(ctx, sealStep{db: db, seal: true}, progress)
}

// UnsealExisting reverses SealExisting (disclose unseal); it needs the
// unlocked key. The on-disk search index takes the plaintext back.
func (db *DB) UnsealExisting(ctx context.Context, progress func(done, total int64)) error {
	if !db.Unlocked() {
		return errors.New("db: unseal: the team key is locked; give its passphrase (DISCLOSE_KEY_PASSPHRASE_FILE)")
	}
	// The database stays sealed until the last row is plaintext again: an
	// interrupted run leaves it sealed, and a re-run carries on.
	db.sealOn = false
	db.plainWrites.Store(true)
	defer db.plainWrites.Store(false)
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
	var last int64 // ids below are converted: the walk never reads them again
	for done := int64(0); ; done++ {
		var err error
		if last, err = db.convertNext(ctx, s, from, last); err != nil {
			return err
		} else if last == 0 {
			break
		}
		if progress != nil {
			progress(done+1, total)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if err := db.convertLoose(ctx, s, from); err != nil {
		return err
	}
	if !s.seal {
		if err := db.setSealed(ctx, false); err != nil {
			return err
		}
	}
	return db.compact(ctx)
}

// convertNext converts the lowest report after id after still in the old
// form, in one transaction; it returns its id, or 0 when none is left.
func (db *DB) convertNext(ctx context.Context, s sealStep, from int, after int64) (int64, error) {
	return updateValue(ctx, db, func(ctx context.Context, tx *Tx) (int64, error) {
		var err error
		var id int64
		var reporter sql.NullInt64
		var title, asset, desc, steps, impact, credit, reason string
		err = tx.QueryRowContext(ctx, `SELECT id, reporter_id, title, asset, description, steps, impact, credit, close_reason
			FROM reports WHERE sealed = ? AND id > ? ORDER BY id LIMIT 1`, from, after).Scan(&id, &reporter, &title, &asset, &desc, &steps, &impact, &credit, &reason)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil // none left
		} else if err != nil {
			return 0, fmt.Errorf("db: read report to convert: %w", err)
		}
		if err := s.texts(&title, &asset, &desc, &steps, &impact, &credit, &reason); err != nil {
			return 0, fmt.Errorf("db: report %d: %w", id, err)
		}
		// The FTS triggers take the plaintext out of (seal) or back into
		// (unseal) the on-disk index as sealed changes.
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET title = ?, asset = ?, description = ?, steps = ?, impact = ?, credit = ?,
			close_reason = ?, sealed = ? WHERE id = ?`, title, asset, desc, steps, impact, credit, reason, 1-from, id); err != nil {
			return 0, fmt.Errorf("db: convert report %d: %w", id, err)
		}
		if reporter.Valid {
			// A reporter shared with a report converted before is converted already.
			if _, err := tx.convertReporters(ctx, s, from, `id = ?`, reporter.Int64); err != nil {
				return 0, err
			}
		}
		if err := tx.convertTimeline(ctx, s, from, id); err != nil {
			return 0, err
		}
		if _, err := tx.convertRawMail(ctx, s, from, `report_id = ?`, id); err != nil {
			return 0, err
		}
		for _, c := range []noteColumn{messageNotes, rawMailNotes} {
			if _, err := tx.convertNotes(ctx, s, from, c, `report_id = ?`, id); err != nil {
				return 0, err
			}
		}
		if _, err := tx.convertOutbox(ctx, s, from, `report_id = ?`, id); err != nil {
			return 0, err
		}
		if _, err := tx.convertKeyCandidates(ctx, s, from, `report_id = ?`, id); err != nil {
			return 0, err
		}
		return id, nil
	})
}

// convertReporters converts the reporters matching where; it returns how
// many it converted.
func (tx *Tx) convertReporters(ctx context.Context, s sealStep, from int, where string, args ...any) (int, error) {
	type row struct {
		id               int64
		name, email, key string
	}
	var out []row
	rows, err := tx.QueryContext(ctx, `SELECT id, name, email, pgp_key FROM reporters WHERE sealed = ? AND `+where, append([]any{from}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("db: read reporters to convert: %w", err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.name, &r.email, &r.key); err != nil {
			rows.Close()
			return 0, fmt.Errorf("db: read reporters to convert: %w", err)
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("db: read reporters to convert: %w", err)
	}
	for _, r := range out {
		if err := s.texts(&r.name, &r.email, &r.key); err != nil {
			return 0, fmt.Errorf("db: reporter %d: %w", r.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reporters SET name = ?, email = ?, pgp_key = ?, sealed = ? WHERE id = ?`,
			r.name, r.email, r.key, 1-from, r.id); err != nil {
			return 0, fmt.Errorf("db: convert reporter %d: %w", r.id, err)
		}
	}
	return len(out), nil
}

// convertTimeline converts the entries of a report and their attachments.
func (tx *Tx) convertTimeline(ctx context.Context, s sealStep, from int, reportID int64) error {
	if _, err := tx.convertMessages(ctx, s, from, `report_id = ?`, reportID); err != nil {
		return err
	}
	_, err := tx.convertAttachments(ctx, s, from, `message_id IN (SELECT id FROM messages WHERE report_id = ?)`, reportID)
	return err
}

// convertMessages converts the timeline entries matching where.
func (tx *Tx) convertMessages(ctx context.Context, s sealStep, from int, where string, args ...any) (int, error) {
	type row struct {
		id   int64
		body string
	}
	var msgs []row
	rows, err := tx.QueryContext(ctx, `SELECT id, body FROM messages WHERE sealed = ? AND `+where, append([]any{from}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("db: read timeline to convert: %w", err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.body); err != nil {
			rows.Close()
			return 0, fmt.Errorf("db: read timeline to convert: %w", err)
		}
		msgs = append(msgs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("db: read timeline to convert: %w", err)
	}
	for _, m := range msgs {
		body, err := s.text(m.body)
		if err != nil {
			return 0, fmt.Errorf("db: message %d: %w", m.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET body = ?, sealed = ? WHERE id = ?`, body, 1-from, m.id); err != nil {
			return 0, fmt.Errorf("db: convert message %d: %w", m.id, err)
		}
	}
	return len(msgs), nil
}

// convertAttachments converts the attachments matching where.
func (tx *Tx) convertAttachments(ctx context.Context, s sealStep, from int, where string, args ...any) (int, error) {
	var atts []int64
	arows, err := tx.QueryContext(ctx, `SELECT id FROM attachments WHERE sealed = ? AND `+where, append([]any{from}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("db: read attachments to convert: %w", err)
	}
	for arows.Next() {
		var id int64
		if err := arows.Scan(&id); err != nil {
			arows.Close()
			return 0, fmt.Errorf("db: read attachments to convert: %w", err)
		}
		atts = append(atts, id)
	}
	arows.Close()
	if err := arows.Err(); err != nil {
		return 0, fmt.Errorf("db: read attachments to convert: %w", err)
	}
	for _, id := range atts {
		// Sealed or opened as it streams, from its chunks or its one row
		// into chunks: a 25 MB file is never held whole.
		var data []byte
		var size int64
		var sum string
		if err := tx.QueryRowContext(ctx, `SELECT d.data, a.size, a.sha256 FROM attachment_data d JOIN attachments a ON a.id = d.attachment_id
			WHERE d.attachment_id = ?`, id).Scan(&data, &size, &sum); err != nil {
			return 0, fmt.Errorf("db: read attachment %d: %w", id, err)
		}
		off, err := tx.chunkCount(ctx, attachmentChunkRows, id)
		if err != nil {
			return 0, err
		}
		stored := storedAttachment(ctx, tx, id, data)
		if cr, ok := stored.(*chunkReader); ok {
			cr.until = off // not the new chunks written after the old
		}
		if err := tx.convertChunks(ctx, s, attachmentChunkRows, id, stored, off, true, size, sum); err != nil {
			return 0, fmt.Errorf("db: attachment %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE attachment_data SET data = X'' WHERE attachment_id = ?`, id); err != nil {
			return 0, fmt.Errorf("db: convert attachment %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE attachments SET sealed = ? WHERE id = ?`, 1-from, id); err != nil {
			return 0, fmt.Errorf("db: convert attachment %d: %w", id, err)
		}
	}
	return len(atts), nil
}
