package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin"
)

// toolConfig is what the operator commands that open the database share:
// the core settings and the base URL links are made with.
type toolConfig struct {
	serveConfig
}

func (c *toolConfig) flags(fs *flag.FlagSet) {
	c.coreFlags(fs)
	fs.StringVar(&c.BaseURL, "base-url", "http://127.0.0.1:8080", "public URL of the portal, used in the links printed")
}

func (c *toolConfig) validate() error {
	if err := c.validateCore(); err != nil {
		return err
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("DISCLOSE_BASE_URL (--base-url): %q must be an absolute http:// or https:// URL", c.BaseURL)
	}
	c.baseURL = u
	return nil
}

func (c *toolConfig) link(token string) string {
	return strings.TrimRight(c.baseURL.String(), "/") + "/setup/" + token
}

// openTool parses the flags of an operator command and opens the database.
func openTool(ctx context.Context, env *environment, fs *flag.FlagSet, cfg *toolConfig, args []string) (*db.DB, error) {
	cfg.flags(fs)
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, cfg.dbPath())
	if err != nil {
		return nil, fmt.Errorf("open database in %s: %w", cfg.Data, err)
	}
	if err := sealLikeDatabase(d, cfg.Data); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// cliActor is who the audit log names for operator commands.
var cliActor = db.Actor{Name: "cli"}

// stringList is a repeatable flag (--program a --program b).
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func runUser(ctx context.Context, env *environment, args []string) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "add":
		return runUserAdd(ctx, env, args)
	case "list":
		return runUserList(ctx, env, args)
	case "disable":
		return runUserDisable(ctx, env, args)
	case "reset":
		return runUserReset(ctx, env, args)
	case "review":
		return runUserReview(ctx, env, args)
	}
	fmt.Fprint(env.stderr, `Usage:
  disclose user add --email E --role admin|triager|viewer [--name N] [--program SLUG ...]
  disclose user add --email E --org S --role admin|triager|viewer [--name N] [--trust-existing]
  disclose user list
  disclose user disable --email E
  disclose user reset --email E
  disclose user review [--disable] [--inactive-after 90d]
Run "disclose user <subcommand> --help" for the flags.
`)
	if sub == "" || sub == "help" || sub == "-h" || sub == "--help" {
		return flag.ErrHelp
	}
	return fmt.Errorf("unknown user subcommand %q", sub)
}

func runUserAdd(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var email, name, role string
	var programs stringList
	fs := newFlagSet(env, "user add", "Create a staff account and print a one-time link with which its owner chooses a password.")
	fs.StringVar(&email, "email", "", "email address of the new user (required)")
	fs.StringVar(&name, "name", "", "name of the new user")
	fs.StringVar(&role, "role", "triager", "admin, triager or viewer")
	fs.Var(&programs, "program", "slug of a program the user works on (repeat for several)")
	var orgs stringList
	fs.Var(&orgs, "org", "slug of an organisation: --role is then the role in it (repeat for several; run again to add a role in another); a new address gets an account, an existing account an invitation by mail its owner accepts")
	var trust bool
	fs.BoolVar(&trust, "trust-existing", false, "with --org: give an account that exists already the role at once, without its owner accepting an invitation (check who created it first: the command shows it)")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	if len(orgs) > 0 {
		if len(programs) > 0 {
			return errors.New("--program and --org: give one or the other")
		}
		notifier := &mailin.Notifier{BaseURL: cfg.baseURL, Domain: messageDomain(cfg.baseURL, nil), ReplyAddress: cfg.SecurityEmail}
		res, err := addToOrgs(ctx, d, notifier, email, name, db.Role(role), orgs, trust)
		if err != nil {
			return err
		}
		if res.token != "" {
			fmt.Fprintf(env.stdout, "Created %s, %s of %s. This one-time link sets the account's password: whoever opens it first owns the account, so give it to %s alone (valid for %s):\n\n  %s\n",
				res.user.Email, role, strings.Join(res.added, ", "), res.user.Email, d.Auth.InviteLifetime, cfg.link(res.token))
			return nil
		}
		about, err := describeAccount(ctx, d, res.user)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, about)
		if len(res.added) > 0 {
			fmt.Fprintf(env.stdout, "%s is now %s of %s (--trust-existing).\n", res.user.Email, role, strings.Join(res.added, ", "))
		}
		if len(res.invited) > 0 {
			fmt.Fprintf(env.stdout, "Mailed %s an invitation to join %s as %s (through the outbox; valid for %s): they become a member once they accept it, signed in as this account.\n"+
				"To give the role at once instead, run again with --trust-existing.\n", res.user.Email, strings.Join(res.invited, ", "), role, d.Auth.InviteLifetime)
		}
		return nil
	}
	in := &db.NewUser{Email: email, Name: name, Role: db.Role(role)}
	for _, slug := range programs {
		p, err := d.ProgramBySlug(ctx, slug)
		if err != nil {
			return fmt.Errorf("--program %q: no such program", slug)
		}
		in.ProgramIDs = append(in.ProgramIDs, p.ID)
	}
	u, token, err := d.InviteUser(ctx, in, cliActor)
	if fields := db.ErrorFields(err); fields != nil {
		for _, f := range []string{"email", "name", "role"} {
			if m := fields[f]; m != "" {
				return fmt.Errorf("--%s: %s", f, m)
			}
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Created %s (%s). This one-time link sets the account's password: whoever opens it first owns the account, so give it to %s alone (valid for %s):\n\n  %s\n",
		u.Email, u.Role, u.Email, d.Auth.InviteLifetime, cfg.link(token))
	return nil
}

