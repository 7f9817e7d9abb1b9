package db_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/demo"
)

// TestScopedSearchLeads: a search within some programs gives the same pages
// whether the full-text query carries the programs (migration 0034) or the
// SQL's program filter alone keeps the scope.
func TestScopedSearchLeads(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	if _, err := demo.Generate(ctx, d, demo.Options{Reports: 1500, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	ps, err := d.Programs(ctx)
	if err != nil || len(ps) != 3 {
		t.Fatalf("programs=%d (%v)", len(ps), err)
	}
	defer db.SetSearchLeadForTest("")
	pages := 0
	for _, search := range []string{"the", "injection", "password reset", "zebrafish", "ssrf OR xss"} {
		for _, visible := range [][]int64{{ps[0].ID}, {ps[1].ID, ps[2].ID}} {
			for _, sort := range []db.QueueSort{db.SortNewest, db.SortOldest} {
				for _, states := range [][]db.State{nil, db.StateGroups["open"], {db.StateTriaged}} {
					for page := 1; page <= 3; page++ {
						f := db.QueueFilter{Search: search, Visible: visible, Sort: sort, States: states, Page: page}
						var got [2][]string
						var next [2]bool
						for i, lead := range []string{"", "index"} {
							db.SetSearchLeadForTest(lead)
							q, err := d.Queue(ctx, f)
							if err != nil {
								t.Fatal(err)
							}
							got[i], next[i] = refs(q), q.HasNext
						}
						if !slices.Equal(got[0], got[1]) || next[0] != next[1] {
							t.Fatalf("%q in %v, %s, %v, page %d: led by the scope %v (next %v), by the index %v (next %v)",
								search, visible, sort, states, page, got[0], next[0], got[1], next[1])
						}
						if len(got[0]) > 0 {
							pages++
						}
					}
				}
			}
		}
	}
	if pages < 40 {
		t.Fatalf("only %d non-empty pages compared", pages)
	}
}

// TestScopedSearchWindow: a client organisation's user searching a common
// word by relevance (or severity) gets their program's matches even when
// every one of them is older than the portal's newest searchWindow matches
// (before, the window was taken over every program and then filtered: an
// empty page). A report moved to another program is found in its new
// program's scope only, and no word a user types reaches another scope.
func TestScopedSearchWindow(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	if _, err := demo.Generate(ctx, d, demo.Options{Reports: 1500, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	p := db.NewProgramDefaults()
	p.Name, p.Slug, p.Prefix = "Client", "client", "CLI"
	p, err := d.SaveProgram(ctx, p, nil, db.ActorSystem)
	if err != nil {
		t.Fatal(err)
	}
	// The 200 oldest reports are the client's.
	if err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE reports SET program_id = ?, number = id WHERE id <= 200`, p.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, sort := range []db.QueueSort{db.SortRelevance, db.SortSeverity} {
		q, err := d.Queue(ctx, db.QueueFilter{Search: "the", Visible: []int64{p.ID}, Sort: sort})
		if err != nil {
			t.Fatal(err)
		}
		if len(q.Rows) != db.QueuePageSize {
			t.Fatalf("search \"the\" by %s in the client's program: %d rows, want %d", sort, len(q.Rows), db.QueuePageSize)
		}
		for _, r := range q.Rows {
			if r.ProgramName != "Client" {
				t.Fatalf("%s: row %s of %s", sort, r.Ref, r.ProgramName)
			}
		}
	}
	// Moved reports are searched in their new program, not their old one.
	ps, err := d.Programs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	old := ps[0].ID
	var movedFrom int64
	q, err := d.Queue(ctx, db.QueueFilter{Search: "the", Visible: []int64{p.ID}, Sort: db.SortOldest})
	if err != nil || len(q.Rows) == 0 {
		t.Fatalf("oldest: %v", err)
	}
	first := q.Rows[0].ID
	if err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT program_id FROM reports WHERE id = 201`).Scan(&movedFrom); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE reports SET program_id = ? WHERE id = ?`, old, first)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if q, err = d.Queue(ctx, db.QueueFilter{Search: "the", Visible: []int64{p.ID}, Sort: db.SortOldest}); err != nil || len(q.Rows) == 0 || q.Rows[0].ID == first {
		t.Fatalf("after the move the client still finds report %d (%v)", first, err)
	}
	if q, err = d.Queue(ctx, db.QueueFilter{Search: "the", Visible: []int64{old}, Sort: db.SortOldest}); err != nil || len(q.Rows) == 0 || q.Rows[0].ID != first {
		t.Fatalf("the program the report moved to does not find it first: %v (%v)", refs(q), err)
	}
	// What a user types is text: not a scope, not a way out of theirs.
	for _, search := range []string{fmt.Sprintf("p%d", old), fmt.Sprintf("scope:p%d", old), fmt.Sprintf(`" OR scope : "p%d`, old),
		fmt.Sprintf(`scope : (p%d OR p%d)`, old, movedFrom)} {
		q, err := d.Queue(ctx, db.QueueFilter{Search: search, Visible: []int64{p.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if len(q.Rows) != 0 {
			t.Fatalf("search %q in the client's program: %v", search, refs(q))
		}
		if q, err = d.Queue(ctx, db.QueueFilter{Search: search}); err != nil || len(q.Rows) != 0 {
			t.Fatalf("search %q by an admin: %v (%v)", search, refs(q), err)
		}
	}
	var check string
	if err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO reports_fts (reports_fts, rank) VALUES ('integrity-check', 1)`)
		check = fmt.Sprint(err)
		return nil
	}); err != nil || check != "<nil>" {
		t.Fatalf("search index integrity after the moves: %s (%v)", check, err)
	}
}

// TestRelevanceTitleFirst: a relevance search with a common word is ranked
// title first and says so: of its newest matches, those with every word in
// the title come first, newest first, then the others newest first; a rare
// word keeps bm25.
func TestRelevanceTitleFirst(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	ps, err := d.Programs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var refsOf []string
	for _, r := range []struct{ title, desc string }{
		{"Gadget crash on login", "nothing else"},     // 0: title
		{"Open redirect", "a gadget in the redirect"}, // 1: body
		{"Login form leaks gadget tokens", "nothing"}, // 2: title
		{"Stored XSS", "gadget gadget gadget gadget"}, // 3: body
		{"Unrelated", "no match here"},                // 4
	} {
		in := validReport(ps[0].ID)
		in.Title, in.Description, in.Attachments = r.title, r.desc, nil
		rc, err := d.CreateReport(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		refsOf = append(refsOf, rc.Ref)
	}
	old := db.SetCommonWordForTest(3)
	defer db.SetCommonWordForTest(old)
	q, err := d.Queue(ctx, db.QueueFilter{Search: "gadget", Sort: db.SortRelevance, Visible: []int64{ps[0].ID}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{refsOf[2], refsOf[0], refsOf[3], refsOf[1]}
	if !q.TitleFirst || !slices.Equal(refs(q), want) {
		t.Fatalf("common word by relevance: %v (title first %v), want %v title first", refs(q), q.TitleFirst, want)
	}
	db.SetCommonWordForTest(100)
	if q, err = d.Queue(ctx, db.QueueFilter{Search: "gadget", Sort: db.SortRelevance}); err != nil || q.TitleFirst || len(q.Rows) != 4 {
		t.Fatalf("rare word by relevance: %v (title first %v, %v)", refs(q), q.TitleFirst, err)
	}
}
