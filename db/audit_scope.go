package db

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

var (
	auditRef       = regexp.MustCompile(`^([A-Z][A-Z0-9]{1,11})-[0-9]{1,12}$`)
	auditObject    = regexp.MustCompile(`^(report|webhook|delivery|outbox):([0-9]{1,19})$`)
	auditMailbox   = regexp.MustCompile(`^mailbox ([0-9]{1,19})$`)
	auditDetailID  = regexp.MustCompile(`(?:^| )org=([0-9]{1,19})(?: |$)`)
	auditDetailSl  = regexp.MustCompile(`(?:^| )org=([a-z0-9][a-z0-9-]{0,39})(?: |$)`)
	auditMovedFrom = regexp.MustCompile(`(?:^| )from=([a-z0-9][a-z0-9-]{0,39})(?: |$)`)
)

// auditScopeSQL finds the organisation of an audit row's object, by the
// kind of its target: each statement takes the id and returns org_id.
var auditScopeSQL = map[string]string{
	"ref":      `SELECT org_id FROM programs WHERE prefix = ?`,
	"report":   `SELECT p.org_id FROM reports r JOIN programs p ON p.id = r.program_id WHERE r.id = ?`,
	"webhook":  `SELECT p.org_id FROM webhooks w JOIN programs p ON p.id = w.program_id WHERE w.id = ?`,
	"delivery": `SELECT p.org_id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN programs p ON p.id = w.program_id WHERE d.id = ?`,
	"mailbox":  `SELECT org_id FROM mailboxes WHERE id = ?`,
	"org":      `SELECT id FROM organisations WHERE id = ?`,
	"incident": `SELECT org_id FROM incidents WHERE id = ?`,
	"orgslug":  `SELECT id FROM organisations WHERE slug = ?`,
	"program":  `SELECT org_id FROM programs WHERE slug = ?`,
}

