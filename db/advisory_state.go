package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// SubmitAdvisory asks for review: a draft goes to in_review, where a second
// person approves it.
func (db *DB) SubmitAdvisory(ctx context.Context, id, version int64, actor Actor) error {
	return db.moveAdvisory(ctx, id, version, actor, "advisory.submit", AdvisoryInReview, AdvisoryDraft)
}

// ReturnAdvisory takes an advisory in review, or one approved and waiting
// for its moment, back to draft (an embargo moved, a fix not ready).
func (db *DB) ReturnAdvisory(ctx context.Context, id, version int64, actor Actor) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		a, err := tx.lockAdvisory(ctx, id, version, AdvisoryInReview, AdvisoryScheduled)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE advisories SET state = 'draft', approver_id = NULL, updated_at = ?, version = version + 1 WHERE id = ?`,
			formatTime(tx.now), a.ID); err != nil {
			return fmt.Errorf("db: return advisory: %w", err)
		}
		return tx.audit(ctx, actor, "advisory.return", a.Ident, string(a.State))
	})
}

func (db *DB) moveAdvisory(ctx context.Context, id, version int64, actor Actor, action string, to AdvisoryState, from ...AdvisoryState) error {
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		a, err := tx.lockAdvisory(ctx, id, version, from...)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE advisories SET state = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
			string(to), formatTime(tx.now), a.ID); err != nil {
			return fmt.Errorf("db: advisory state: %w", err)
		}
		return tx.audit(ctx, actor, action, a.Ident, string(a.State)+"→"+string(to))
	})
}

// ApproveAdvisory is the second person's approval of an advisory in
// review: the author cannot approve their own. It publishes at once when
// the advisory has no publication moment or the moment has passed, and is
// otherwise scheduled: PublishDue publishes it at that moment. It returns
// the state the advisory is in afterwards.
func (db *DB) ApproveAdvisory(ctx context.Context, id, version int64, actor Actor) (AdvisoryState, error) {
	return updateValue(ctx, db, func(ctx context.Context, tx *Tx) (AdvisoryState, error) {
		a, err := tx.lockAdvisory(ctx, id, version, AdvisoryInReview)
		if err != nil {
			return "", err
		}
		// A second person: neither the author nor whoever changed the
		// draft last (else one could edit another's draft and approve it).
		if actor.UserID == 0 || actor.UserID == a.AuthorID || actor.UserID == a.EditorID {
			return "", Errorf(EFORBIDDEN, "You wrote or changed this advisory: a second person must approve it.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE advisories SET state = 'scheduled', approver_id = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
			actor.UserID, formatTime(tx.now), a.ID); err != nil {
			return "", fmt.Errorf("db: approve advisory: %w", err)
		}
		if err := tx.audit(ctx, actor, "advisory.approve", a.Ident, "publish_at="+formatNullString(a.PublishAt)); err != nil {
			return "", err
		}
		if a.PublishAt.After(tx.now) {
			return AdvisoryScheduled, nil
		}
		return AdvisoryPublished, tx.publishAdvisory(ctx, a.ID, a.Ident, tx.now)
	})
}

func formatNullString(t time.Time) string {
	if t.IsZero() {
		return "now"
	}
	return formatTime(t)
}

// publishAdvisory makes a scheduled advisory public as revision 1.
func (tx *Tx) publishAdvisory(ctx context.Context, id int64, ident string, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE advisories SET state = 'published', published_at = ?, revision = 1, updated_at = ?, version = version + 1
		WHERE id = ? AND state = 'scheduled'`, formatTime(at), formatTime(tx.now), id)
	if err != nil {
		return fmt.Errorf("db: publish advisory: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // published meanwhile
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO advisory_revisions (advisory_id, number, at, summary) VALUES (?, 1, ?, 'Initial publication.')`,
		id, formatTime(at)); err != nil {
		return fmt.Errorf("db: publish advisory: %w", err)
	}
	return tx.audit(ctx, ActorSystem, "advisory.publish", ident, "")
}

// PublishDue publishes every scheduled advisory whose moment has come (by
// DB.Now) and returns how many it published. Serve's publisher calls it at
// each moment and at start, so one due while the portal was down goes out
// at once after the restart. Each advisory's published time is its
// scheduled moment.
func (db *DB) PublishDue(ctx context.Context) (int, error) {
	return updateValue(ctx, db, func(ctx context.Context, tx *Tx) (int, error) {
		rows, err := tx.QueryContext(ctx, `SELECT id, ident, publish_at FROM advisories INDEXED BY advisories_due
			WHERE state = 'scheduled' AND publish_at <= ? ORDER BY publish_at LIMIT 100`, formatTime(tx.now))
		if err != nil {
			return 0, fmt.Errorf("db: due advisories: %w", err)
		}
		type due struct {
			id        int64
			ident, at string
		}
		var list []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.id, &d.ident, &d.at); err != nil {
				rows.Close()
				return 0, fmt.Errorf("db: due advisories: %w", err)
			}
			list = append(list, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("db: due advisories: %w", err)
		}
		for _, d := range list {
			if err := tx.publishAdvisory(ctx, d.id, d.ident, parseTime(d.at)); err != nil {
				return 0, err
			}
		}
		return len(list), nil
	})
}

// NextAdvisoryDue is the earliest moment a scheduled advisory waits for;
// ok is false when none waits.
func (db *DB) NextAdvisoryDue(ctx context.Context) (time.Time, bool, error) {
	var at sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT MIN(publish_at) FROM advisories WHERE state = 'scheduled'`).Scan(&at)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("db: next advisory: %w", err)
	}
	return parseNullTime(at), at.Valid, nil
}

