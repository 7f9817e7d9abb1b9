package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
	"github.com/disclose/disclose/views/wording"
)

func runBackup(ctx context.Context, env *environment, args []string) error {
	var cfg serveConfig
	fs := newFlagSet(env, "backup", "disclose backup FILE: write a consistent copy of the database to FILE while the portal keeps serving.\n"+
		"disclose backup --verify FILE: check a copy (integrity, migrations, audit chain) and print what it holds.")
	cfg.coreFlags(fs)
	verify := fs.Bool("verify", false, "check FILE instead of writing it")
	var bk backupKeyFlags
	fs.BoolVar(&bk.encrypt, "encrypt", false, "encrypt the backup to the team key (its public part suffices)")
	fs.StringVar(&bk.keyFile, "key", "", "--verify of an encrypted backup: the team key file (default: the one in --data)")
	fs.StringVar(&bk.passphrase, "key-passphrase", "", "--verify of an encrypted backup: the team key's passphrase (use DISCLOSE_KEY_PASSPHRASE_FILE)")
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	if err := cfg.validateCore(); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("backup: name one file, like disclose backup /var/backups/disclose-$(date +%F).db")
	}
	file := fs.Arg(0)
	if *verify {
		info, err := db.VerifyBackup(ctx, file)
		if errors.Is(err, db.ErrSealedBackup) {
			info, err = bk.verifySealed(ctx, file, cfg.Data)
		}
		if err != nil {
			return fmt.Errorf("backup --verify %s: %w", file, err)
		}
		printBackupInfo(env, file, info)
		fmt.Fprintln(env.stdout, "ok")
		return nil
	}
	if _, err := os.Stat(cfg.dbPath()); err != nil {
		return &envError{fmt.Errorf("backup: no database at %s (set --data / DISCLOSE_DATA): %w", cfg.dbPath(), err)}
	}
	d, err := db.Open(ctx, cfg.dbPath())
	if err != nil {
		return openError(cfg.Data, err)
	}
	defer d.Close()
	var sealer db.BackupSealer
	if bk.encrypt {
		k, err := bk.teamKeyFor(cfg.Data)
		if err != nil {
			return fmt.Errorf("backup --encrypt: %w", err)
		}
		sealer = k
	}
	start := time.Now()
	fmt.Fprintf(env.stdout, "backing up %s to %s ...\n", cfg.dbPath(), file)
	if err := d.Backup(ctx, file, sealer); err != nil {
		return err
	}
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %s (%s) in %s\n", file, wording.Bytes(st.Size()), time.Since(start).Round(time.Millisecond))
	if sealer != nil {
		fmt.Fprintln(env.stdout, "encrypted to the team key; check it with disclose backup --verify (needs the passphrase)")
	} else {
		info, err := db.VerifyBackup(ctx, file)
		if err != nil {
			return fmt.Errorf("backup written but does not verify: %w", err)
		}
		printBackupInfo(env, file, info)
	}
	return nil
}

func printBackupInfo(env *environment, file string, info *db.BackupInfo) {
	fmt.Fprintf(env.stdout, "%s: integrity ok, audit chain ok, %d migrations\n", file, len(info.Migrations))
	fmt.Fprintf(env.stdout, "  reports %d, messages %d, attachments %d, audit rows %d\n", info.Reports, info.Messages, info.Attachments, info.AuditRows)
	if len(info.Missing) > 0 {
		fmt.Fprintf(env.stdout, "  older than this binary: %d migrations will be applied on first start\n", len(info.Missing))
	}
	if len(info.Unknown) > 0 {
		fmt.Fprintf(env.stdout, "  made by a newer disclose (unknown migration %s)\n", info.Unknown[0])
	}
	if info.NeedsLocalKey {
		fmt.Fprintf(env.stdout, "  its secrets are sealed with the portal's %s, which is not in the backup: restore with --local-key\n", db.LocalKeyFile)
	}
}

