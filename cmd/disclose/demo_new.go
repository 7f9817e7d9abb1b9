package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/disclose/disclose/db"
)

// partialSuffix names a database that demo is still making. The portal
// opens only the real name, so a demo that failed or was killed never
// leaves a half-made database where serve would use it; the next demo
// removes it.
const partialSuffix = ".demo-partial"

// demoCacheKiB is the page cache of a demo into a new database: 2 GiB, so
// that the search index's segments (about 350 MB at a million reports),
// the tables' growing ends and the sorts of the index builds at the end
// stay in memory instead of coming back from the OS. It is a demo on a
// machine that runs the portal; the memory is returned when it exits.
const demoCacheKiB = 2 << 20

// noDatabase says whether path holds no database yet.
func noDatabase(path string) (bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("demo: look for %s: %w", path, err)
	}
	return false, nil
}

// demoIntoNew makes a new database of demo reports at path: under the
// partial name, with the writer set for a bulk load (db.BulkLoad), then
// durable and renamed into place. On failure the partial database is
// removed and the error says so.
func demoIntoNew(ctx context.Context, env *environment, path string, n int, seed uint64) (err error) {
	partial := path + partialSuffix
	if err := removeDatabase(partial); err != nil {
		return err
	}
	published := false
	defer func() {
		if err != nil && !published {
			if rerr := removeDatabase(partial); rerr != nil {
				err = fmt.Errorf("%w; the half-made database %s could not be removed either (remove it by hand): %v", err, partial, rerr)
			} else {
				err = fmt.Errorf("%w (the half-made database was removed; nothing was written to %s)", err, path)
			}
		}
	}()
	d, err := db.Open(ctx, partial)
	if err != nil {
		return fmt.Errorf("open database in %s: %w", filepath.Dir(path), err)
	}
	closed := false
	defer func() {
		if !closed {
			d.Close()
		}
	}()
	bulk, err := d.StartBulkLoad(ctx, demoCacheKiB)
	if err != nil {
		return err
	}
	err = generateDemo(ctx, env, d, n, seed, func(stage func(string)) error {
		stage("back to the portal's settings (write-ahead log) and closing")
		if err := bulk.Finish(ctx); err != nil {
			return err
		}
		closed = true
		if err := d.Close(); err != nil {
			return fmt.Errorf("demo: close: %w", err)
		}
		return publishDatabase(partial, path, &published)
	})
	return err
}

// publishDatabase makes the finished database durable (the bulk load
// wrote without fsync) and gives it its real name, never over a database
// that appeared there meanwhile.
func publishDatabase(partial, path string, published *bool) error {
	f, err := os.OpenFile(partial, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("demo: open %s: %w", partial, err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("demo: sync %s: %w", partial, err)
	}
	if err := os.Link(partial, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &envError{fmt.Errorf("demo: a database appeared at %s while demo ran; the demo database was not put in its place", path)}
		}
		return fmt.Errorf("demo: name the database %s: %w", path, err)
	}
	*published = true
	if err := os.Remove(partial); err != nil {
		return fmt.Errorf("demo: remove %s: %w", partial, err)
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("demo: sync %s: %w", filepath.Dir(path), err)
	}
	defer dir.Close()
	if err := dir.Sync(); err != nil {
		return fmt.Errorf("demo: sync %s: %w", filepath.Dir(path), err)
	}
	return nil
}

// removeDatabase removes a database file and SQLite's files beside it.
func removeDatabase(path string) error {
	for _, p := range []string{path, path + "-journal", path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("demo: remove %s: %w", p, err)
		}
	}
	return nil
}