// ReviseAdvisory changes a public advisory: the change becomes the next
// numbered revision with its summary (what changed and why), in the
// revision history every format carries.
func (db *DB) ReviseAdvisory(ctx context.Context, id, version int64, in *AdvisoryInput, summary string, actor Actor) error {
	errs := in.Validate()
	summary = strings.TrimSpace(summary)
	if n := utf8.RuneCountInString(summary); n == 0 || n > 1000 {
		errs["change"] = "Say what changed, in 1 to 1,000 characters."
	}
	if len(errs) > 0 {
		return Invalid(errs)
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		a, err := tx.lockAdvisory(ctx, id, version, AdvisoryPublished, AdvisoryUpdated)
		if err != nil {
			return err
		}
		if err := tx.writeAdvisory(ctx, a.ID, in, `state = 'updated', revision = revision + 1`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO advisory_revisions (advisory_id, number, at, summary) VALUES (?, ?, ?, ?)`,
			a.ID, a.Revision+1, formatTime(tx.now), summary); err != nil {
			return fmt.Errorf("db: revise advisory: %w", err)
		}
		return tx.audit(ctx, actor, "advisory.revise", a.Ident, fmt.Sprintf("revision=%d", a.Revision+1))
	})
}

// WithdrawAdvisory marks a public advisory withdrawn (it was wrong, or a
// duplicate); it stays readable, marked, as a last revision with the reason.
func (db *DB) WithdrawAdvisory(ctx context.Context, id, version int64, reason string, actor Actor) error {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n == 0 || n > 1000 {
		return Invalid(FieldErrors{"change": "Say why it is withdrawn, in 1 to 1,000 characters."})
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		a, err := tx.lockAdvisory(ctx, id, version, AdvisoryPublished, AdvisoryUpdated)
		if err != nil {
			return err
		}
		now := formatTime(tx.now)
		if _, err := tx.ExecContext(ctx, `UPDATE advisories SET state = 'withdrawn', withdrawn_at = ?, revision = revision + 1, updated_at = ?,
			version = version + 1 WHERE id = ?`, now, now, a.ID); err != nil {
			return fmt.Errorf("db: withdraw advisory: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO advisory_revisions (advisory_id, number, at, summary) VALUES (?, ?, ?, ?)`,
			a.ID, a.Revision+1, now, "Withdrawn: "+reason); err != nil {
			return fmt.Errorf("db: withdraw advisory: %w", err)
		}
		return tx.audit(ctx, actor, "advisory.withdraw", a.Ident, "")
	})
}

