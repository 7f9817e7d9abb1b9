package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"
)

// DemoOptions says how much demo data to make.
type DemoOptions struct {
	Reports int
	Seed    uint64
	// LongEvery gives every LongEvery-th report a 200-entry timeline (the
	// report page benchmark opens one); 0 means every 5000th.
	LongEvery int
	// Progress, when set, is called after each committed batch.
	Progress func(done, total int)
}

// DemoResult names what the generator made.
type DemoResult struct {
	Reports int
	// LongRefs are references of reports with a 200-entry timeline.
	LongRefs []string
}

// demoBatch is how many reports share one transaction: large enough that
// commits cost little, small enough that readers are never held for long.
const demoBatch = 5000

// demoProgram is a program the generator files reports under.
type demoProgram struct {
	id       int64
	prefix   string
	next     int64
	triagers []int64
	recent   []int64 // ids of recent reports, for duplicates
}

// GenerateDemo fills the database with realistic reports across three
// programs, every state and severity, with timelines, assignees and a few
// attachments. It is what a new operator runs to see a populated dashboard
// and what the benchmarks use. Rows are written directly in batches; the
// audit log gets one row saying that demo data was generated.
func (db *DB) GenerateDemo(ctx context.Context, opt DemoOptions) (*DemoResult, error) {
	if opt.Reports <= 0 {
		return nil, Errorf(EINVALID, "Give a number of reports above zero.")
	}
	if opt.LongEvery <= 0 {
		opt.LongEvery = 5000
	}
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15))
	programs, err := db.demoSetup(ctx)
	if err != nil {
		return nil, err
	}
	now := db.Now().UTC()
	g := &demoGen{rng: rng, now: now, start: now.Add(-730 * 24 * time.Hour), total: opt.Reports, programs: programs, longEvery: opt.LongEvery}
	res := &DemoResult{Reports: opt.Reports}
	for done := 0; done < opt.Reports; {
		n := min(demoBatch, opt.Reports-done)
		refs, err := db.demoBatch(ctx, g, done, n)
		if err != nil {
			return nil, err
		}
		res.LongRefs = append(res.LongRefs, refs...)
		done += n
		if opt.Progress != nil {
			opt.Progress(done, opt.Reports)
		}
	}
	var out *DemoResult
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		if err := tx.audit(ctx, ActorSystem, "demo.generate", "", fmt.Sprintf("reports=%d", opt.Reports)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `ANALYZE`); err != nil {
			return fmt.Errorf("db: analyze: %w", err)
		}
		out = res
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// demoSetup makes (or finds) the three programs and the demo staff.
func (db *DB) demoSetup(ctx context.Context) ([]*demoProgram, error) {
	var out []*demoProgram
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		now := formatTime(tx.now)
		for _, p := range []struct{ slug, name, prefix, scope string }{
			{"web", "Web platform", "WEB", "www.example.org\napi.example.org\napp.example.org"},
			{"mobile", "Mobile apps", "MOB", "iOS app\nAndroid app\nm.example.org"},
		} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO programs (slug, name, prefix, scope, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT DO NOTHING`, p.slug, p.name, p.prefix, p.scope, now, now); err != nil {
				return fmt.Errorf("db: create demo program: %w", err)
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, prefix, next_number FROM programs WHERE is_default = 1 OR slug IN ('web', 'mobile') ORDER BY id LIMIT 3`)
		if err != nil {
			return fmt.Errorf("db: read demo programs: %w", err)
		}
		out = nil
		for rows.Next() {
			p := &demoProgram{}
			if err := rows.Scan(&p.id, &p.prefix, &p.next); err != nil {
				rows.Close()
				return fmt.Errorf("db: scan demo program: %w", err)
			}
			out = append(out, p)
		}
		rows.Close()
		for i, name := range []string{"alice", "bob", "carol", "dave", "erin", "frank"} {
			email := name + "@demo.invalid"
			role := RoleTriager
			if name == "frank" {
				role = RoleViewer
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO users (email, name, role, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				email, name+" (demo)", string(role), now); err != nil {
				return fmt.Errorf("db: create demo user: %w", err)
			}
			var id int64
			if err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE email = ?`, email).Scan(&id); err != nil {
				return fmt.Errorf("db: find demo user: %w", err)
			}
			// Each program gets three of the five triagers; the viewer sees all.
			for j, p := range out {
				if role == RoleViewer || (i+j)%5 < 3 {
					if _, err := tx.ExecContext(ctx, `INSERT INTO program_members (program_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, p.id, id); err != nil {
						return fmt.Errorf("db: add demo member: %w", err)
					}
					if role == RoleTriager {
						p.triagers = append(p.triagers, id)
					}
				}
			}
		}
		return nil
	})
	db.programsChanged()
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
	cvss       map[string]*CVSS
}

