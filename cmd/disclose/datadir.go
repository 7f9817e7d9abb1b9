package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/disclose/disclose/db"
)

// exitConfig is the exit status of a start that cannot succeed until an
// operator changes something (EX_CONFIG from sysexits.h). The systemd unit
// sets RestartPreventExitStatus=78, so such a start fails once, clearly,
// instead of looping.
const exitConfig = 78

// envError is an error of the environment or configuration, not of this run.
type envError struct{ err error }

func (e *envError) Error() string { return e.err.Error() }
func (e *envError) Unwrap() error { return e.err }

// exitCode maps an error to the process exit status.
func exitCode(err error) int {
	var ee *envError
	if errors.As(err, &ee) {
		return exitConfig
	}
	return 1
}

// prepareDataDir checks that the data directory can be used and takes its
// lock, so that a second serve on the same data fails at once with a clear
// message rather than fighting over the database. The lock is held until
// the returned file is closed (or the process ends).
func prepareDataDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, &envError{fmt.Errorf("DISCLOSE_DATA (--data): cannot create %s: %w", dir, err)}
	}
	probe, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return nil, &envError{fmt.Errorf("DISCLOSE_DATA (--data): cannot write in %s (the service user needs read and write access): %w", dir, err)}
	}
	probe.Close()
	os.Remove(probe.Name())
	lock, err := os.OpenFile(filepath.Join(dir, "serve.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, &envError{fmt.Errorf("DISCLOSE_DATA (--data): cannot create the lock file in %s: %w", dir, err)}
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &envError{fmt.Errorf("DISCLOSE_DATA (--data): another disclose serve is running on %s (or a demo making its database)", dir)}
		}
		return nil, &envError{fmt.Errorf("DISCLOSE_DATA (--data): lock %s: %w", dir, err)}
	}
	return lock, nil
}

// openError explains a failure to open the database in one line.
func openError(dir string, err error) error {
	if msg, ok := db.StorageProblem(err); ok {
		return &envError{fmt.Errorf("open database in %s: %s (%w)", dir, msg, err)}
	}
	// A missing or wrong local key file: the operator must act, a restart
	// cannot help.
	if db.ErrorCode(err) == db.EINVALID {
		return &envError{fmt.Errorf("open database in %s: %s", dir, db.ErrorMessage(err))}
	}
	return fmt.Errorf("open database in %s: %w", dir, err)
}
