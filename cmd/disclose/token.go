package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/disclose/disclose/db"
)

// runToken manages personal access tokens of the JSON API from the
// command line (the dashboard has the same under Account → API tokens).
func runToken(ctx context.Context, env *environment, args []string) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "add":
		return runTokenAdd(ctx, env, args)
	case "list":
		return runTokenList(ctx, env, args)
	case "revoke":
		return runTokenRevoke(ctx, env, args)
	}
	fmt.Fprint(env.stderr, `Usage:
  disclose token add --email E --name N --scope read|write|admin [--org S] [--expires 90d]
  disclose token list [--email E]
  disclose token revoke ID
Run "disclose token <subcommand> --help" for the flags.
`)
	if sub == "" || sub == "help" || sub == "-h" || sub == "--help" {
		return flag.ErrHelp
	}
	return fmt.Errorf("unknown token subcommand %q", sub)
}

func runTokenAdd(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var email, name, scope, org string
	var expires dayDuration
	fs := newFlagSet(env, "token add", "Create a personal access token of the JSON API for a user and print it once.")
	fs.StringVar(&email, "email", "", "the user the token acts as (required)")
	fs.StringVar(&name, "name", "", "what the token is for, as lists show it (required)")
	fs.StringVar(&scope, "scope", "read", "read, write or admin: the most the token may do (never more than the user may)")
	fs.StringVar(&org, "org", "", "slug of an organisation: the token reaches only its programs and its children's")
	fs.Var(&expires, "expires", "how long the token works (90d, 720h; 0: until revoked)")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	if email == "" {
		return errors.New("--email: give the address of the user the token acts as")
	}
	u, err := d.UserByEmail(ctx, email)
	if db.ErrorCode(err) == db.ENOTFOUND {
		return fmt.Errorf("--email %q: no such user", email)
	} else if err != nil {
		return err
	}
	t, secret, err := d.CreateAPIToken(ctx, u.ID, db.NewAPIToken{Name: name, Scope: db.APIScope(scope), OrgSlug: org, Expires: time.Duration(expires)}, cliActor)
	if fields := db.ErrorFields(err); fields != nil {
		for _, f := range []string{"name", "scope", "org", "expires"} {
			if m := fields[f]; m != "" {
				return fmt.Errorf("--%s: %s", f, m)
			}
		}
	}
	if err != nil {
		return err
	}
	until := "until revoked"
	if !t.ExpiresAt.IsZero() {
		until = "until " + t.ExpiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(env.stdout, "Token %d for %s (%s, scope %s), valid %s. It is shown only now; keep it in a secret store:\n\n  %s\n",
		t.ID, u.Email, t.Name, t.Scope, until, secret)
	return nil
}

func runTokenList(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var email string
	fs := newFlagSet(env, "token list", "List the personal access tokens (never the tokens themselves).")
	fs.StringVar(&email, "email", "", "only this user's tokens")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	var userID int64
	if email != "" {
		u, err := d.UserByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("--email %q: no such user", email)
		}
		userID = u.ID
	}
	tokens, err := d.APITokens(ctx, userID)
	if err != nil {
		return err
	}
	when := func(t time.Time, zero string) string {
		if t.IsZero() {
			return zero
		}
		return t.UTC().Format("2006-01-02 15:04")
	}
	now := d.Now()
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tNAME\tSCOPE\tORGANISATION\tCREATED\tEXPIRES\tLAST USED\tFROM")
	for _, t := range tokens {
		expires := when(t.ExpiresAt, "never")
		if t.Expired(now) {
			expires += " (expired)"
		}
		org := t.OrgSlug
		if org == "" {
			org = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.UserEmail, t.Name, t.Scope, org, when(t.CreatedAt, "-"), expires,
			when(t.LastUsedAt, "never"), t.LastUsedAddr)
	}
	return tw.Flush()
}

func runTokenRevoke(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	fs := newFlagSet(env, "token revoke", "Revoke a personal access token at once (its ID is in `disclose token list`).")
	cfg.flags(fs)
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		args = append(args[1:], args[0]) // the ID first, flags after it
	}
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("give the ID of one token (disclose token list shows them)")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%q is not a token ID", fs.Arg(0))
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	d, err := db.Open(ctx, cfg.dbPath())
	if err != nil {
		return fmt.Errorf("open database in %s: %w", cfg.Data, err)
	}
	defer d.Close()
	if err := sealLikeDatabase(d, cfg.Data); err != nil {
		return err
	}
	if err := d.RevokeAPIToken(ctx, id, 0, cliActor); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Token %d is revoked.\n", id)
	return nil
}
