package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/disclose/disclose/db"
)

func runSSO(ctx context.Context, env *environment, args []string) error {
	return subcommands(env, "sso", `Usage:
  disclose sso add --name N [--org S] --issuer URL --client-id ID --client-secret-file F --domains a.example,b.example
                   --roles existing|groups:CLAIM=admin:G1,triager:G2,viewer:G3 [--require-2fa]
  disclose sso list
  disclose sso remove ID
  disclose sso secret ID --client-secret-file F
Run "disclose sso <subcommand> --help" for the flags.
`, args, map[string]func([]string) error{
		"add":    func(args []string) error { return runSSOAdd(ctx, env, args) },
		"list":   func(args []string) error { return runSSOList(ctx, env, args) },
		"remove": func(args []string) error { return runSSORemove(ctx, env, args) },
		"secret": func(args []string) error { return runSSOSecret(ctx, env, args) },
	})
}

func runSSOAdd(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var in db.NewSSOProvider
	var org, secretFile, roles string
	fs := newFlagSet(env, "sso add", "Add an OpenID Connect provider staff sign in with. Register the portal at the provider with the redirect URI <base URL>/login/sso/callback.")
	fs.StringVar(&in.Name, "name", "", "name of the sign-in button: \"Sign in with <name>\" (required)")
	fs.StringVar(&org, "org", "", "slug of the organisation it signs in for (default: the whole instance)")
	fs.StringVar(&in.Issuer, "issuer", "", "issuer URL, exactly as in the provider's discovery document (required)")
	fs.StringVar(&in.ClientID, "client-id", "", "client ID the provider gave the portal (required)")
	fs.StringVar(&secretFile, "client-secret-file", "", "file holding the client secret (required; stored encrypted, never shown)")
	fs.StringVar(&in.Domains, "domains", "", "comma-separated email domains it may sign in (required)")
	fs.StringVar(&roles, "roles", "existing", "\"existing\" (existing accounts only) or \"groups:CLAIM=admin:G1,triager:G2\"")
	fs.BoolVar(&in.Require2FA, "require-2fa", false, "also ask for the account's own second factor")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	if secretFile == "" {
		return fmt.Errorf("--client-secret-file: give the file holding the client secret")
	}
	buf, err := os.ReadFile(secretFile)
	if err != nil {
		return fmt.Errorf("--client-secret-file: %w", err)
	}
	in.ClientSecret = strings.TrimSpace(string(buf))
	if org != "" {
		o, err := d.OrgBySlug(ctx, org)
		if err != nil {
			return fmt.Errorf("--org: %w", err)
		}
		in.OrgID = o.ID
	}
	if in.RoleMode, in.GroupsClaim, in.GroupRoles, err = db.ParseSSORoles(roles); err != nil {
		return fieldError(err, map[string]string{"roles": "roles"})
	}
	p, err := d.CreateSSOProvider(ctx, &in, cliActor)
	if err != nil {
		return fieldError(err, map[string]string{"name": "name", "issuer": "issuer", "client_id": "client-id",
			"client_secret": "client-secret-file", "domains": "domains", "roles": "roles"})
	}
	fmt.Fprintf(env.stdout, "Added sign-in provider %d (%s, %s).\n", p.ID, p.Name, p.Issuer)
	return nil
}

func runSSOList(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	fs := newFlagSet(env, "sso list", "List the single sign-on providers (never their client secrets).")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	ps, err := d.SSOProviders(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tFOR\tISSUER\tCLIENT ID\tDOMAINS\tROLES\t2FA")
	for _, p := range ps {
		org, roles := "instance", p.RoleMode
		if p.OrgID != 0 {
			org = p.OrgSlug
		}
		if p.RoleMode == db.SSOGroups {
			var parts []string
			for g, r := range p.GroupRoles {
				parts = append(parts, string(r)+":"+g)
			}
			roles = "groups:" + p.GroupsClaim + "=" + strings.Join(parts, ",")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%t\n", p.ID, p.Name, org, p.Issuer, p.ClientID, strings.Join(p.Domains, ","), roles, p.Require2FA)
	}
	return tw.Flush()
}

func runSSORemove(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	fs := newFlagSet(env, "sso remove", "Remove a sign-in provider (ID from sso list). Accounts stay, with their passwords and second factors.")
	id, err := ssoProviderArg(args, "disclose sso remove ID")
	if err != nil {
		return err
	}
	d, err := openTool(ctx, env, fs, &cfg, args[1:])
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.DeleteSSOProvider(ctx, id, cliActor); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Removed sign-in provider %d.\n", id)
	return nil
}

// ssoProviderArg reads the provider ID that sso remove and sso secret take
// before their flags.
func ssoProviderArg(args []string, usage string) (int64, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return 0, fmt.Errorf("give the provider's ID first: %s (disclose sso list shows them)", usage)
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a provider ID", args[0])
	}
	return id, nil
}

// runSSOSecret enters a provider's client secret again: after secrets
// reset dropped it with the lost local key, or when the provider issued a
// new one.
func runSSOSecret(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var secretFile string
	fs := newFlagSet(env, "sso secret", "Enter a sign-in provider's client secret again (ID from sso list): after disclose secrets reset, or when the provider issued a new one.")
	fs.StringVar(&secretFile, "client-secret-file", "", "file holding the client secret (required; stored encrypted, never shown)")
	id, err := ssoProviderArg(args, "disclose sso secret ID --client-secret-file F")
	if err != nil {
		return err
	}
	d, err := openTool(ctx, env, fs, &cfg, args[1:])
	if err != nil {
		return err
	}
	defer d.Close()
	if secretFile == "" {
		return fmt.Errorf("--client-secret-file: give the file holding the client secret")
	}
	buf, err := os.ReadFile(secretFile)
	if err != nil {
		return fmt.Errorf("--client-secret-file: %w", err)
	}
	if err := d.SetSSOClientSecret(ctx, id, strings.TrimSpace(string(buf)), cliActor); err != nil {
		return fieldError(err, map[string]string{"client_secret": "client-secret-file"})
	}
	fmt.Fprintf(env.stdout, "Entered the client secret of sign-in provider %d.\n", id)
	return nil
}
