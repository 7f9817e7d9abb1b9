package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
)

// backupKeyFlags are the settings that encrypt and decrypt backups.
type backupKeyFlags struct {
	encrypt    bool
	keyFile    string
	passphrase string
}

// teamKeyFor loads the team key of a backup: the key file named, or the one
// in the data directory.
func (b *backupKeyFlags) teamKeyFor(dataDir string) (*pgp.TeamKey, error) {
	path := b.keyFile
	if path == "" {
		path = filepath.Join(dataDir, pgp.KeyFile)
	}
	k, err := pgp.LoadTeamKey(path)
	if err != nil {
		return nil, err
	} else if k == nil {
		return nil, fmt.Errorf("no team key at %s: give the key file of the portal that made the backup with --key", path)
	}
	return k, nil
}

// openBackup unlocks the team key and returns the plaintext of an
// encrypted backup as a stream, decrypted as it is read; done locks the key
// again and closes the file.
func (b *backupKeyFlags) openBackup(file, keyDir string) (io.Reader, func(), error) {
	k, err := b.teamKeyFor(keyDir)
	if err != nil {
		return nil, nil, err
	}
	if b.passphrase == "" {
		return nil, nil, errors.New("the backup is encrypted: give the team key's passphrase with DISCLOSE_KEY_PASSPHRASE_FILE")
	}
	if err := k.Unlock([]byte(b.passphrase)); err != nil {
		return nil, nil, err
	}
	src, err := os.Open(file)
	if err != nil {
		k.Lock()
		return nil, nil, err
	}
	plain, err := k.OpenFrom(src)
	if err != nil {
		src.Close()
		k.Lock()
		return nil, nil, fmt.Errorf("decrypt %s: %w", file, err)
	}
	done := func() {
		plain.Close() // a stream left open would hold Lock for its wait
		src.Close()
		k.Lock()
	}
	return plain, done, nil
}

// verifySealed verifies an encrypted backup. Its plaintext is written only
// to a private temporary file in the data directory (in the system's
// temporary directory when there is none on this host), never beside the
// backup, which may be an off-site mount.
func (b *backupKeyFlags) verifySealed(ctx context.Context, file, dataDir string) (*db.BackupInfo, error) {
	plain, done, err := b.openBackup(file, dataDir)
	if err != nil {
		return nil, err
	}
	defer done()
	dir := dataDir
	if st, err := os.Stat(dataDir); err != nil || !st.IsDir() {
		dir = os.TempDir()
	}
	return db.VerifyBackupFrom(ctx, plain, dir)
}

// copyKeyFile puts the team key file into a restored data directory (0600),
// unless one is there already.
func copyKeyFile(src, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	buf, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, buf, 0o600)
}