// auditScope files audit row e under the organisations it concerns, and
// each one's parent, for the organisation's own audit page (auditOrgs). The
// organisation is found from what the row names, so that every writer is
// covered without naming it: a report (its reference or report:N), a
// webhook, delivery or mailbox, outgoing mail (under the organisation that
// acted on it: org=N), an incident (incident.*), an
// organisation (org.* actions, or org=N / org=slug in the detail of the
// actions that write it: org.member.*, mailbox.*, program.*), a program
// (program.*; a move, program.move or mailbox.move, under the organisation
// it left too), and
// for account events (user.*, login.*, session.*, setup.link, logout) every
// organisation the account is a member of, so that an organisation's
// admins see sign-ins and changes of their people. A membership change
// (org.member.*) is filed under the organisation it changes only: another
// organisation of the same person does not learn of it. A row that names none
// of these is the instance's and stays the site admin's.
func (tx *Tx) auditScope(ctx context.Context, e *AuditEntry) error {
	orgs, err := auditOrgsOf(e, func(query string, arg any, all bool) ([]int64, error) {
		return tx.scopeLookup(ctx, query, arg, all)
	})
	if err != nil {
		return err
	}
	for _, org := range orgs {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO audit_orgs (org_id, audit_id)
			SELECT id, ? FROM organisations WHERE id = ? UNION SELECT parent_id, ? FROM organisations WHERE id = ? AND parent_id IS NOT NULL`,
			e.ID, org, e.ID, org); err != nil {
			return fmt.Errorf("db: scope audit %s: %w", e.Action, err)
		}
	}
	return nil
}

// scopeLookup runs one of auditOrgsOf's queries: its first row's id, or
// every row's when all is set.
func (tx *Tx) scopeLookup(ctx context.Context, query string, arg any, all bool) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if ids = append(ids, id); !all {
			break
		}
	}
	return ids, rows.Err()
}

// auditOrgsOf is the organisations audit row e names (auditScope), with
// lookup running each query on what the row names: the first row's id, or
// every row's when all is set.
func auditOrgsOf(e *AuditEntry, lookup func(query string, arg any, all bool) ([]int64, error)) ([]int64, error) {
	var orgs []int64
	one := func(kind string, arg any) error {
		ids, err := lookup(auditScopeSQL[kind], arg, false)
		if err != nil {
			return fmt.Errorf("db: scope audit %s: %w", e.Action, err)
		}
		orgs = append(orgs, ids...)
		return nil
	}
	var err error
	switch {
	case strings.HasPrefix(e.Action, "incident."):
		// An incident's rows name it (INC-<id>) or, for the organisation's
		// clock settings, the organisation's id: never a report, though
		// INC-<id> looks like a reference.
		if n, ok := ParseIncidentRef(e.Target); ok && strings.HasPrefix(e.Target, "INC-") {
			err = one("incident", n)
		} else if n, perr := strconv.ParseInt(e.Target, 10, 64); perr == nil {
			err = one("org", n)
		}
	case auditRef.MatchString(e.Target):
		err = one("ref", auditRef.FindStringSubmatch(e.Target)[1])
	case auditObject.MatchString(e.Target):
		m := auditObject.FindStringSubmatch(e.Target)
		n, _ := strconv.ParseInt(m[2], 10, 64)
		if m[1] == "outbox" {
			// An action on a mail is filed under the organisation that
			// acted (RetryOrgMail writes org=N), never under every
			// organisation the mail is filed under: another tenant must
			// not read who acted and from where. The site admin's are
			// the instance's.
			if d := auditDetailID.FindStringSubmatch(e.Detail); d != nil && strings.HasPrefix(e.Action, "mail.") {
				o, _ := strconv.ParseInt(d[1], 10, 64)
				err = one("org", o)
			}
		} else {
			err = one(m[1], n)
		}
	case auditMailbox.MatchString(e.Target) && !auditDetailID.MatchString(e.Detail):
		n, _ := strconv.ParseInt(auditMailbox.FindStringSubmatch(e.Target)[1], 10, 64)
		err = one("mailbox", n)
	case strings.HasPrefix(e.Action, "program."):
		err = one("program", e.Target)
	case strings.HasPrefix(e.Action, "org.") && !strings.HasPrefix(e.Action, "org.member."):
		if n, perr := strconv.ParseInt(e.Target, 10, 64); perr == nil {
			err = one("org", n)
		} else {
			err = one("orgslug", e.Target)
		}
	}
	if err != nil {
		return nil, err
	}
	// org= in the detail counts only for the actions that write it there
	// themselves: other details carry text people typed (a token's name, a
	// reason), and "org=client" typed into one must not file a row under
	// another tenant's audit page.
	detailNamesOrg := strings.HasPrefix(e.Action, "org.member.") || strings.HasPrefix(e.Action, "mailbox.") || strings.HasPrefix(e.Action, "program.")
	if !detailNamesOrg {
		// nothing from the detail
	} else if m := auditDetailID.FindStringSubmatch(e.Detail); m != nil && len(orgs) == 0 {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		err = one("org", n)
	} else if m := auditDetailSl.FindStringSubmatch(e.Detail); m != nil && len(orgs) == 0 {
		err = one("orgslug", m[1])
	}
	if err != nil {
		return nil, err
	}
	if e.Action == "program.move" || e.Action == "mailbox.move" {
		// Both the organisation it left and the one it joined.
		if m := auditMovedFrom.FindStringSubmatch(e.Detail); m != nil {
			if err := one("orgslug", m[1]); err != nil {
				return nil, err
			}
		}
	}
	if strings.Contains(e.Target, "@") && accountAction(e.Action) {
		ids, err := lookup(`SELECT m.org_id FROM users u JOIN org_members m ON m.user_id = u.id WHERE u.email = ? COLLATE NOCASE`, e.Target, true)
		if err != nil {
			return nil, fmt.Errorf("db: scope audit %s: %w", e.Action, err)
		}
		orgs = append(orgs, ids...)
	}
	return orgs, nil
}

// accountAction says whether action is about the account its target names.
func accountAction(action string) bool {
	for _, p := range []string{"user.", "login.", "session."} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return action == "setup.link" || action == "logout"
}

// listOrgAudit is ListAudit of one organisation's rows: it walks that
// organisation's keys of audit_orgs newest first, a batch at a time, loads
// each batch's rows by id and keeps those the filter matches, until a page
// is full. Its cost follows the organisation's rows it reads, never the
// whole log.
func (db *DB) listOrgAudit(ctx context.Context, f AuditFilter) (*AuditPage, error) {
	batch := 4 * f.Limit
	before := f.Before
	if before <= 0 {
		before = math.MaxInt64
	}
	page := &AuditPage{}
	for len(page.Entries) <= f.Limit {
		ids, err := db.orgAuditIDs(ctx, f.Org, before, batch)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			break
		}
		// One lookup by rowid per id: a plan no statistics can turn into
		// a scan of the log.
		for _, id := range ids {
			var e AuditEntry
			err := db.read.QueryRowContext(ctx, `SELECT id, at, COALESCE(actor_id, 0), actor, client_addr, action, target, detail, prev_hash, hash
				FROM audit WHERE id = ?`, id).Scan(&e.ID, &e.At, &e.ActorID, &e.Actor, &e.ClientAddr, &e.Action, &e.Target, &e.Detail, &e.PrevHash, &e.Hash)
			if err != nil {
				return nil, fmt.Errorf("db: list audit of organisation %d: %w", f.Org, err)
			}
			if auditMatches(&e, f) {
				if page.Entries = append(page.Entries, &e); len(page.Entries) > f.Limit {
					break
				}
			}
		}
		before = ids[len(ids)-1]
		if len(ids) < batch {
			break
		}
	}
	if len(page.Entries) > f.Limit {
		page.Entries = page.Entries[:f.Limit]
		page.Next = page.Entries[f.Limit-1].ID
	}
	return page, nil
}

// orgAuditIDs are the ids of up to n audit rows of organisation org below
// before, newest first.
func (db *DB) orgAuditIDs(ctx context.Context, org, before int64, n int) ([]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT audit_id FROM audit_orgs WHERE org_id = ? AND audit_id < ? ORDER BY audit_id DESC LIMIT ?`, org, before, n)
	if err != nil {
		return nil, fmt.Errorf("db: list audit of organisation %d: %w", org, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("db: list audit of organisation %d: %w", org, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// auditMatches applies f's filters as ListAudit's SQL does: actor and
// target substrings (ASCII case folded, as LIKE), an action prefix, a time
// range.
func auditMatches(e *AuditEntry, f AuditFilter) bool {
	fold := strings.ToLower
	switch {
	case f.Actor != "" && !strings.Contains(fold(e.Actor), fold(f.Actor)):
		return false
	case f.Action != "" && !strings.HasPrefix(e.Action, f.Action):
		return false
	case f.Target != "" && !strings.Contains(fold(e.Target), fold(f.Target)):
		return false
	case !f.From.IsZero() && e.At < formatTime(f.From):
		return false
	case !f.To.IsZero() && e.At >= formatTime(f.To):
		return false
	}
	return true
}
