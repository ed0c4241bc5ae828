//go:build unix

package kernels

import "syscall"

// cpuSeconds returns the process's user+system CPU time. Benchmarks divide
// work by it as well as by wall time: on a shared machine a time-sliced run
// has a low wall-clock rate but an honest per-CPU-second rate.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)*1e-6 }
	return tv(ru.Utime) + tv(ru.Stime)
}
