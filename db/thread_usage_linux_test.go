package db_test

import (
	"syscall"
	"time"
)

// threadUsage is the CPU time the calling OS thread has used and the
// blocks it read from storage (getrusage RUSAGE_THREAD): with the
// goroutine locked to its thread, a query's own work (SQLite runs on the
// calling thread), apart from the time it waited for a core or a disk.
func threadUsage() (cpu time.Duration, inblock int64, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Inblock, true
}
