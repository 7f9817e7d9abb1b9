package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/disclose/disclose/mailin/pgp"
)

// runSeal encrypts an existing plaintext database in place. The portal must
// be stopped (the data directory lock says so); an interrupted run is
// simply started again and carries on.
func runSeal(ctx context.Context, env *environment, args []string) error {
	return convertCLI(ctx, env, args, true)
}

// runUnseal decrypts a sealed database in place; it needs the passphrase.
func runUnseal(ctx context.Context, env *environment, args []string) error {
	return convertCLI(ctx, env, args, false)
}

func convertCLI(ctx context.Context, env *environment, args []string, seal bool) error {
	var cfg serveConfig
	name, help := "seal", "Encrypt the report text, reporter contact, timeline, attachments and raw mail already in the database to the team key.\n"+
		"Stop the portal first. Resumable: run it again after an interruption. Then start the portal with DISCLOSE_SEAL=true."
	if !seal {
		name, help = "unseal", "Decrypt every sealed row back to plaintext (needs the passphrase: DISCLOSE_KEY_PASSPHRASE_FILE).\n"+
			"Stop the portal first. Resumable. Then start the portal with DISCLOSE_SEAL=false."
	}
	fs := newFlagSet(env, name, help)
	passphrase := fs.String("key-passphrase", "", "passphrase of the team key (use DISCLOSE_KEY_PASSPHRASE_FILE)")
	d, err := openCLI(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	// The serve lock: converting under a running portal would race it.
	lock, err := prepareDataDir(cfg.Data)
	if err != nil {
		return err
	}
	defer lock.Close()
	key, err := pgp.LoadTeamKey(filepath.Join(cfg.Data, pgp.KeyFile))
	if err != nil {
		return err
	} else if key == nil {
		return &envError{errors.New("there is no team key: run disclose key generate (or key import) first")}
	}
	if !seal {
		if *passphrase == "" {
			return &envError{errors.New("unseal needs the team key's passphrase: set DISCLOSE_KEY_PASSPHRASE_FILE (or --key-passphrase-file)")}
		}
		if err := key.Unlock([]byte(*passphrase)); err != nil {
			return &envError{fmt.Errorf("DISCLOSE_KEY_PASSPHRASE_FILE: %w", err)}
		}
		defer key.Lock()
	}
	d.SetSealer(key, seal)
	progress := func(done, total int64) {
		if done == total || done%100 == 0 {
			fmt.Fprintf(env.stdout, "%sed %d of %d reports\n", name, done, total)
		}
	}
	if seal {
		err = d.SealExisting(ctx, progress)
	} else {
		err = d.UnsealExisting(ctx, progress)
	}
	if err != nil {
		return fmt.Errorf("%s stopped (run it again to carry on): %w", name, err)
	}
	fmt.Fprintf(env.stdout, "%s: done; the search index was merged, the file vacuumed and the WAL truncated\n", name)
	return nil
}
