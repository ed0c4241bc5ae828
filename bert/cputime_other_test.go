//go:build !unix

package bert

import "time"

// cpuTime and cpuTimes are not measured here; the metrics then read 0.
func cpuTime() time.Duration { return 0 }

func cpuTimes() (user, sys time.Duration) { return 0, 0 }
