//go:build purego || !(amd64 || arm64)

package kernels

// No int8 assembly on this build (purego, other architectures): the generic
// micro-kernel runs.
func int8Impls() []*int8Impl { return []*int8Impl{int8Generic} }
