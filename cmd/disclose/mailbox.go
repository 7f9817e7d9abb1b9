package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

func runMailbox(ctx context.Context, env *environment, args []string) error {
	return subcommands(env, "mailbox", `Usage:
  disclose mailbox add --org S --program P --imap-addr HOST:PORT --imap-tls tls|starttls|none
      --imap-user U --imap-password-file F [--mailbox INBOX] [--processed Processed]
      [--subject-contains TEXT] [--to ADDR]
  disclose mailbox list
  disclose mailbox edit --id N [--program P] [--imap-addr HOST:PORT] [--imap-tls tls|starttls|none]
      [--imap-user U] [--imap-password-file F] [--mailbox M] [--processed P] [--subject-contains TEXT] [--to ADDR]
  disclose mailbox remove --id N
Run "disclose mailbox <subcommand> --help" for the flags.
`, args, map[string]func([]string) error{
		"add":    func(args []string) error { return runMailboxAdd(ctx, env, args) },
		"list":   func(args []string) error { return runMailboxList(ctx, env, args) },
		"edit":   func(args []string) error { return runMailboxEdit(ctx, env, args) },
		"remove": func(args []string) error { return runMailboxRemove(ctx, env, args) },
	})
}

func runMailboxAdd(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var org, program, passwordFile string
	var in db.NewMailbox
	fs := newFlagSet(env, "mailbox add", "Add an intake mailbox of an organisation; serve and mailin read it beside the others.\n"+
		"With --subject-contains and/or --to, only the matching mail of a shared mailbox is taken; the rest stays untouched.\n"+
		"The password is stored sealed with the local key and never shown.")
	fs.StringVar(&org, "org", "", "slug of the organisation (required)")
	own := mailboxFlags(fs, &in, &program, &passwordFile)
	d, err := openTool(ctx, env.only(func(name string) bool { return !own[name] }), fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	if org == "" || program == "" || passwordFile == "" {
		return errors.New("--org, --program and --imap-password-file are required")
	}
	o, err := d.OrgBySlug(ctx, org)
	if db.ErrorCode(err) == db.ENOTFOUND {
		return fmt.Errorf("--org %q: no such organisation", org)
	} else if err != nil {
		return err
	}
	p, err := d.ProgramBySlug(ctx, program)
	if db.ErrorCode(err) == db.ENOTFOUND || (err == nil && p.OrgID != o.ID) {
		return fmt.Errorf("--program %q: no such program of %s", program, org)
	} else if err != nil {
		return err
	}
	buf, err := os.ReadFile(passwordFile)
	if err != nil {
		return fmt.Errorf("--imap-password-file: %w", err)
	}
	in.Password, in.OrgID, in.ProgramID = strings.TrimRight(string(buf), "\r\n"), o.ID, p.ID
	m, err := d.CreateMailbox(ctx, &in, cliActor)
	if err != nil {
		return fieldError(err, map[string]string{"imap_addr": "imap-addr", "imap_tls": "imap-tls", "imap_user": "imap-user",
			"imap_password": "imap-password-file", "processed": "processed", "filter": "subject-contains", "program": "program"})
	}
	fmt.Fprintf(env.stdout, "Added mailbox %d: %s@%s %s of %s (program %s). serve and mailin read it from their next look (within %s).\n",
		m.ID, m.User, m.Addr, m.Name, o.Slug, p.Slug, mailboxReload)
	return nil
}

func runMailboxList(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	fs := newFlagSet(env, "mailbox list", "List the intake mailboxes of the organisations with their health (never their passwords).\nThe environment's mailbox (DISCLOSE_IMAP_*) is the default organisation's and is not listed.")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	boxes, err := d.Mailboxes(ctx, nil)
	if err != nil {
		return err
	}
	orgs, err := d.Orgs(ctx)
	if err != nil {
		return err
	}
	slugs := map[int64]string{}
	for _, o := range orgs {
		slugs[o.ID] = o.Slug
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tORG\tSERVER\tUSER\tMAILBOX\tFILTER\tLAST POLL\tBACKLOG\tLAST ERROR")
	for _, m := range boxes {
		var filter []string
		if m.SubjectContains != "" {
			filter = append(filter, fmt.Sprintf("subject~%q", m.SubjectContains))
		}
		if m.To != "" {
			filter = append(filter, "to~"+m.To)
		}
		last := "never"
		if !m.LastPollAt.IsZero() {
			last = m.LastPollAt.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", m.ID, slugs[m.OrgID], m.Addr, m.User, m.Name,
			dash(strings.Join(filter, " ")), last, m.Backlog, dash(m.LastError))
	}
	return tw.Flush()
}

// configuredIntakes builds an intake for every mailbox configured in the
// database (mailin.Configured).
func configuredIntakes(ctx context.Context, d *db.DB, base mailin.Config, log *slog.Logger, p *mailin.PGP) ([]*mailin.Intake, error) {
	return mailin.Configured(ctx, d, base, log, p)
}

// only is env with the variables keep refuses hidden.
func (e *environment) only(keep func(name string) bool) *environment {
	c, get := *e, e.getenv
	c.getenv = func(name string) string {
		if !keep(name) {
			return ""
		}
		return get(name)
	}
	return &c
}

// mailboxFlags declares the flags that describe a mailbox (mailbox add and
// edit; edit changes only the ones given) and returns the names of their
// environment variables, which must not fill them: the DISCLOSE_IMAP_*
// variables of serve describe the environment's mailbox, not this one.
func mailboxFlags(fs *flag.FlagSet, in *db.NewMailbox, program, passwordFile *string) (own map[string]bool) {
	fs.StringVar(program, "program", "", "slug of its organisation's program new reports go to (required to add)")
	fs.StringVar(&in.Addr, "imap-addr", "", "IMAP server, host:port (required to add)")
	fs.StringVar(&in.TLS, "imap-tls", "tls", "tls (port 993), starttls (port 143) or none (loopback only)")
	fs.StringVar(&in.User, "imap-user", "", "IMAP user name (required to add)")
	fs.StringVar(passwordFile, "imap-password-file", "", "file holding the IMAP password (required to add; to edit, required when the server, TLS or user changes)")
	fs.StringVar(&in.Name, "mailbox", "INBOX", "mailbox to read")
	fs.StringVar(&in.Processed, "processed", "Processed", "mailbox taken messages are moved to (created if missing)")
	fs.StringVar(&in.SubjectContains, "subject-contains", "", "take only mail whose subject contains this text, like \"Security Concern\" (\"\" for every mail)")
	fs.StringVar(&in.To, "to", "", "take only mail whose To or Cc contains this address (\"\" for every mail)")
	own = map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { own[envName(f.Name)] = true })
	return own
}
