package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/disclose/disclose/db"
)

// openCLI parses the shared flags of an operator command and opens the
// existing database (it never creates one: a typo in --data must not start
// an empty portal).
func openCLI(ctx context.Context, env *environment, fs *flag.FlagSet, cfg *serveConfig, args []string) (*db.DB, error) {
	cfg.coreFlags(fs)
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return nil, err
	}
	if err := cfg.validateCore(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(cfg.dbPath()); err != nil {
		return nil, &envError{fmt.Errorf("no database at %s (set --data / DISCLOSE_DATA): %w", cfg.dbPath(), err)}
	}
	d, err := db.Open(ctx, cfg.dbPath())
	if err != nil {
		return nil, openError(cfg.Data, err)
	}
	if err := sealLikeDatabase(d, cfg.Data); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func runPurge(ctx context.Context, env *environment, args []string) error {
	var cfg serveConfig
	fs := newFlagSet(env, "purge", "Apply the retention rules now: delete attachments, anonymise and delete reports as each program's rules say.\n"+
		"Reports on legal hold are never touched. Every disposal is written to the audit log.")
	dryRun := fs.Bool("dry-run", false, "list what would be disposed of, change nothing")
	d, err := openCLI(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	verb := "applying"
	if *dryRun {
		verb = "dry run of"
	}
	fmt.Fprintf(env.stdout, "%s retention rules at %s\n", verb, d.Now().Format(time.RFC3339))
	res, err := d.Purge(ctx, *dryRun, func(dp db.Disposal, done bool, err error) {
		status := "done"
		switch {
		case err != nil:
			status = "FAILED: " + err.Error()
		case *dryRun:
			status = "would"
		case !done:
			status = "skipped (no longer due)"
		}
		fmt.Fprintf(env.stdout, "  %-12s %-18s finished %s (rule: %d days)  %s\n", dp.Ref, dp.Action, dp.FinishedAt.Format(time.DateOnly), dp.Days, status)
	})
	if res != nil {
		fmt.Fprintf(env.stdout, "%d due: %d deleted, %d anonymised, %d with attachments deleted, %d skipped, %d failed\n",
			res.Due, res.Done[db.DisposeDelete], res.Done[db.DisposeAnonymise], res.Done[db.DisposeAttachments], res.Skipped, res.Failed)
		if res.WALKept {
			fmt.Fprintln(env.stdout, "note: the write-ahead log was busy (a reader such as Litestream held it), so older copies of what was disposed of stay in it until its next checkpoint")
		}
	}
	return err
}

func runRetention(ctx context.Context, env *environment, args []string) error {
	sub := "show"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	var cfg serveConfig
	switch sub {
	case "show":
		fs := newFlagSet(env, "retention show", "List the retention rule of every program (0 days: keep forever).")
		d, err := openCLI(ctx, env, fs, &cfg, args)
		if err != nil {
			return err
		}
		defer d.Close()
		return printRules(ctx, env, d)
	case "set":
		fs := newFlagSet(env, "retention set", "Set a program's retention rule. Days count from when a report was closed (or disclosed); 0 keeps forever.")
		program := fs.String("program", "default", "program slug")
		attachments := fs.Int("attachments-days", 0, "delete the attachments of finished reports after this many days")
		anonymise := fs.Int("anonymise-days", 0, "anonymise finished reports after this many days (keeps state, dates, severity, program)")
		spam := fs.Int("spam-days", 0, "delete reports closed as spam after this many days")
		d, err := openCLI(ctx, env, fs, &cfg, args)
		if err != nil {
			return err
		}
		defer d.Close()
		p, err := d.ProgramBySlug(ctx, *program)
		if err != nil {
			return fmt.Errorf("retention set: program %q: %s", *program, db.ErrorMessage(err))
		}
		rule := &db.RetentionRule{ProgramID: p.ID, AttachmentsDays: *attachments, AnonymiseDays: *anonymise, SpamDeleteDays: *spam}
		if err := d.SetRetentionRule(ctx, rule, cliActor); err != nil {
			return fmt.Errorf("retention set: %s", db.ErrorMessage(err))
		}
		return printRules(ctx, env, d)
	case "hold", "release":
		fs := newFlagSet(env, "retention "+sub, "disclose retention hold|release REF: put a report on legal hold (no disposal of any kind) or release it.")
		reason := fs.String("reason", "", "why (recorded in the audit log)")
		d, err := openCLI(ctx, env, fs, &cfg, args)
		if err != nil {
			return err
		}
		defer d.Close()
		if fs.NArg() != 1 {
			return fmt.Errorf("retention %s: name one report, like SEC-12", sub)
		}
		r, err := d.ReportByRef(ctx, fs.Arg(0))
		if err != nil {
			return fmt.Errorf("retention %s: %s", sub, db.ErrorMessage(err))
		}
		if err := d.SetLegalHold(ctx, r.ID, sub == "hold", cliActor, *reason); err != nil {
			return fmt.Errorf("retention %s: %w", sub, err)
		}
		fmt.Fprintf(env.stdout, "%s: legal hold %s\n", r.Ref(), map[bool]string{true: "on", false: "released"}[sub == "hold"])
		return nil
	}
	return errors.New("retention: use show, set, hold or release")
}

func printRules(ctx context.Context, env *environment, d *db.DB) error {
	rules, err := d.RetentionRules(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROGRAM\tATTACHMENTS\tANONYMISE\tSPAM")
	for _, r := range rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ProgramSlug, days(r.AttachmentsDays), days(r.AnonymiseDays), days(r.SpamDeleteDays))
	}
	return tw.Flush()
}

func days(n int) string {
	if n == 0 {
		return "keep"
	}
	return fmt.Sprintf("%d days", n)
}
