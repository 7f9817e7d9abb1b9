//go:build !linux

package demo

import "time"

// threadCPU is 0 where the system gives no thread's CPU time.
func threadCPU() time.Duration { return 0 }
