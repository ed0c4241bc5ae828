//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package main

// peakRSS is not available here; bench reports 0.
func peakRSS() int64 { return 0 }

// cpuSeconds is not available here; bench reports 0.
func cpuSeconds() float64 { return 0 }
