package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// subcommands runs the subcommand of args named first, or prints usage.
func subcommands(env *environment, name, usage string, args []string, subs map[string]func([]string) error) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	if run, ok := subs[sub]; ok {
		return run(args)
	}
	fmt.Fprint(env.stderr, usage)
	if sub == "" || sub == "help" || sub == "-h" || sub == "--help" {
		return flag.ErrHelp
	}
	return fmt.Errorf("unknown %s subcommand %q", name, sub)
}

// fieldError turns the field errors of a refused change into the flag that
// caused them.
func fieldError(err error, flags map[string]string) error {
	fields := db.ErrorFields(err)
	if fields == nil {
		return err
	}
	for field, flag := range flags {
		if m := fields[field]; m != "" {
			return fmt.Errorf("--%s: %s", flag, m)
		}
	}
	return err
}

func runOrg(ctx context.Context, env *environment, args []string) error {
	return subcommands(env, "org", `Usage:
  disclose org add --slug S --name N [--parent P] [--host H ...] [--contact E] [--languages L]
  disclose org list
  disclose org host-remove --org S --host H
Run "disclose org <subcommand> --help" for the flags.
`, args, map[string]func([]string) error{
		"add":         func(args []string) error { return runOrgAdd(ctx, env, args) },
		"list":        func(args []string) error { return runOrgList(ctx, env, args) },
		"host-remove": func(args []string) error { return runOrgHostRemove(ctx, env, args) },
	})
}

func runOrgAdd(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var in db.NewOrg
	var hosts stringList
	fs := newFlagSet(env, "org add", "Create an organisation; with --parent, a child organisation (a client of an agency, a customer of a reseller). One level of nesting.")
	fs.StringVar(&in.Slug, "slug", "", "short name: lower-case letters, digits and dashes (required)")
	fs.StringVar(&in.Name, "name", "", "name shown on its pages (required)")
	fs.StringVar(&in.ParentSlug, "parent", "", "slug of the parent organisation")
	fs.Var(&hosts, "host", "host name serving its public pages and security.txt (repeat for several)")
	fs.StringVar(&in.ContactEmail, "contact", "", "security contact address of its security.txt")
	fs.StringVar(&in.PreferredLanguages, "languages", "", "Preferred-Languages of its security.txt, like \"en, de\"")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	in.Hosts = hosts
	o, err := d.CreateOrg(ctx, &in, cliActor)
	if err != nil {
		return fieldError(err, map[string]string{"slug": "slug", "name": "name", "parent": "parent", "host": "host", "contact": "contact", "languages": "languages"})
	}
	fmt.Fprintf(env.stdout, "Created organisation %s (%s).\n", o.Slug, o.Name)
	return nil
}

