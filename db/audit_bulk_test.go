package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestAuditRowsEqualAudit: Tx.AuditRows (the demo generator's bulk audit
// rows) writes what one Tx.Audit per row writes: the same rows, a sound
// hash chain, and each row filed under the same organisations, for every
// kind of target the scope knows (a reference, report:N, a webhook, a
// mailbox, an organisation by id and by slug, a program, an account, a
// membership with org= in its detail, an incident that does not exist, an
// instance setting), with values repeated (its lookups are cached).
func TestAuditRowsEqualAudit(t *testing.T) {
	ctx := context.Background()
	f := newOrgFixture(t)
	d := f.DB
	rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: f.PClient.ID, Source: db.SourceWeb, Title: "client bug",
		Description: "d", Reporter: db.Reporter{Email: "r@example.net"}})
	if err != nil {
		t.Fatal(err)
	}
	sib, err := d.CreateReport(ctx, &db.NewReport{ProgramID: f.PSibling.ID, Source: db.SourceWeb, Title: "sibling bug",
		Description: "d", Reporter: db.Reporter{Email: "r@example.net"}})
	if err != nil {
		t.Fatal(err)
	}
	wh, err := d.CreateWebhook(ctx, &db.NewWebhook{ProgramID: f.PClient.ID, URL: "https://hooks.client.example/x", Format: db.WebhookGeneric, Enabled: true}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := d.CreateMailbox(ctx, &db.NewMailbox{Mailbox: db.Mailbox{OrgID: f.Client.ID, ProgramID: f.PClient.ID,
		Addr: "imap.client.example:993", TLS: "tls", User: "u"}, Password: "pw"}, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	f.member(t, "dev@client.example", f.Client, db.RoleTriager)
	var reportID int64
	err = d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT id FROM reports WHERE title = 'client bug'`).Scan(&reportID)
	})
	if err != nil {
		t.Fatal(err)
	}
	staff := db.Actor{UserID: 1, Name: "admin@example.org", ClientAddr: "192.0.2.1"}
	var rows []db.AuditRow
	for range 2 {
		rows = append(rows,
			db.AuditRow{Actor: db.ActorReporter, Action: "report.submit", Target: rc.Ref, Detail: "source=web"},
			db.AuditRow{Actor: staff, Action: "report.state", Target: sib.Ref, Detail: "new -> triaged"},
			db.AuditRow{Actor: staff, Action: "report.note", Target: fmt.Sprintf("report:%d", reportID)},
			db.AuditRow{Actor: staff, Action: "webhook.edit", Target: fmt.Sprintf("webhook:%d", wh.ID)},
			db.AuditRow{Actor: staff, Action: "mailbox.edit", Target: fmt.Sprintf("mailbox %d", mb.ID)},
			db.AuditRow{Actor: staff, Action: "org.edit", Target: fmt.Sprint(f.Client.ID)},
			db.AuditRow{Actor: staff, Action: "org.edit", Target: "sibling"},
			db.AuditRow{Actor: staff, Action: "program.edit", Target: "client-app"},
			db.AuditRow{Actor: staff, Action: "user.disable", Target: "dev@client.example"},
			db.AuditRow{Actor: staff, Action: "org.member.set", Target: "dev@client.example", Detail: fmt.Sprintf("org=%d role=triager", f.Client.ID)},
			db.AuditRow{Actor: staff, Action: "incident.open", Target: "INC-999"},
			db.AuditRow{Actor: db.ActorSystem, Action: "setting.change", Target: "require_2fa", Detail: "on"},
		)
	}
	// written reads what a write of rows left: each row (less its id and
	// time) with the organisations it is filed under.
	written := func(write func(ctx context.Context, tx *db.Tx) error) string {
		t.Helper()
		var first int64
		err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
			if err := tx.QueryRowContext(ctx, `SELECT MAX(id) + 1 FROM audit`).Scan(&first); err != nil {
				return err
			}
			return write(ctx, tx)
		})
		if err != nil {
			t.Fatal(err)
		}
		c, err := sql.Open("sqlite3", "file:"+d.Path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		res, err := c.Query(`SELECT a.id - ?, COALESCE(a.actor_id, 0), a.actor, a.client_addr, a.action, a.target, a.detail,
			COALESCE((SELECT group_concat(org_id) FROM (SELECT org_id FROM audit_orgs o WHERE o.audit_id = a.id ORDER BY org_id)), '')
			FROM audit a WHERE a.id >= ? ORDER BY a.id`, first, first)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		var out []string
		for res.Next() {
			var off, actorID int64
			var actor, addr, action, target, detail, orgs string
			if err := res.Scan(&off, &actorID, &actor, &addr, &action, &target, &detail, &orgs); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%d %d %s %s %s %s %q orgs=%s", off, actorID, actor, addr, action, target, detail, orgs))
		}
		if err := res.Err(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, "\n")
	}
	one := written(func(ctx context.Context, tx *db.Tx) error {
		for _, r := range rows {
			if err := tx.Audit(ctx, r.Actor, r.Action, r.Target, r.Detail); err != nil {
				return err
			}
		}
		return nil
	})
	bulk := written(func(ctx context.Context, tx *db.Tx) error { return tx.AuditRows(ctx, rows) })
	if one != bulk {
		t.Fatalf("AuditRows wrote other rows than Audit:\nAudit:\n%s\nAuditRows:\n%s", one, bulk)
	}
	if !strings.Contains(one, fmt.Sprintf("orgs=%d,%d", f.Agency.ID, f.Client.ID)) || !strings.Contains(one, "orgs=\n") {
		t.Fatalf("the rows are not filed as the test means them to be:\n%s", one)
	}
	// More than one statement's worth, after a row written by Audit: the
	// chain goes on from the head the transaction holds.
	many := make([]db.AuditRow, 0, 250)
	for i := range 250 {
		many = append(many, rows[i%len(rows)])
	}
	err = d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := tx.Audit(ctx, db.ActorSystem, "setting.change", "x", ""); err != nil {
			return err
		}
		if err := tx.AuditRows(ctx, many); err != nil {
			return err
		}
		return tx.Audit(ctx, db.ActorSystem, "setting.change", "y", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	if bad, err := d.VerifyAudit(ctx); err != nil || bad != 0 {
		t.Fatalf("the audit chain breaks at row %d (%v)", bad, err)
	}
}
