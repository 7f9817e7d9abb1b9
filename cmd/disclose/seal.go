package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/mailin/pgp"
)

// sealFlag is what a command was told about sealing: DISCLOSE_SEAL
// (--seal), and whether it was given at all.
type sealFlag struct {
	on, given bool
}

// sealFlagOf reads --seal after parseFlags (which sets a flag from its
// environment variable through Set, so Visit sees both).
func sealFlagOf(fs *flag.FlagSet, on bool) sealFlag {
	f := sealFlag{on: on}
	fs.Visit(func(fl *flag.Flag) { f.given = f.given || fl.Name == "seal" })
	return f
}

// teamKeySealed loads the team key and then applies the seal setting: the
// first steps of both commands that take in reports (serve, mailin), in
// this order because sealing needs the key. tk is the key's OpenPGP form,
// nil without a key.
func teamKeySealed(ctx context.Context, fs *flag.FlagSet, cfg *serveConfig, d *db.DB, log *slog.Logger) (key handlers.TeamKey, tk *pgp.TeamKey, err error) {
	if key, err = loadTeamKey(cfg, log); err != nil {
		return nil, nil, err
	}
	tk, _ = key.(*pgp.TeamKey)
	if err := applySeal(ctx, sealFlagOf(fs, cfg.Seal), d, tk, cfg.Data, log); err != nil {
		return nil, nil, err
	}
	return key, tk, nil
}

// applySeal decides whether new rows are sealed, for the commands that take
// in reports (serve, mailin). Sealing is a property of the database: once
// it is sealed (serve --seal, disclose seal) every later start seals, with
// or without the flag. It refuses to start in the setups nobody chose:
// sealing without a team key; DISCLOSE_SEAL=false given for a sealed
// database (disclose unseal is the way back); and a sealed database holding
// plaintext rows, or DISCLOSE_SEAL=true for a database holding plaintext
// rows. Such rows stay plaintext in the file, its WAL and every backup while
// the operator believes them sealed, so starting anyway would break the
// promise silently; disclose seal converts them (it needs only the public
// key and is resumable), and the start then goes on.
func applySeal(ctx context.Context, want sealFlag, d *db.DB, tk *pgp.TeamKey, data string, log *slog.Logger) error {
	sealed := d.SealedDatabase()
	if sealed && want.given && !want.on {
		return &envError{fmt.Errorf("the database in %s is sealed, and DISCLOSE_SEAL (--seal) cannot turn that off: remove the setting, or decrypt the database first with disclose unseal", data)}
	}
	if !sealed && !want.on {
		if tk != nil {
			d.SetSealer(tk, false)
		}
		return nil
	}
	if tk == nil {
		if sealed {
			return &envError{fmt.Errorf("the database in %s is sealed but there is no team key (%s): put the team key file back from your key backup", data, filepath.Join(data, pgp.KeyFile))}
		}
		return &envError{errors.New("DISCLOSE_SEAL (--seal) needs a team key: run disclose key generate (or key import) first")}
	}
	d.SetSealer(tk, true)
	plain, err := d.PlainRows(ctx)
	if err != nil {
		return err
	}
	if plain.Total() > 0 {
		what := "the database is sealed but holds plaintext rows"
		if !sealed {
			what = "DISCLOSE_SEAL (--seal) is on but the database holds plaintext rows"
		}
		return &envError{fmt.Errorf("%s (%s): seal them with disclose seal --data %s (resumable; the public key suffices), then start again", what, plain, data)}
	}
	if !sealed {
		if err := d.MarkSealed(ctx); err != nil {
			return err
		}
	}
	log.Info("sealed mode: report text is stored encrypted to the team key", "unlocked", tk.Unlocked())
	return nil
}

// sealLikeDatabase makes an operator command that may write (user, purge,
// retention) seal when the database is sealed; it needs only the public
// part of the team key. Without it, the database refuses the command's
// writes (db.ErrSealedDatabase).
func sealLikeDatabase(d *db.DB, data string) error {
	if !d.SealedDatabase() {
		return nil
	}
	tk, err := pgp.LoadTeamKey(filepath.Join(data, pgp.KeyFile))
	if err != nil {
		return err
	} else if tk == nil {
		return &envError{fmt.Errorf("the database in %s is sealed but there is no team key (%s): put the team key file back from your key backup", data, filepath.Join(data, pgp.KeyFile))}
	}
	d.SetSealer(tk, true)
	return nil
}
