//go:build purego || !(amd64 || arm64)

package kernels

// Without assembly only the generic impl exists.
var archImpls []*impl
