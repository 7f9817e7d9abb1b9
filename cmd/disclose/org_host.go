package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/disclose/disclose/db"
)

func runOrgHostRemove(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var org, host string
	fs := newFlagSet(env, "org host-remove", "End a host name's mapping to an organisation: the host then serves the default organisation's pages.")
	fs.StringVar(&org, "org", "", "slug of the organisation (required)")
	fs.StringVar(&host, "host", "", "the host name (required)")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	if org == "" || host == "" {
		return errors.New("--org and --host are required")
	}
	o, err := d.OrgBySlug(ctx, org)
	if db.ErrorCode(err) == db.ENOTFOUND {
		return fmt.Errorf("--org %q: no such organisation", org)
	} else if err != nil {
		return err
	}
	if err := d.RemoveOrgHost(ctx, o.ID, host, cliActor); db.ErrorCode(err) == db.ENOTFOUND {
		return fmt.Errorf("--host %q: not a host name of %s", host, org)
	} else if err != nil {
		return err
	}
	h, _ := db.NormalizeHost(host)
	fmt.Fprintf(env.stdout, "Removed host %s from %s: it now serves the default organisation.\n", h, org)
	return nil
}
