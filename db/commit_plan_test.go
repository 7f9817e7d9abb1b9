package db

import (
	"context"
	"strings"
	"testing"
)

// TestIndexPendingLeadsWithList: once ANALYZE has run (disclose demo runs
// it), the statement every commit runs must still read the short list of
// new reports and look each one up, not scan every report.
func TestIndexPendingLeadsWithList(t *testing.T) {
	ctx := context.Background()
	d := openInternal(t)
	p, _ := d.DefaultProgram(ctx)
	for range 50 {
		if _, err := d.CreateReport(ctx, &NewReport{ProgramID: p.ID, Source: SourceWeb, Title: "Overflow", Description: "In the parser."}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.write.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	rows, err := d.write.QueryContext(ctx, `EXPLAIN QUERY PLAN `+indexPending)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if len(plan) == 0 || !strings.HasPrefix(plan[0], "SCAN p") {
		t.Fatalf("plan %q: the list of new reports must lead", plan)
	}
}
