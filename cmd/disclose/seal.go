package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/mailin/pgp"
)

// applySeal gives the database the team key and decides whether new rows
// are sealed. It refuses to start in the two mixed setups an operator did
// not choose: sealing on without a key, and sealing off while sealed rows
// exist (they would be unsearchable beside new plaintext; run disclose
// unseal first).
func applySeal(ctx context.Context, seal bool, d *db.DB, key handlers.TeamKey, log *slog.Logger) error {
	tk, _ := key.(*pgp.TeamKey)
	if seal && tk == nil {
		return &envError{errors.New("DISCLOSE_SEAL (--seal) needs a team key: run disclose key generate (or key import) first")}
	}
	if !seal {
		n, err := d.SealedRows(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return &envError{fmt.Errorf("the database holds %d sealed rows but DISCLOSE_SEAL (--seal) is off: start with --seal=true, or decrypt them first with disclose unseal", n)}
		}
	}
	if tk == nil {
		return nil
	}
	// Before wireTeamKey: its "locked" banner says what sealing implies.
	d.SetSealer(tk, seal)
	if seal {
		log.Info("sealed mode: report text is stored encrypted to the team key", "unlocked", tk.Unlocked())
	}
	return nil
}