func runUserList(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	fs := newFlagSet(env, "user list", "List the staff accounts.")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	users, err := d.Users(ctx)
	if err != nil {
		return err
	}
	dir, err := loadDirectory(ctx, d)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tNAME\tROLE\tSTATUS\t2FA\tLAST LOGIN\tPROGRAMS\tORGANISATIONS")
	for _, u := range users {
		status := "active"
		if u.Disabled {
			status = "disabled"
		} else if !u.HasPassword {
			status = "invited"
		}
		twofa := "off"
		if u.TOTPEnabled {
			twofa = "on"
		}
		last := "never"
		if !u.LastLoginAt.IsZero() {
			last = u.LastLoginAt.UTC().Format("2006-01-02 15:04")
		}
		var progs []string
		for _, id := range u.ProgramIDs {
			progs = append(progs, dir.programSlug[id])
		}
		if u.Role == db.RoleAdmin {
			progs = []string{"(all)"}
		}
		var member []string
		for _, m := range u.Orgs {
			member = append(member, dir.orgSlug[m.OrgID]+":"+string(m.Role))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Email, u.Name, u.Role, status, twofa, last, strings.Join(progs, ","), dash(strings.Join(member, ",")))
	}
	return tw.Flush()
}

func userByEmailFlag(ctx context.Context, d *db.DB, email string) (*db.User, error) {
	if email == "" {
		return nil, errors.New("--email is required")
	}
	u, err := d.UserByEmail(ctx, email)
	if db.ErrorCode(err) == db.ENOTFOUND {
		return nil, fmt.Errorf("--email: no account for %q", email)
	}
	return u, err
}

// openAccount is the start of the subcommands that act on one account named
// by --email: it parses the flags, opens the database and finds the user.
// On error the database is closed again; otherwise the caller closes it.
func openAccount(ctx context.Context, env *environment, cfg *toolConfig, name, usage string, args []string) (*db.DB, *db.User, error) {
	var email string
	fs := newFlagSet(env, name, usage)
	fs.StringVar(&email, "email", "", "email address of the account (required)")
	d, err := openTool(ctx, env, fs, cfg, args)
	if err != nil {
		return nil, nil, err
	}
	u, err := userByEmailFlag(ctx, d, email)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, u, nil
}

func runUserDisable(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	d, u, err := openAccount(ctx, env, &cfg, "user disable", "Disable a staff account: its sessions end and its links stop working.", args)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.SetUserDisabled(ctx, u.ID, true, cliActor); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Disabled %s.\n", u.Email)
	return nil
}

func runUserReset(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	d, u, err := openAccount(ctx, env, &cfg, "user reset", "Print a one-time password reset link for a staff account.", args)
	if err != nil {
		return err
	}
	defer d.Close()
	token, err := d.ResetLink(ctx, u.ID, cliActor)
	if err != nil {
		return errors.New(db.ErrorMessage(err))
	}
	life := d.Auth.SetupLinkLifetime
	if !u.HasPassword {
		life = d.Auth.InviteLifetime // still invited: the link sets the first password
	}
	fmt.Fprintf(env.stdout, "Password link for %s (one use, valid for %s). Whoever opens it can sign in as this account: give it to %s alone.\n\n  %s\n",
		u.Email, life, u.Email, cfg.link(token))
	return nil
}

func runAudit(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprint(env.stderr, "Usage:\n  disclose audit verify   check the hash chain of the audit log\n")
		if len(args) == 0 || args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
			return flag.ErrHelp
		}
		return fmt.Errorf("unknown audit subcommand %q", args[0])
	}
	var cfg toolConfig
	fs := newFlagSet(env, "audit verify", "Check the hash chain of the audit log; exit 1 and name the first broken row when it does not hold.")
	d, err := openTool(ctx, env, fs, &cfg, args[1:])
	if err != nil {
		return err
	}
	defer d.Close()
	n, err := d.CountAudit(ctx)
	if err != nil {
		return err
	}
	bad, err := d.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if bad != 0 {
		return fmt.Errorf("audit log broken: row %d does not match the chain (of %d rows); rows from %d on cannot be trusted", bad, n, bad)
	}
	fmt.Fprintf(env.stdout, "OK: %d audit rows, chain intact\n", n)
	return nil
}
