package db_test

import (
	"syscall"
	"time"
	"unsafe"
)

// threadUsage is the CPU time the calling OS thread has used
// (CLOCK_THREAD_CPUTIME_ID, to the nanosecond) and the blocks it read from
// storage (getrusage RUSAGE_THREAD): with the goroutine locked to its
// thread, a query's own work (SQLite runs on the calling thread), apart
// from the time it waited for a core or a disk.
func threadUsage() (cpu time.Duration, inblock int64, ok bool) {
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3 /* CLOCK_THREAD_CPUTIME_ID */, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0, 0, false
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, 0, false
	}
	return time.Duration(ts.Nano()), ru.Inblock, true
}
