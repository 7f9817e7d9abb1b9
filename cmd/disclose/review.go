package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/disclose/disclose/db"
)

// reviewActor is who the audit log names for the accounts serve disables
// by itself (DISCLOSE_INACTIVE_DISABLE).
var reviewActor = db.Actor{Name: "account review"}

// dayDuration is a duration flag that also takes whole days ("90d"), the
// unit account inactivity is thought in.
type dayDuration time.Duration

func (d *dayDuration) String() string { return time.Duration(*d).String() }

func (d *dayDuration) Set(s string) error {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return fmt.Errorf("%q: use whole days like 90d, or a duration like 2160h", s)
		}
		*d = dayDuration(time.Duration(days) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("%q: use whole days like 90d, or a duration like 2160h", s)
	}
	*d = dayDuration(v)
	return nil
}

// inactiveAfterFlag adds --inactive-after (DISCLOSE_INACTIVE_AFTER), which
// serve and `user review` share.
func inactiveAfterFlag(fs *flag.FlagSet, d *dayDuration) {
	*d = dayDuration(db.DefaultAuthPolicy.InactiveAfter)
	fs.Var(d, "inactive-after", "the account review flags accounts with no sign-in for this long (90d, 2160h; 0: never)")
}

// runUserReview prints the account review and, with --disable, disables the
// accounts it flags.
func runUserReview(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var after dayDuration
	var disable bool
	fs := newFlagSet(env, "user review", "List the staff accounts with their last sign-in, flag the inactive ones and, with --disable, disable them (their sessions end at once).")
	inactiveAfterFlag(fs, &after)
	fs.BoolVar(&disable, "disable", false, "disable the accounts flagged inactive (the last enabled admin is kept)")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	d.Auth.InactiveAfter = time.Duration(after)
	var res *db.ReviewResult
	if disable {
		if res, err = d.DisableInactive(ctx, cliActor); err != nil {
			return err
		}
	}
	list, err := d.ReviewAccounts(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tROLE\t2FA\tLAST LOGIN\tSTATUS")
	flagged := 0
	for _, u := range list {
		status := "active"
		switch {
		case u.Disabled:
			status = "disabled"
		case u.Inactive:
			status, flagged = "INACTIVE since "+u.ActiveAt.UTC().Format("2006-01-02"), flagged+1
		case !u.HasPassword:
			status = "invited"
		}
		twofa, last := "off", "never"
		if u.TOTPEnabled {
			twofa = "on"
		}
		if !u.LastLoginAt.IsZero() {
			last = u.LastLoginAt.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Email, u.Role, twofa, last, status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if res != nil {
		for _, u := range res.Disabled {
			fmt.Fprintf(env.stdout, "Disabled %s (no sign-in since %s).\n", u.Email, u.ActiveAt.UTC().Format("2006-01-02"))
		}
		for _, u := range res.Kept {
			fmt.Fprintf(env.stdout, "Kept %s: the last enabled admin is never disabled by the review.\n", u.Email)
		}
		return nil
	}
	if flagged > 0 {
		fmt.Fprintf(env.stdout, "%d inactive account(s) (no sign-in for more than %s); run with --disable to disable them.\n", flagged, time.Duration(after))
	}
	return nil
}