type demoMsg struct {
	at         time.Time
	kind       Kind
	public     bool
	author     int64
	body       string
	event      string
	from, to   State
	attachment bool
}

func (db *DB) demoBatch(ctx context.Context, g *demoGen, offset, n int) ([]string, error) {
	var out []string
	err := db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		insReporter, err := tx.PrepareContext(ctx, `INSERT INTO reporters (name, email, credit, created_at) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("db: prepare demo: %w", err)
		}
		defer insReporter.Close()
		insReport, err := tx.PrepareContext(ctx, `INSERT INTO reports (program_id, number, reporter_id, source, state, prev_state, title, asset, cwe,
			description, steps, impact, cvss_vector, cvss_score, severity, cve_id, assignee_id, duplicate_of, close_reason, disclosure_at, disclosure_tz,
			credit, version, created_at, updated_at, first_response_at, triaged_at, resolved_at, closed_at, paused_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("db: prepare demo: %w", err)
		}
		defer insReport.Close()
		insMsg, err := tx.PrepareContext(ctx, `INSERT INTO messages (report_id, kind, public, author_id, source, body, event, from_state, to_state, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("db: prepare demo: %w", err)
		}
		defer insMsg.Close()
		// go-sqlite3 watches a cancellable context with a goroutine per
		// statement; the batch checks for cancellation once per report instead.
		sctx := context.WithoutCancel(ctx)
		var longRefs []string
		for i := offset; i < offset+n; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			ref, long, err := g.report(sctx, tx, insReporter, insReport, insMsg, i)
			if err != nil {
				return err
			}
			if long {
				longRefs = append(longRefs, ref)
			}
		}
		for _, p := range g.programs {
			if _, err := tx.ExecContext(ctx, `UPDATE programs SET next_number = ? WHERE id = ?`, p.next, p.id); err != nil {
				return fmt.Errorf("db: update demo numbering: %w", err)
			}
		}
		out = longRefs
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// between returns a time between a and b (b when b is not after a).
func (g *demoGen) between(a, b time.Time) time.Time {
	if !b.After(a) {
		return b
	}
	return a.Add(time.Duration(g.rng.Int64N(int64(b.Sub(a)))))
}

func (g *demoGen) cvssOf(vector string) *CVSS {
	if g.cvss == nil {
		g.cvss = map[string]*CVSS{}
	}
	if c, ok := g.cvss[vector]; ok {
		return c
	}
	c, _ := ParseCVSS(vector)
	g.cvss[vector] = c
	return c
}

func sortDemoMsgs(msgs []demoMsg) {
	sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].at.Before(msgs[j].at) })
}

func nullTime(t time.Time) any { return formatNullTime(t) }

var errDemo = errors.New("db: demo")

func (g *demoGen) insertReport(ctx context.Context, insReport *sql.Stmt, args ...any) (int64, error) {
	res, err := insReport.ExecContext(ctx, args...)
	if err != nil {
		return 0, fmt.Errorf("%w: insert report: %v", errDemo, err)
	}
	return res.LastInsertId()
}

// LongTimelineRef returns the reference of a report with at least n
// timeline entries (the demo makes some); benchmarks and load runs open it.
func (db *DB) LongTimelineRef(ctx context.Context, n int) (string, error) {
	var ref string
	err := db.read.QueryRowContext(ctx, `SELECT p.prefix || '-' || r.number FROM reports r JOIN programs p ON p.id = r.program_id
		WHERE r.state = 'triaged' AND (SELECT COUNT(*) FROM messages m WHERE m.report_id = r.id) >= ? LIMIT 1`, n).Scan(&ref)
	if errors.Is(err, sql.ErrNoRows) {
		return "", Errorf(ENOTFOUND, "No report has %s; run disclose demo first.", count(n, "timeline entry", "timeline entries"))
	} else if err != nil {
		return "", fmt.Errorf("db: find long timeline: %w", err)
	}
	return ref, nil
}
