//go:build unix

package benchmarks

import "syscall"

// cpuTime is the user and system CPU time this process has used, in
// nanoseconds, across all its threads (so garbage collection counts).
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
