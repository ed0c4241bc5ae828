// Package kernels holds medbert's float32 (and later int8) compute on raw
// slices: GEMM with every transpose, softmax, layer normalisation, GELU and the
// elementwise operations BERT needs.
//
// Contract:
//   - Matrices are row-major. A matrix X with r rows and c columns and leading
//     dimension ldx stores X[i][j] at x[i*ldx+j], with ldx >= c.
//   - Sizes follow BLAS names: C (m×n) = op(A) (m×k) · op(B) (k×n).
//   - Callers check lengths; a short slice is a programming error and panics
//     with a constant message (see errors.go). User input never reaches here
//     unchecked.
//   - Backward kernels accumulate (+=) into their gradient outputs, so the
//     autograd engine can sum contributions from several uses of one value.
//
// This package knows only slices: it never imports tensor or any model code.
package kernels
