package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// fileMail files outbox row id under the organisations whose admins may
// read it (outbox_orgs, migration 0036), each with its parent: mail about
// a report under the report's organisation; a mail that names its
// organisation (m.OrgID: an invitation, sent by that organisation's admin)
// under that one. A password reset or a site admin's account link is the
// person's, not every tenant's they belong to: filed under none, so that
// no tenant reads (or retries) another's account mail. A digest is filed
// by fileDigest once its reports are named. Anything else stays the site
// admin's alone.
func (tx *Tx) fileMail(ctx context.Context, id int64, m *OutMail) error {
	var q string
	var arg any
	switch {
	case m.ReportID != 0:
		q, arg = `SELECT p.org_id FROM reports r JOIN programs p ON p.id = r.program_id WHERE r.id = ?`, m.ReportID
	case m.OrgID != 0:
		q, arg = `SELECT id FROM organisations WHERE id = ?`, m.OrgID
	default:
		return nil
	}
	orgs, err := tx.orgIDs(ctx, q, arg)
	if err != nil {
		return fmt.Errorf("db: file mail %d: %w", id, err)
	}
	return tx.fileMailUnder(ctx, id, orgs)
}

// fileDigest files digest id under each organisation that holds every
// report the digest names (outbox_mentions), itself or as the parent of
// the report's organisation: no admin reads another tenant's titles in it.
func (tx *Tx) fileDigest(ctx context.Context, id int64) error {
	orgs, err := tx.orgIDs(ctx, `SELECT c.id FROM organisations c
		WHERE EXISTS (SELECT 1 FROM outbox_mentions m WHERE m.outbox_id = ?1)
		AND NOT EXISTS (SELECT 1 FROM outbox_mentions m JOIN reports r ON r.id = m.report_id JOIN programs p ON p.id = r.program_id
			JOIN organisations g ON g.id = p.org_id WHERE m.outbox_id = ?1 AND g.id <> c.id AND COALESCE(g.parent_id, 0) <> c.id)`, id)
	if err != nil {
		return fmt.Errorf("db: file digest %d: %w", id, err)
	}
	return tx.fileMailUnder(ctx, id, orgs)
}

// fileMailUnder files mail id under orgs and each one's parent.
func (tx *Tx) fileMailUnder(ctx context.Context, id int64, orgs []int64) error {
	for _, org := range orgs {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO outbox_orgs (org_id, outbox_id, status)
			SELECT g.id, o.id, o.status FROM outbox o JOIN organisations g ON g.id = ?2 OR g.id = (SELECT parent_id FROM organisations WHERE id = ?2)
			WHERE o.id = ?1`, id, org); err != nil {
			return fmt.Errorf("db: file mail %d under organisation %d: %w", id, org, err)
		}
	}
	return nil
}

// orgIDs runs q, which selects one integer column.
func (tx *Tx) orgIDs(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// orgMailFrom reads an organisation's filed mail: outbox_orgs leads (CROSS
// JOIN keeps it first), so a page costs the organisation's rows it reads.
const orgMailFrom = ` FROM outbox_orgs x CROSS JOIN outbox o LEFT JOIN reports r ON r.id = o.report_id LEFT JOIN programs p ON p.id = r.program_id
	LEFT JOIN reporters rp ON rp.id = r.reporter_id WHERE o.id = x.outbox_id AND x.org_id = ?`

// OrgMails lists the mail filed under organisation org (its children's
// too), newest first, optionally one status only: its admins' outbox.
func (db *DB) OrgMails(ctx context.Context, org int64, status string, limit int) ([]*Mail, error) {
	q := `SELECT ` + mailColumns + orgMailFrom
	args := []any{org}
	if status != "" {
		q += ` AND x.status = ?`
		args = append(args, status)
	}
	return db.mails(ctx, q+` ORDER BY x.outbox_id DESC LIMIT ?`, append(args, limit)...)
}

// OrgMailByID returns mail id if it is filed under organisation org, and
// otherwise the ENOTFOUND of a mail that does not exist.
func (db *DB) OrgMailByID(ctx context.Context, org, id int64) (*Mail, error) {
	m, err := scanMail(db.read.QueryRowContext(ctx, `SELECT `+mailColumns+orgMailFrom+` AND x.outbox_id = ?`, org, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENOTFOUND, "Mail not found.")
	} else if err != nil {
		return nil, fmt.Errorf("db: read mail %d: %w", id, err)
	}
	db.openMail(m)
	return m, nil
}

// OrgMailCounts counts organisation org's filed mail by status (kept by
// triggers, migration 0036).
func (db *DB) OrgMailCounts(ctx context.Context, org int64) (map[string]int, error) {
	out := map[string]int{}
	err := groupCount(ctx, db.read, `SELECT key, n FROM row_counts WHERE tbl = ? AND n > 0`, func(k string, n int) { out[k] = n },
		"outbox.org:"+strconv.FormatInt(org, 10))
	if err != nil {
		return nil, fmt.Errorf("db: count mail of organisation %d: %w", org, err)
	}
	return out, nil
}

// RetryOrgMail is RetryMail by an organisation's admin: only a mail filed
// under org; any other is the ENOTFOUND of one that does not exist.
func (db *DB) RetryOrgMail(ctx context.Context, org, id int64, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox_orgs WHERE org_id = ? AND outbox_id = ?`, org, id).Scan(&n); err != nil {
			return fmt.Errorf("db: find mail %d: %w", id, err)
		} else if n == 0 {
			return Errorf(ENOTFOUND, "Mail not found.")
		}
		if err := tx.retry(ctx, mailQueue, id); err != nil {
			return err
		}
		// Filed under the organisation that acted (org=, auditScope), not
		// under every organisation the mail is filed under.
		return tx.audit(ctx, actor, "mail.retry", fmt.Sprintf("outbox:%d", id), fmt.Sprintf("org=%d", org))
	})
}
