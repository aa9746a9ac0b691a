//go:build !noasm

package asm

// binaryI64Arch computes the whole steps of 16 elements of dst at the avx2 and avx512 levels
// (the AVX2 kernels serve both) and reports how many it did.
func binaryI64Arch(isa vecISA, op int, dst, a, b []int64) int {
	n := len(dst) &^ 15
	if n == 0 || isa != isaAVX2 && isa != isaAVX512 {
		return 0
	}
	i64AVX2[op](&dst[0], &a[0], &b[0], n)
	return n
}

// i64AVX2 are the int64 kernels by operation; each computes n elements, a multiple of 16.
var i64AVX2 = [i64Ops]func(dst, a, b *int64, n int){
	i64Add:       addI64AVX2,
	i64Sub:       subI64AVX2,
	i64Max:       maxI64AVX2,
	i64Min:       minI64AVX2,
	i64And:       andI64AVX2,
	i64Or:        orI64AVX2,
	i64Xor:       xorI64AVX2,
	i64Less:      lessI64AVX2,
	i64LessEqual: lessEqualI64AVX2,
	i64Equal:     equalI64AVX2,
	i64NotEqual:  notEqualI64AVX2,
}

//go:noescape
func addI64AVX2(dst, a, b *int64, n int)

//go:noescape
func subI64AVX2(dst, a, b *int64, n int)

//go:noescape
func maxI64AVX2(dst, a, b *int64, n int)

//go:noescape
func minI64AVX2(dst, a, b *int64, n int)

//go:noescape
func andI64AVX2(dst, a, b *int64, n int)

//go:noescape
func orI64AVX2(dst, a, b *int64, n int)

//go:noescape
func xorI64AVX2(dst, a, b *int64, n int)

//go:noescape
func lessI64AVX2(dst, a, b *int64, n int)

//go:noescape
func lessEqualI64AVX2(dst, a, b *int64, n int)

//go:noescape
func equalI64AVX2(dst, a, b *int64, n int)

//go:noescape
func notEqualI64AVX2(dst, a, b *int64, n int)
