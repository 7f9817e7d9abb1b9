// Package demo fills a database with realistic demo data: reports across
// three programs in every state and severity, with their timelines, staff
// and assignees, attachments, the audit trail, the mail the portal sent
// about them (outbox, sent or waiting) and the raw mail of reports that came
// by mail. A new operator runs it (disclose demo) to see a populated
// dashboard; the benchmarks and the 1,000,000-report load run use it.
//
// It writes in batches through db.Update with plain SQL on the transaction,
// the schema as the migrations define it, and uses the db package's
// primitives where rows have rules of their own: Tx.Audit (the hash chain),
// Tx.AddAttachment (chunked bytes), DB.ProgramsChanged (the cached program
// list). Demo data is written in clear: never into a sealed database.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/disclose/disclose/db"
)

// Options says how much demo data to make.
type Options struct {
	Reports int
	Seed    uint64
	// LongEvery gives every LongEvery-th report a 200-entry timeline (the
	// report page benchmark opens one); 0 means every 5000th.
	LongEvery int
	// Progress, when set, is called after each committed batch.
	Progress func(done, total int)
	// Stage, when set, is told of the steps after the last batch.
	Stage func(what string)
	// RowByRow writes with every index live even into a database without
	// reports (bulk.go), as into one that has some: tests compare the two.
	RowByRow bool
}

// Result names what the generator made.
type Result struct {
	Reports int
	// LongRefs are references of reports with a 200-entry timeline.
	LongRefs []string
	// GenerateCPU is the CPU time the generator's thread used (0 where
	// the system does not say); WriteTime is the time the writer spent
	// storing batches, WaitTime the time it waited for the generator.
	GenerateCPU, WriteTime, WaitTime time.Duration
}

// batch is how many reports share one transaction: large enough that
// commits cost little, small enough that readers are never held for long.
const batch = 5000

// demoProgram is a program the generator files reports under.
type demoProgram struct {
	id       int64
	prefix   string
	next     int64
	triagers []int64
	recent   []int64 // ids of recent reports, for duplicates
}

// closedStates are the states a report is closed in, besides disclosed.
var closedStates = []db.State{db.StateDuplicate, db.StateInformative, db.StateNotApplicable, db.StateOutOfScope, db.StateSpam, db.StateWontFix}

