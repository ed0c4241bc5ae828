package kernels

// Panic messages for misuse by callers inside medbert (never user input).
const (
	errShortA      = "kernels: short A"
	errShortB      = "kernels: short B"
	errShortC      = "kernels: short C"
	errBadLd       = "kernels: bad leading dimension"
	errNegDim      = "kernels: negative dimension"
	errShortSlice  = "kernels: short slice"
	errLenMismatch = "kernels: length mismatch"
)