// ReportCredit is a credit proposed to a report's reporter, as the status
// page shows it.
type ReportCredit struct {
	AdvisoryCredit
	Ident    string
	State    AdvisoryState
	Editable bool // the reporter may decline it: until publication
	// Renamable: the reporter may change the name: until a second person
	// approved the advisory (what they approved is what goes out; staying
	// anonymous is always allowed).
	Renamable bool
}

// ReportCredits are the credits proposed to a report's reporter.
func (db *DB) ReportCredits(ctx context.Context, reportID int64) ([]ReportCredit, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT c.id, c.report_id, c.name, c.type, c.declined, a.ident, a.state
		FROM advisory_credits c JOIN advisories a ON a.id = c.advisory_id WHERE c.report_id = ? ORDER BY c.id`, reportID)
	if err != nil {
		return nil, fmt.Errorf("db: report credits: %w", err)
	}
	defer rows.Close()
	var out []ReportCredit
	for rows.Next() {
		var c ReportCredit
		if err := rows.Scan(&c.ID, &c.ReportID, &c.Name, &c.Type, &c.Declined, &c.Ident, &c.State); err != nil {
			return nil, fmt.Errorf("db: report credits: %w", err)
		}
		c.Editable = !c.State.Public()
		c.Renamable = c.State == AdvisoryDraft || c.State == AdvisoryInReview
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetReporterCredit is the reporter's answer to a proposed credit: the
// name to credit, or declined (anonymous: no format names them). Only the
// credit proposed for this report, and only until publication.
func (db *DB) SetReporterCredit(ctx context.Context, reportID, creditID int64, name string, declined bool) error {
	name = strings.TrimSpace(name)
	if !declined && (name == "" || utf8.RuneCountInString(name) > 200) {
		return Invalid(FieldErrors{"credit": "Give the name to credit (up to 200 characters), or decline the credit."})
	}
	if declined {
		name = ""
	}
	return db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var ident string
		var state AdvisoryState
		err := tx.QueryRowContext(ctx, `SELECT a.ident, a.state FROM advisory_credits c JOIN advisories a ON a.id = c.advisory_id
			WHERE c.id = ? AND c.report_id = ?`, creditID, reportID).Scan(&ident, &state)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "Credit not found.")
		} else if err != nil {
			return fmt.Errorf("db: reporter credit: %w", err)
		}
		if state.Public() {
			return Errorf(ECONFLICT, "The advisory is published: write to the team to change the credit.")
		}
		if !declined && state == AdvisoryScheduled {
			// The approved text is what is published: a name typed after
			// the approval would reach the public pages unreviewed.
			return Errorf(ECONFLICT, "The advisory is approved: you can still stay anonymous; to change the name, write to the team.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE advisory_credits SET name = ?, declined = ? WHERE id = ?`, name, declined, creditID); err != nil {
			return fmt.Errorf("db: reporter credit: %w", err)
		}
		// The advisory changed: an approval made from a page read before
		// the reporter's answer is stale, so the reviewer sees the name
		// that will be published.
		if _, err := tx.ExecContext(ctx, `UPDATE advisories SET version = version + 1 WHERE id = (SELECT advisory_id FROM advisory_credits WHERE id = ?)`, creditID); err != nil {
			return fmt.Errorf("db: reporter credit: %w", err)
		}
		detail := "named"
		if declined {
			detail = "declined"
		}
		return tx.audit(ctx, ActorReporter, "advisory.credit", ident, detail)
	})
}
