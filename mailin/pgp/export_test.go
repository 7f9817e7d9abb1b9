package pgp

// SetLockBegun makes Lock call fn once it refuses new uses of the key and
// before it waits for the ones in progress.
func SetLockBegun(t *TeamKey, fn func()) { t.lockBegun = fn }
