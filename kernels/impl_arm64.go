//go:build !purego

package kernels

// archImpls: the NEON impl registers here once its kernels exist.
var archImpls []*impl
