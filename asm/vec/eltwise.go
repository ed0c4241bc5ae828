// Elementwise vector kernels: dot, axpy, add, scale and the row sums.

package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/reg"
)

func dot() {
	TEXT("dotAVX2", NOSPLIT, "func(x, y *float32, n int) float32")
	Pragma("noescape")
	Doc("dotAVX2 returns Σ x[i]·y[i], i < n (n % 8 == 0).")
	p := ptrs("x", "y")
	n := Load(Param("n"), GP64())
	acc := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	u := 0
	loop8(n, p, true, func(off int) {
		x := YMM()
		VMOVUPS(mem(p[0], off), x)
		VFMADD231PS(mem(p[1], off), x, acc[off/32])
		u++
	})
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	Store(hreduce(acc[0], vaddps), ReturnIndex(0))
	ret()
}

func axpy() {
	TEXT("axpyAVX2", NOSPLIT, "func(alpha float32, x, y *float32, n int)")
	Pragma("noescape")
	Doc("axpyAVX2 computes y[i] += alpha·x[i], i < n (n % 8 == 0).")
	a := f32("alpha")
	p := ptrs("x", "y")
	n := Load(Param("n"), GP64())
	loop8(n, p, true, func(off int) {
		y := YMM()
		VMOVUPS(mem(p[1], off), y)
		VFMADD231PS(mem(p[0], off), a, y)
		VMOVUPS(y, mem(p[1], off))
	})
	ret()
}

func add() {
	TEXT("addAVX2", NOSPLIT, "func(dst, a, b *float32, n int)")
	Pragma("noescape")
	Doc("addAVX2 computes dst[i] = a[i] + b[i], i < n (n % 8 == 0).")
	p := ptrs("dst", "a", "b")
	n := Load(Param("n"), GP64())
	loop8(n, p, true, func(off int) {
		y := YMM()
		VMOVUPS(mem(p[1], off), y)
		VADDPS(mem(p[2], off), y, y)
		VMOVUPS(y, mem(p[0], off))
	})
	ret()
}

func scale() {
	TEXT("scaleAVX2", NOSPLIT, "func(alpha float32, x *float32, n int)")
	Pragma("noescape")
	Doc("scaleAVX2 computes x[i] *= alpha, i < n (n % 8 == 0).")
	a := f32("alpha")
	p := ptrs("x")
	n := Load(Param("n"), GP64())
	loop8(n, p, true, func(off int) {
		y := YMM()
		VMULPS(mem(p[0], off), a, y)
		VMOVUPS(y, mem(p[0], off))
	})
	ret()
}

func sum() {
	TEXT("sumAVX2", NOSPLIT, "func(x *float32, n int) float32")
	Pragma("noescape")
	Doc("sumAVX2 returns Σ x[i], i < n (n % 8 == 0).")
	p := ptrs("x")
	n := Load(Param("n"), GP64())
	acc := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	loop8(n, p, true, func(off int) {
		VADDPS(mem(p[0], off), acc[off/32], acc[off/32])
	})
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	Store(hreduce(acc[0], vaddps), ReturnIndex(0))
	ret()
}

func sumSqDev() {
	TEXT("sumSqDevAVX2", NOSPLIT, "func(x *float32, n int, m float32) float32")
	Pragma("noescape")
	Doc("sumSqDevAVX2 returns Σ (x[i]-m)², i < n (n % 8 == 0).")
	p := ptrs("x")
	n := Load(Param("n"), GP64())
	m := f32("m")
	acc := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	loop8(n, p, true, func(off int) {
		d := YMM()
		VMOVUPS(mem(p[0], off), d)
		VSUBPS(m, d, d)
		VFMADD231PS(d, d, acc[off/32])
	})
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	Store(hreduce(acc[0], vaddps), ReturnIndex(0))
	ret()
}
