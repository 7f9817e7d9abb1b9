package db

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// TestFileReportMailAsEnqueueMail: mail a bulk load filed (FileReportMail)
// is filed as enqueueMail files each mail it writes, under the same
// organisations with the same status, and the per-organisation counts of
// the outbox's filter are the same: for reports of a top-level
// organisation, of a child (filed under its parent too) and of the
// default organisation, for pending and sent mail, beside mail about no
// report (filed under none).
func TestFileReportMailAsEnqueueMail(t *testing.T) {
	ctx := context.Background()
	d := openInternal(t)
	if _, err := d.CreateOrg(ctx, &NewOrg{Slug: "reseller", Name: "Reseller"}, ActorSystem); err != nil {
		t.Fatal(err)
	}
	client, err := d.CreateOrg(ctx, &NewOrg{Slug: "client", Name: "Client", ParentSlug: "reseller"}, ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	alone, err := d.CreateOrg(ctx, &NewOrg{Slug: "alone", Name: "Alone"}, ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	def, _ := d.DefaultProgram(ctx)
	programs := []int64{def.ID}
	err = d.Update(ctx, func(ctx context.Context, tx *Tx) error {
		for _, org := range []int64{client.ID, alone.ID} {
			res, err := tx.ExecContext(ctx, `INSERT INTO programs (slug, name, prefix, scope, org_id, created_at, updated_at) VALUES (?, ?, ?, '', ?, '2026-01-01', '2026-01-01')`,
				fmt.Sprintf("p%d", org), "P", fmt.Sprintf("P%d", org), org)
			if err != nil {
				return err
			}
			id, _ := res.LastInsertId()
			programs = append(programs, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d.ProgramsChanged()
	var reports []int64
	for i, p := range programs {
		for j := range 2 {
			rc, err := d.CreateReport(ctx, &NewReport{ProgramID: p, Source: SourceWeb, Title: fmt.Sprintf("Report %d.%d", i, j), Description: "d"})
			if err != nil {
				t.Fatal(err)
			}
			reports = append(reports, rc.ReportID)
		}
	}
	var before int64
	err = d.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM outbox`).Scan(&before); err != nil {
			return err
		}
		for i, r := range append(reports, 0) {
			id, err := tx.enqueueMail(ctx, &OutMail{ReportID: r, Kind: "reply", MessageID: fmt.Sprintf("<bulk-%d@example.org>", i), To: "r@example.org", Subject: "s", Body: "b"})
			if err != nil {
				return err
			}
			if i%2 == 0 {
				if _, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'sent' WHERE id = ?`, id); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	snapshot := func() []string {
		t.Helper()
		var out []string
		for _, q := range []string{
			`SELECT 'filed ' || org_id || ' ' || outbox_id || ' ' || status FROM outbox_orgs WHERE outbox_id > ? ORDER BY 1`,
			`SELECT 'count ' || tbl || ' ' || key || ' ' || n FROM row_counts WHERE tbl LIKE 'outbox.org:%' AND n > 0 AND ? IS NOT NULL ORDER BY 1`,
		} {
			rows, err := d.read.QueryContext(ctx, q, before)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				out = append(out, s)
			}
			rows.Close()
		}
		return out
	}
	live := snapshot()
	if len(live) == 0 {
		t.Fatal("enqueueMail filed nothing")
	}
	err = d.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM outbox_orgs WHERE outbox_id > ?`, before); err != nil {
			return err
		}
		return tx.FileReportMail(ctx, before)
	})
	if err != nil {
		t.Fatal(err)
	}
	if bulk := snapshot(); !slices.Equal(bulk, live) {
		t.Fatalf("filed in bulk:\n%v\nfiled by enqueueMail:\n%v", bulk, live)
	}
	// Mail filed already is refused, not counted twice.
	err = d.Update(ctx, func(ctx context.Context, tx *Tx) error { return tx.FileReportMail(ctx, before) })
	if err == nil {
		t.Fatal("mail filed twice")
	}
}
