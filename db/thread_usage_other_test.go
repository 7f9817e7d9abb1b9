//go:build !linux

package db_test

import "time"

// threadUsage is measured on Linux only (thread_usage_linux_test.go).
func threadUsage() (cpu time.Duration, inblock int64, ok bool) { return 0, 0, false }
