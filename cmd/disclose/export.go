package main

import (
	"bufio"
	"context"
	"fmt"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/export"
)

// runExport writes the reports of a queue filter to standard output, with
// every field, the timeline and attachment metadata.
func runExport(ctx context.Context, env *environment, args []string) error {
	var cfg serveConfig
	var format string
	var p db.QueueParams
	fs := newFlagSet(env, "export", "Write the reports of a filter to standard output as JSON or CSV: every field, the whole\ntimeline (internal notes included) and attachment metadata. The export is audited.")
	cfg.coreFlags(fs)
	fs.StringVar(&format, "format", "json", "json or csv")
	fs.StringVar(&p.State, "state", "all", "open, closed, all, or one state (new, triaged, needs_info, resolved, disclosed, duplicate, …)")
	fs.StringVar(&p.Program, "program", "", "only this program (its slug)")
	fs.StringVar(&p.Severity, "severity", "", "critical, high, medium, low, none or unrated")
	fs.StringVar(&p.Source, "source", "", "web or email")
	fs.StringVar(&p.Clock, "clock", "", "due or overdue: reports of an incident whose notification clock is due soon or overdue")
	fs.StringVar(&p.Search, "search", "", "full-text search")
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	if err := cfg.validateCore(); err != nil {
		return err
	}
	if format != "json" && format != "csv" {
		return fmt.Errorf("DISCLOSE_FORMAT (--format): %q must be json or csv", format)
	}
	d, err := db.Open(ctx, cfg.dbPath())
	if err != nil {
		return fmt.Errorf("open database in %s: %w", cfg.Data, err)
	}
	defer d.Close()
	if err := sealLikeDatabase(d, cfg.Data); err != nil { // the export is audited
		return err
	}
	f, err := d.ParseQueueParams(ctx, p, 0)
	if fields := db.ErrorFields(err); fields != nil {
		for _, field := range []string{"state", "program", "severity", "source", "clock"} {
			if msg, ok := fields[field]; ok {
				return fmt.Errorf("--%s: %s", field, msg)
			}
		}
		return fmt.Errorf("filter: %s", db.ErrorMessage(err))
	} else if err != nil {
		return err
	}
	// The operator's export reaches every organisation's incidents, as a
	// site admin's queue does.
	f.Incidents = db.IncidentScope{All: true}
	if f.Sort == db.SortRelevance {
		f.Sort = db.SortOldest
	}
	w := bufio.NewWriterSize(env.stdout, 64<<10)
	n, err := exportTo(ctx, d, f, format, w)
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return d.AuditExport(ctx, db.Actor{Name: "cli"}, format, n, p.String())
}

// exportTo streams the reports of f in format to w.
func exportTo(ctx context.Context, d *db.DB, f db.QueueFilter, format string, w *bufio.Writer) (int, error) {
	if format == "csv" {
		x, err := export.NewCSV(w)
		if err != nil {
			return 0, err
		}
		n, err := d.ExportReports(ctx, f, x.Write)
		if err != nil {
			return n, err
		}
		return n, x.Close()
	}
	x := export.NewJSON(w)
	n, err := d.ExportReports(ctx, f, x.Write)
	if err != nil {
		return n, err
	}
	return n, x.Close()
}
