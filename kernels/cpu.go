package kernels

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"github.com/klauspost/cpuid/v2"
	"golang.org/x/sys/cpu"
)

// This file is THE dispatch: it is the only place that chooses between
// implementations, and the only place that reads CPU features (features,
// below). Architecture files (impl_amd64.go, impl_arm64.go, impl_other.go)
// only turn those features into the list of impls the CPU can run
// (archImpls); each impl carries its own int8 micro-kernel, so the int8
// path follows whichever impl is active.
//
// At package initialisation the best available impl is selected, unless the
// MEDBERT_KERNELS environment variable names one (generic, avx2, avx512, neon).
// An unknown or unavailable name stops the program at start-up with a
// one-line message listing the available impls and exit status 2: a kill
// switch that silently did nothing would be worse (the variable is for
// testing and for working around a faulty path). It is not a panic because
// nothing can recover a failing package initialiser anyway, and a goroutine
// dump would bury the one line that matters.

// EnvVar is the environment variable that forces a kernel implementation.
const EnvVar = "MEDBERT_KERNELS"

// cpuFeatures is what the kernels need to know about the CPU, read once at
// initialisation. cpuid's Supports also checks (via XGETBV) that the OS
// saves the YMM/ZMM/opmask state, so a true flag means the code can run.
type cpuFeatures struct {
	// amd64
	avx2   bool // AVX, AVX2, FMA3: the avx2 impl
	avx512 bool // avx2 + AVX512F, BW, DQ, VL: the avx512 impl
	vnni   bool // AVX512F, BW, AVX512_VNNI: the VNNI int8 micro-kernel

	// arm64
	neon    bool // Advanced SIMD: the neon impl
	neonDot bool // ARMv8.2 SDOT: the neon int8 micro-kernel

	// Per-core data cache sizes in bytes, 0 when unknown (blocking.go).
	l1d, l2 int
}

var features = readFeatures()

func readFeatures() cpuFeatures {
	c := cpuid.CPU
	f := cpuFeatures{
		avx2:    c.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3),
		vnni:    c.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VNNI),
		neon:    cpu.ARM64.HasASIMD,
		neonDot: cpu.ARM64.HasASIMDDP,
		l1d:     max(0, c.Cache.L1D),
		l2:      max(0, c.Cache.L2),
	}
	f.avx512 = f.avx2 && c.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512DQ, cpuid.AVX512VL)
	return f
}

// knownImpls lists every impl name in any build, best last.
var knownImpls = []string{"generic", "neon", "avx2", "avx512"}

// impls holds the impls this CPU and build can run, generic first, best last.
var impls = withBlocking(append([]*impl{genericImpl}, archImpls...))

var active atomic.Pointer[impl]

var _ = initActive()

func initActive() bool {
	im, err := selectImpl(os.Getenv(EnvVar))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	active.Store(im)
	return true
}

// selectImpl returns the impl named by an MEDBERT_KERNELS value ("" = the
// best impl this CPU can run).
func selectImpl(name string) (*impl, error) {
	if name == "" {
		return impls[len(impls)-1], nil
	}
	if im := lookupImpl(name); im != nil {
		return im, nil
	}
	known := false
	for _, k := range knownImpls {
		known = known || k == name
	}
	if !known {
		return nil, fmt.Errorf("kernels: %s=%q is not a kernel implementation (want one of %s)",
			EnvVar, name, strings.Join(knownImpls, ", "))
	}
	return nil, fmt.Errorf("kernels: %s=%q is not available on this CPU/build (available: %s)",
		EnvVar, name, strings.Join(Available(), ", "))
}

func lookupImpl(name string) *impl {
	for _, im := range impls {
		if im.name == name {
			return im
		}
	}
	return nil
}

// cur returns the impl in use. Kernels read it once per call.
func cur() *impl { return active.Load() }

// Active returns the name of the implementation in use ("generic", "avx2",
// "avx512" or "neon").
func Active() string { return cur().name }

// Available lists the implementations this CPU and build can run, generic
// first and the fastest last. The default is the last one.
func Available() []string {
	out := make([]string, len(impls))
	for i, im := range impls {
		out[i] = im.name
	}
	return out
}

// Use switches every kernel, the int8 ones included, to the named
// implementation and returns a function restoring the previous one. It is
// meant for tests and benchmarks (`defer restore()`); it is not synchronised
// with kernels running concurrently in other goroutines beyond each call
// seeing one impl.
func Use(name string) (restore func(), err error) {
	im := lookupImpl(name)
	if im == nil {
		_, err := selectImpl(name)
		return func() {}, err
	}
	prev := active.Swap(im)
	return func() { active.Store(prev) }, nil
}