// Generate fills the database. The audit log gets the reports' own rows
// and one saying that demo data was generated; ANALYZE runs at the end.
func Generate(ctx context.Context, d *db.DB, opt Options) (*Result, error) {
	if opt.Reports <= 0 {
		return nil, db.Errorf(db.EINVALID, "Give a number of reports above zero.")
	}
	if opt.LongEvery <= 0 {
		opt.LongEvery = 5000
	}
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15))
	programs, err := setup(ctx, d)
	if err != nil {
		return nil, err
	}
	now := d.Now().UTC()
	g := &demoGen{rng: rng, now: now, start: now.Add(-730 * 24 * time.Hour), total: opt.Reports, programs: programs, longEvery: opt.LongEvery}
	res := &Result{Reports: opt.Reports}
	restore, err := bigCache(ctx, d)
	if err != nil {
		return nil, err
	}
	defer restore()
	var bulk *bulkSchema
	if !opt.RowByRow {
		if bulk, err = startBulk(ctx, d); err != nil {
			return nil, err
		}
	}
	stage := func(string) {}
	if opt.Stage != nil {
		stage = opt.Stage
	}
	defer func() {
		if bulk != nil { // a failure below: the schema goes back as it was
			_ = finishBulk(context.WithoutCancel(ctx), d, bulk, func(string) {})
		}
	}()
	if err := g.pipeline(ctx, d, opt, res); err != nil {
		return nil, err
	}
	if err := finishBulk(ctx, d, bulk, stage); err != nil {
		return nil, err
	}
	bulk = nil
	stage("statistics for the query planner (ANALYZE)")
	err = d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := tx.Audit(ctx, db.ActorSystem, "demo.generate", "", fmt.Sprintf("reports=%d", opt.Reports)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `ANALYZE`); err != nil {
			return fmt.Errorf("demo: analyze: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// setup makes (or finds) the three programs and the demo staff.
func setup(ctx context.Context, d *db.DB) ([]*demoProgram, error) {
	var out []*demoProgram
	err := d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		now := db.FormatTime(tx.Now())
		for _, p := range []struct{ slug, name, prefix, scope string }{
			{"web", "Web platform", "WEB", "www.example.org\napi.example.org\napp.example.org"},
			{"mobile", "Mobile apps", "MOB", "iOS app\nAndroid app\nm.example.org"},
		} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO programs (slug, name, prefix, scope, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT DO NOTHING`, p.slug, p.name, p.prefix, p.scope, now, now); err != nil {
				return fmt.Errorf("demo: create program: %w", err)
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, prefix, next_number FROM programs WHERE is_default = 1 OR slug IN ('web', 'mobile') ORDER BY id LIMIT 3`)
		if err != nil {
			return fmt.Errorf("demo: read programs: %w", err)
		}
		out = nil
		for rows.Next() {
			p := &demoProgram{}
			if err := rows.Scan(&p.id, &p.prefix, &p.next); err != nil {
				rows.Close()
				return fmt.Errorf("demo: scan program: %w", err)
			}
			out = append(out, p)
		}
		rows.Close()
		for i, name := range []string{"alice", "bob", "carol", "dave", "erin", "frank"} {
			email := name + "@demo.invalid"
			role := db.RoleTriager
			if name == "frank" {
				role = db.RoleViewer
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO users (email, name, role, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				email, name+" (demo)", string(role), now); err != nil {
				return fmt.Errorf("demo: create user: %w", err)
			}
			var id int64
			if err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE email = ?`, email).Scan(&id); err != nil {
				return fmt.Errorf("demo: find user: %w", err)
			}
			// Each program gets three of the five triagers; the viewer sees all.
			for j, p := range out {
				if role == db.RoleViewer || (i+j)%5 < 3 {
					if _, err := tx.ExecContext(ctx, `INSERT INTO program_members (program_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, p.id, id); err != nil {
						return fmt.Errorf("demo: add member: %w", err)
					}
					if role == db.RoleTriager {
						p.triagers = append(p.triagers, id)
					}
				}
			}
		}
		return nil
	})
	d.ProgramsChanged()
	if err != nil {
		return nil, err
	}
	return out, nil
}

// demoGen carries the generator's state from batch to batch.
type demoGen struct {
	rng        *rand.Rand
	now, start time.Time
	total      int
	programs   []*demoProgram
	longEvery  int
	cvss       map[string]*db.CVSS
}

type demoMsg struct {
	at         time.Time
	kind       db.Kind
	public     bool
	author     int64
	body       string
	event      string
	from, to   db.State
	attachment bool
}

// batch makes the rows of reports offset to offset+n-1, numbered from
// first on.
func (g *demoGen) batch(first nextIDs, offset, n int) *genBatch {
	b := newGenBatch(first)
	for i := offset; i < offset+n; i++ {
		if ref, long := g.report(b, i); long {
			b.longRefs = append(b.longRefs, ref)
		}
	}
	for _, p := range g.programs {
		b.numbers = append(b.numbers, [2]int64{p.id, p.next})
	}
	return b
}

// writeBatch stores a batch in one transaction.
func writeBatch(ctx context.Context, d *db.DB, b *genBatch) error {
	return d.Update(ctx, func(ctx context.Context, tx *db.Tx) error {
		// The metrics' counters are filled once per batch, not per row.
		return tx.BulkInsertReports(ctx, func() error { return b.write(ctx, tx) })
	})
}

// between returns a time between a and b (b when b is not after a).
func (g *demoGen) between(a, b time.Time) time.Time {
	if !b.After(a) {
		return b
	}
	return a.Add(time.Duration(g.rng.Int64N(int64(b.Sub(a)))))
}

func (g *demoGen) cvssOf(vector string) *db.CVSS {
	if g.cvss == nil {
		g.cvss = map[string]*db.CVSS{}
	}
	if c, ok := g.cvss[vector]; ok {
		return c
	}
	c, _ := db.ParseCVSS(vector)
	g.cvss[vector] = c
	return c
}

func sortDemoMsgs(msgs []demoMsg) {
	sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].at.Before(msgs[j].at) })
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return db.FormatTime(t)
}
