package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/disclose/disclose/db"
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
	orgs, err := d.Orgs(ctx)
	if err != nil {
		return err
	}
	ps, err := d.Programs(ctx)
	if err != nil {
		return err
	}
	slugs := map[int64]string{}
	progs := map[int64][]string{}
	for _, o := range orgs {
		slugs[o.ID] = o.Slug
	}
	for _, p := range ps {
		progs[p.OrgID] = append(progs[p.OrgID], p.Slug)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLUG\tNAME\tPARENT\tHOSTS\tPROGRAMS")
	for _, o := range orgs {
		slug, parent := o.Slug, "-"
		if o.ParentID != 0 {
			slug, parent = "  "+o.Slug, slugs[o.ParentID]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", slug, o.Name, parent, dash(strings.Join(o.Hosts, ",")), dash(strings.Join(progs[o.ID], ",")))
	}
	return tw.Flush()
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
Run "disclose program <subcommand> --help" for the flags.
`, args, map[string]func([]string) error{
		"add": func(args []string) error { return runProgramAdd(ctx, env, args) },
	})
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

// addToOrgs gives an account a role in each organisation named, creating
// the account (no instance role) when it does not exist; token is the
// setup token of a new account.
func addToOrgs(ctx context.Context, d *db.DB, email, name string, role db.Role, orgs []string) (u *db.User, token string, err error) {
	var ids []int64
	for _, slug := range orgs {
		o, err := d.OrgBySlug(ctx, slug)
		if db.ErrorCode(err) == db.ENOTFOUND {
			return nil, "", fmt.Errorf("--org %q: no such organisation", slug)
		} else if err != nil {
			return nil, "", err
		}
		ids = append(ids, o.ID)
	}
	for _, id := range ids {
		_, t, err := d.AddOrgMember(ctx, id, &db.NewUser{Email: email, Name: name}, role, cliActor)
		if err != nil {
			return nil, "", fieldError(err, map[string]string{"email": "email", "name": "name", "role": "role"})
		}
		if t != "" {
			token = t
		}
	}
	u, err = d.UserByEmail(ctx, email)
	return u, token, err
}
