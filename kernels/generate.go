package kernels

// Every assembly file of this package is generated from here, so a root
// `go generate ./...` reaches the nested asm module (which holds avo, so users
// of medbert never download it). -C must be the first flag of go run.

//go:generate go run -C ../asm ./gemm -isa avx2 -out ../kernels/gemm_avx2_amd64.s -stubs ../kernels/gemm_avx2_amd64.go -pkg kernels
//go:generate go run -C ../asm ./gemm -isa avx512 -out ../kernels/gemm_avx512_amd64.s -stubs ../kernels/gemm_avx512_amd64.go -pkg kernels
//go:generate go run -C ../asm ./vec -out ../kernels/vec_avx2_amd64.s -stubs ../kernels/vec_avx2_amd64.go -pkg kernels
//go:generate go run -C ../asm ./vec -isa avx512 -out ../kernels/vec_avx512_amd64.s -stubs ../kernels/vec_avx512_amd64.go -pkg kernels
//go:generate go run -C ../asm ./int8 -isa avx2 -out ../kernels/gemm_int8_avx2_amd64.s -stubs ../kernels/gemm_int8_avx2_amd64.go -pkg kernels
//go:generate go run -C ../asm ./int8 -isa vnni -out ../kernels/gemm_int8_vnni_amd64.s -stubs ../kernels/gemm_int8_vnni_amd64.go -pkg kernels
