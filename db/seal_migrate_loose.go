package db

import (
	"cmp"
	"context"
	"fmt"
)

// looseBatch is how many left-over rows one transaction converts.
const looseBatch = 100

// convertLoose converts what the pass over reports leaves in the old form:
// rows written under a report already converted by a process that did not
// seal (a mailin run without the key before sealing was a property of the
// database), mail kept without a report, reporters no report names. Each
// table is walked once in id order, a batch per transaction.
func (db *DB) convertLoose(ctx context.Context, s sealStep, from int) error {
	type convertFunc func(tx *Tx, where string, args ...any) (int, error)
	steps := []struct {
		table, extra string
		convert      convertFunc
		flag         string // the column saying a row is sealed ("": sealed)
	}{
		{"reporters", "", func(tx *Tx, w string, a ...any) (int, error) { return tx.convertReporters(ctx, s, from, w, a...) }, ""},
		{"messages", "", func(tx *Tx, w string, a ...any) (int, error) { return tx.convertMessages(ctx, s, from, w, a...) }, ""},
		{"attachments", "", func(tx *Tx, w string, a ...any) (int, error) { return tx.convertAttachments(ctx, s, from, w, a...) }, ""},
		{"mail_raw", "", func(tx *Tx, w string, a ...any) (int, error) { return tx.convertRawMail(ctx, s, from, w, a...) }, ""},
		// Mail to staff about no report quotes no report: it stays as it is.
		{"outbox", " AND report_id IS NOT NULL", func(tx *Tx, w string, a ...any) (int, error) {
			return tx.convertOutbox(ctx, s, from, w, a...)
		}, ""},
		{"pgp_key_candidates", "", func(tx *Tx, w string, a ...any) (int, error) {
			return tx.convertKeyCandidates(ctx, s, from, w, a...)
		}, ""},
		{"incidents", "", func(tx *Tx, w string, a ...any) (int, error) { return tx.convertIncidents(ctx, s, from, w, a...) }, ""},
		{"incident_obligations", "", func(tx *Tx, w string, a ...any) (int, error) {
			return tx.convertObligationCopies(ctx, s, from, w, a...)
		}, ""},
		// Notes are sealed on flags of their own: a row sealed before notes
		// were (migration 0020) has a clear one.
		{"messages", " AND pgp_note <> ''", func(tx *Tx, w string, a ...any) (int, error) {
			return tx.convertNotes(ctx, s, from, messageNotes, w, a...)
		}, messageNotes.flag},
		{"mail_raw", " AND note <> ''", func(tx *Tx, w string, a ...any) (int, error) {
			return tx.convertNotes(ctx, s, from, rawMailNotes, w, a...)
		}, rawMailNotes.flag},
	}
	for _, st := range steps {
		var after int64
		for {
			ids, err := db.looseIDs(ctx, st.table, cmp.Or(st.flag, "sealed"), st.extra, from, after)
			if err != nil {
				return err
			} else if len(ids) == 0 {
				break
			}
			if err := db.convertLooseBatch(ctx, ids, st.convert); err != nil {
				return fmt.Errorf("db: convert %s: %w", st.table, err)
			}
			after = ids[len(ids)-1]
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// looseIDs lists the next batch of ids of table in the old form (flag is
// from). table, flag and extra are fixed strings of convertLoose, never
// input.
func (db *DB) looseIDs(ctx context.Context, table, flag, extra string, from int, after int64) ([]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM `+table+` WHERE `+flag+` = ? AND id > ?`+extra+` ORDER BY id LIMIT ?`, from, after, looseBatch)
	if err != nil {
		return nil, fmt.Errorf("db: find %s to convert: %w", table, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("db: find %s to convert: %w", table, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (db *DB) convertLooseBatch(ctx context.Context, ids []int64, convert func(tx *Tx, where string, args ...any) (int, error)) error {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := convert(tx, `id IN (`+placeholders(len(ids))+`)`, args...)
		return err
	})
}
