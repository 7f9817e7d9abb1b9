package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/disclose/disclose/db"
)

func runSecrets(ctx context.Context, env *environment, args []string) error {
	if len(args) > 0 && args[0] == "reset" {
		return runSecretsReset(ctx, env, args[1:])
	}
	fmt.Fprint(env.stderr, `Usage:
  disclose secrets reset    the local key file is lost: make a new one and drop what the old one sealed
Run "disclose secrets reset --help" for the flags.
`)
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		return flag.ErrHelp
	}
	return fmt.Errorf("unknown secrets subcommand %q", args[0])
}

// runSecretsReset is the way out for an operator who lost local.key: the
// portal refuses to start without it, and this is the one explicit, audited
// way to start again without the secrets it sealed.
func runSecretsReset(ctx context.Context, env *environment, args []string) error {
	var cfg serveConfig
	fs := newFlagSet(env, "secrets reset", "The local key file ("+db.LocalKeyFile+") is lost for good: make a new one and drop the secrets only the old one\n"+
		"could open. Two-factor sign-in is turned off for every account (each sets it up again); every webhook\n"+
		"gets a new secret and is switched off until an admin enters its URL again; each sign-in provider's client secret\n"+
		"and each intake mailbox's IMAP password is dropped, to be entered again. Recorded in the audit log.\n"+
		"Refused while a key file that opens the database is in place. Stop the portal first.")
	cfg.coreFlags(fs)
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	if err := cfg.validateCore(); err != nil {
		return &envError{err}
	}
	if _, err := os.Stat(cfg.dbPath()); err != nil {
		return &envError{fmt.Errorf("secrets reset: no database at %s (set --data / DISCLOSE_DATA)", cfg.dbPath())}
	}
	lock, err := prepareDataDir(cfg.Data)
	if err != nil {
		return err
	}
	defer lock.Close()
	out, err := db.ForgetSecrets(ctx, cfg.dbPath(), cliActor)
	if code := db.ErrorCode(err); code == db.ECONFLICT || code == db.EINVALID {
		return &envError{fmt.Errorf("secrets reset: %s", db.ErrorMessage(err))}
	} else if err != nil {
		return fmt.Errorf("secrets reset: %w", err)
	}
	printForgotten(env.stdout, out)
	return nil
}

// printForgotten tells the operator what to do after a reset.
func printForgotten(w io.Writer, out *db.ForgottenSecrets) {
	fmt.Fprintf(w, "made a new local key file %s: keep a copy apart from the backups\n", out.KeyFile)
	fmt.Fprintf(w, "two-factor sign-in turned off for %d accounts (each sets it up again):\n", len(out.TOTPUsers))
	for _, email := range out.TOTPUsers {
		fmt.Fprintf(w, "  %s\n", email)
	}
	fmt.Fprintf(w, "%d webhooks lost their URL and secret and are switched off: on each one's page, enter the URL again, switch it on\n"+
		"and give the receiver the new secret shown there:\n", len(out.Webhooks))
	for _, h := range out.Webhooks {
		fmt.Fprintf(w, "  webhook %d of program %s: /admin/programs/%d/webhooks\n", h.ID, h.Program, h.ProgramID)
	}
	if len(out.SSOProviders) > 0 {
		fmt.Fprintf(w, "%d sign-in providers lost their client secret; their sign-in is off until it is entered again:\n", len(out.SSOProviders))
		for _, p := range out.SSOProviders {
			fmt.Fprintf(w, "  sign-in provider %d (%s): disclose sso secret %d --client-secret-file F\n", p.ID, p.Name, p.ID)
		}
	}
	if len(out.Mailboxes) > 0 {
		fmt.Fprintf(w, "%d intake mailboxes lost their IMAP password; they are not read until it is entered again:\n", len(out.Mailboxes))
		for _, m := range out.Mailboxes {
			fmt.Fprintf(w, "  mailbox %d of %s (user %s): disclose mailbox edit --id %d --imap-password-file F\n", m.ID, m.Org, m.User, m.ID)
		}
	}
	if len(out.APITokens) > 0 {
		fmt.Fprintf(w, "%d API tokens were revoked (kept as hashes under the lost key, none would match again); each owner issues a new one\n"+
			"on their account page and gives it to the scripts that used the old:\n", len(out.APITokens))
		for _, t := range out.APITokens {
			fmt.Fprintf(w, "  %s: API token %d (%s)\n", t.Owner, t.ID, t.Name)
		}
	}
	fmt.Fprintf(w, "%d reporters' address hashes were emptied: they are made again under the new key (sealed addresses after the\n"+
		"next unlock of the team key)\n", out.AddressHashes)
	if out.Tombstones > 0 {
		fmt.Fprintf(w, "%d tombstones of purged mail no longer match: a purged mail still on the IMAP server and fetched again\n"+
			"is taken in again as new\n", out.Tombstones)
	}
}

// restoreForgetting restores a backup whose local key file is lost for
// good: a private copy beside the data directory is reset as secrets reset
// would (ForgetSecrets, audited in the copy) and then restored with its new
// key. The backup file itself is not changed.
func restoreForgetting(ctx context.Context, env *environment, backup string, plain io.Reader, dataDir string) (*db.BackupInfo, error) {
	// The private copy is made beside the data directory, never beside the
	// backup (an encrypted backup's plaintext stays on this host).
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dataDir)), ".disclose-restore-*")
	if err != nil {
		return nil, fmt.Errorf("private copy: %w", err)
	}
	defer os.RemoveAll(tmp)
	copyPath := filepath.Join(tmp, "disclose.db")
	if plain != nil {
		err = writePrivate(plain, copyPath)
	} else {
		err = copyPrivate(backup, copyPath)
	}
	if err != nil {
		return nil, err
	}
	info, err := db.VerifyBackup(ctx, copyPath)
	if err != nil {
		return nil, err
	}
	if !info.NeedsLocalKey {
		return db.Restore(ctx, copyPath, dataDir, "disclose.db", "")
	}
	if len(info.Unknown) > 0 {
		return nil, fmt.Errorf("the backup was made by a newer disclose (migration %s); restore it with that version", info.Unknown[0])
	}
	out, err := db.ForgetSecrets(ctx, copyPath, cliActor)
	if err != nil {
		return nil, err
	}
	if info, err = db.Restore(ctx, copyPath, dataDir, "disclose.db", out.KeyFile); err != nil {
		return nil, err
	}
	out.KeyFile = filepath.Join(dataDir, db.LocalKeyFile)
	printForgotten(env.stdout, out)
	return info, nil
}

// copyPrivate copies src to a new file dst readable by this user only.
func copyPrivate(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := writePrivate(in, dst); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}

// writePrivate writes r to a new file dst readable by this user only.
func writePrivate(r io.Reader, dst string) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