func runOrgList(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	fs := newFlagSet(env, "org list", "List the organisations, each parent followed by its children.")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	dir, err := loadDirectory(ctx, d)
	if err != nil {
		return err
	}
	progs := map[int64][]string{}
	for _, p := range dir.programs {
		progs[p.OrgID] = append(progs[p.OrgID], p.Slug)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLUG\tNAME\tPARENT\tHOSTS\tPROGRAMS")
	for _, o := range dir.orgs {
		slug, parent := o.Slug, "-"
		if o.ParentID != 0 {
			slug, parent = "  "+o.Slug, dir.orgSlug[o.ParentID]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", slug, o.Name, parent, dash(strings.Join(o.Hosts, ",")), dash(strings.Join(progs[o.ID], ",")))
	}
	return tw.Flush()
}

// directory is what the listing commands (org list, user list) print names
// from: every organisation and program, and their slugs by id.
type directory struct {
	orgs        []*db.Organisation
	programs    []*db.Program
	orgSlug     map[int64]string
	programSlug map[int64]string
}

// loadDirectory reads the organisations and programs once for a listing.
func loadDirectory(ctx context.Context, d *db.DB) (*directory, error) {
	orgs, err := d.Orgs(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := d.Programs(ctx)
	if err != nil {
		return nil, err
	}
	dir := &directory{orgs: orgs, programs: ps, orgSlug: map[int64]string{}, programSlug: map[int64]string{}}
	for _, o := range orgs {
		dir.orgSlug[o.ID] = o.Slug
	}
	for _, p := range ps {
		dir.programSlug[p.ID] = p.Slug
	}
	return dir, nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runProgram(ctx context.Context, env *environment, args []string) error {
	return subcommands(env, "program", `Usage:
  disclose program add --org S --slug P --name N --prefix X
  disclose program move --program P --org S
Run "disclose program <subcommand> --help" for the flags.
`, args, map[string]func([]string) error{
		"add":  func(args []string) error { return runProgramAdd(ctx, env, args) },
		"move": func(args []string) error { return runProgramMove(ctx, env, args) },
	})
}

func runProgramMove(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var slug, org string
	fs := newFlagSet(env, "program move", "Give a program, with its reports, to another organisation. References and the prefix stay; the old organisation's people no longer reach it.")
	fs.StringVar(&slug, "program", "", "URL name of the program (required)")
	fs.StringVar(&org, "org", "", "slug of the organisation it goes to (required)")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	p, err := d.ProgramBySlug(ctx, slug)
	if db.ErrorCode(err) == db.ENOTFOUND {
		return fmt.Errorf("--program %q: no such program", slug)
	} else if err != nil {
		return err
	}
	res, err := d.MoveProgram(ctx, p.ID, org, cliActor)
	if err != nil {
		return fieldError(err, map[string]string{"to": "org"})
	}
	fmt.Fprintf(env.stdout, "Moved program %s (%s-n) from %s to %s.\n", p.Slug, p.Prefix, res.From.Slug, res.To.Slug)
	for _, m := range res.Mailboxes {
		fmt.Fprintf(env.stdout, "Mailbox %s feeds it and moved with it: it and its stored password now belong to %s.\n", m, res.To.Slug)
	}
	if res.PausedWebhooks > 0 {
		fmt.Fprintf(env.stdout, "%d webhook(s) of the program were turned off: they post to the old organisation's endpoints.\n", res.PausedWebhooks)
	}
	if res.DirectMembers > 0 {
		fmt.Fprintf(env.stdout, "%d user(s) given this program one by one keep it: see disclose user list.\n", res.DirectMembers)
	}
	return nil
}

func runProgramAdd(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var org string
	p := db.NewProgramDefaults()
	fs := newFlagSet(env, "program add", "Create a program of an organisation. Reference prefixes are unique across the portal.")
	fs.StringVar(&org, "org", "default", "slug of the organisation that owns the program")
	fs.StringVar(&p.Slug, "slug", "", "URL name of the program (required)")
	fs.StringVar(&p.Name, "name", "", "name of the program (required)")
	fs.StringVar(&p.Prefix, "prefix", "", "reference prefix, like ACME in ACME-12 (required)")
	fs.StringVar(&p.Email, "email", "", "address mail for this program is sent to")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	o, err := d.OrgBySlug(ctx, org)
	if db.ErrorCode(err) == db.ENOTFOUND {
		return fmt.Errorf("--org %q: no such organisation", org)
	} else if err != nil {
		return err
	}
	p.OrgID = o.ID
	saved, err := d.SaveProgram(ctx, p, nil, cliActor)
	if err != nil {
		return fieldError(err, map[string]string{"slug": "slug", "name": "name", "prefix": "prefix", "email": "email", "org": "org"})
	}
	fmt.Fprintf(env.stdout, "Created program %s (%s-n) of %s.\n", saved.Slug, saved.Prefix, o.Slug)
	return nil
}

// orgAddition is what addToOrgs did: a new account's setup token, or the
// organisations an existing account was invited to or added to.
type orgAddition struct {
	user    *db.User
	token   string   // a new account's setup link token
	invited []string // organisations whose invitation was mailed
	added   []string // organisations the account is a member of now
}

// addToOrgs gives the account of an address a role in each organisation
// named. A new address gets an account (no instance role) at once and a
// setup token the operator hands over. An account that exists already is
// drawn in only with trust (the operator vouches for it, having seen
// describeAccount); otherwise each organisation's invitation is mailed to
// the address (through the outbox) and its owner accepts it signed in as
// that account, so that whoever else set that account up (an
// organisation's admin could, before invitations) does not join another
// tenant by the operator's hand.
func addToOrgs(ctx context.Context, d *db.DB, notifier *mailin.Notifier, email, name string, role db.Role, orgs []string, trust bool) (*orgAddition, error) {
	var list []*db.Organisation
	for _, slug := range orgs {
		o, err := d.OrgBySlug(ctx, slug)
		if db.ErrorCode(err) == db.ENOTFOUND {
			return nil, fmt.Errorf("--org %q: no such organisation", slug)
		} else if err != nil {
			return nil, err
		}
		list = append(list, o)
	}
	flags := map[string]string{"email": "email", "name": "name", "role": "role"}
	out := &orgAddition{}
	for _, o := range list {
		if out.token != "" {
			// The account this run created is the operator's own doing.
			if err := d.SetOrgMember(ctx, o.ID, out.user.ID, role, cliActor); err != nil {
				return nil, fieldError(err, flags)
			}
			out.added = append(out.added, o.Slug)
			continue
		}
		u, t, err := d.AddOrgMember(ctx, o.ID, &db.NewUser{Email: email, Name: name}, role, trust, cliActor)
		if db.ErrorCode(err) == db.ECONFLICT {
			link := db.InviteLink{}
			if link.Token, err = db.NewResetToken(); err != nil {
				return nil, err
			}
			if link.Mail, err = notifier.InviteMail(email, o.Name, role, link.Token, d.Auth.InviteLifetime); err != nil {
				return nil, err
			}
			if _, err := d.InviteMember(ctx, o.ID, &db.NewUser{Email: email}, role, link, cliActor); err != nil {
				return nil, fieldError(err, flags)
			}
			out.invited = append(out.invited, o.Slug)
			continue
		} else if err != nil {
			return nil, fieldError(err, flags)
		}
		out.added = append(out.added, o.Slug)
		if t != "" {
			out.token, out.user = t, u
		}
	}
	u, err := d.UserByEmail(ctx, email)
	out.user = u
	return out, err
}

// describeAccount tells the operator what an existing account already is:
// who created it and when, its instance role, its organisations and state.
func describeAccount(ctx context.Context, d *db.DB, u *db.User) (string, error) {
	at, by, err := d.AccountOrigin(ctx, u.Email)
	if err != nil {
		return "", err
	}
	orgs, err := d.Orgs(ctx)
	if err != nil {
		return "", err
	}
	slugs := map[int64]string{}
	for _, o := range orgs {
		slugs[o.ID] = o.Slug
	}
	var member []string
	for _, m := range u.Orgs {
		member = append(member, slugs[m.OrgID]+" ("+string(m.Role)+")")
	}
	created := "created at an unknown time"
	if !at.IsZero() {
		created = "created " + at.UTC().Format("2006-01-02 15:04") + " UTC by " + dash(by)
	}
	state := "password set"
	if u.Disabled {
		state = "disabled"
	} else if !u.HasPassword {
		state = "no password yet"
	}
	return fmt.Sprintf("%s has an account already: %s; instance role %s; %s; organisations: %s.", u.Email, created, u.Role, state,
		dash(strings.Join(member, ", "))), nil
}
