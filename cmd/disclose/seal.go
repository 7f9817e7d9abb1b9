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

// teamKeyProblem is the db.Problems key of the "team key is locked" banner.
const teamKeyProblem = "team-key"

// applySeal gives the database the team key and decides whether new rows
// are sealed. It refuses to start in the two mixed setups an operator did
// not choose: sealing on without a key, and sealing off while sealed rows
// exist (they would be unsearchable beside new plaintext; run disclose
// unseal first).
func applySeal(ctx context.Context, seal bool, d *db.DB, key handlers.TeamKey, problems *db.Problems, log *slog.Logger) error {
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
	d.SetSealer(tk, seal)
	if seal {
		log.Info("sealed mode: report text is stored encrypted to the team key", "unlocked", tk.Unlocked())
		watchTeamKey(tk, problems)
	}
	return nil
}

// watchTeamKey sets or clears the dashboard's "team key locked" banner; the
// unlock page calls it again after an unlock or a lock.
func watchTeamKey(tk *pgp.TeamKey, problems *db.Problems) {
	if tk.Unlocked() {
		problems.Clear(teamKeyProblem)
		return
	}
	problems.Set(teamKeyProblem, "The team key is locked: sealed reports show no text until an admin unlocks it (new reports are still accepted).")
}