func runRestore(ctx context.Context, env *environment, args []string) error {
	var cfg serveConfig
	fs := newFlagSet(env, "restore", "disclose restore FILE: verify a backup and copy it into the data directory, which must be empty or missing.\nStop the portal first; start it again on the restored data.")
	cfg.coreFlags(fs)
	var bk backupKeyFlags
	fs.StringVar(&bk.keyFile, "key", "", "an encrypted backup: the team key file of the portal that made it (keep a copy apart from the backups)")
	fs.StringVar(&bk.passphrase, "key-passphrase", "", "an encrypted backup: the team key's passphrase (use DISCLOSE_KEY_PASSPHRASE_FILE)")
	localKey := fs.String("local-key", "", "the local key file ("+db.LocalKeyFile+") of the portal that made the backup: backups do not hold it, and the secrets in the database are sealed with it")
	forget := fs.Bool("forget-secrets", false, "the local key file is lost for good: restore without it, turning two-factor sign-in off for every account and giving every webhook a new secret, switched off until its URL is entered again (audited)")
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	if err := cfg.validateCore(); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("restore: name one backup file")
	}
	if *forget && *localKey != "" {
		return &envError{errors.New("restore: give --local-key or --forget-secrets, not both")}
	}
	backup := fs.Arg(0)
	var plain io.Reader // the decrypted stream of an encrypted backup
	if _, err := db.VerifyBackup(ctx, backup); errors.Is(err, db.ErrSealedBackup) {
		if bk.keyFile == "" {
			return errors.New("restore: the backup is encrypted: give the team key file with --key and its passphrase with DISCLOSE_KEY_PASSPHRASE_FILE")
		}
		p, done, err := bk.openBackup(backup, cfg.Data)
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		defer done()
		plain = p
	}
	var info *db.BackupInfo
	var err error
	switch {
	case *forget:
		info, err = restoreForgetting(ctx, env, backup, plain, cfg.Data)
	case plain != nil:
		// Decrypted straight into the data directory: the plaintext is
		// written nowhere else.
		info, err = db.RestoreFrom(ctx, plain, cfg.Data, "disclose.db", *localKey)
	default:
		info, err = db.Restore(ctx, backup, cfg.Data, "disclose.db", *localKey)
	}
	if db.ErrorCode(err) == db.EINVALID && *localKey == "" && !*forget {
		return &envError{fmt.Errorf("restore: %s If it is lost for good, restore with --forget-secrets instead.", db.ErrorMessage(err))}
	}
	if err != nil {
		if code := db.ErrorCode(err); code == db.ECONFLICT || code == db.EINVALID {
			return &envError{fmt.Errorf("restore: %s", db.ErrorMessage(err))}
		}
		return fmt.Errorf("restore: %w", err)
	}
	if bk.keyFile != "" {
		// The restored portal needs its team key to read sealed reports.
		if err := copyKeyFile(bk.keyFile, filepath.Join(cfg.Data, pgp.KeyFile)); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	printBackupInfo(env, fs.Arg(0), info)
	if err := noteSealedRestore(ctx, env, cfg.Data); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(env.stdout, "restored into %s; start the portal with --data %s\n", cfg.Data, cfg.Data)
	return nil
}

// noteSealedRestore tells the operator that a restored sealed database
// needs its team key: every command that writes to it seals, and refuses
// without the key.
func noteSealedRestore(ctx context.Context, env *environment, data string) error {
	sealed, err := db.IsSealedFile(ctx, filepath.Join(data, "disclose.db"))
	if err != nil || !sealed {
		return err
	}
	if _, err := os.Stat(filepath.Join(data, pgp.KeyFile)); err == nil {
		fmt.Fprintln(env.stdout, "  the database is sealed; the team key is in place")
		return nil
	}
	fmt.Fprintf(env.stdout, "  the database is sealed: copy its team key file to %s (or restore with --key) before starting; nothing writes to it without the key\n",
		filepath.Join(data, pgp.KeyFile))
	return nil
}
