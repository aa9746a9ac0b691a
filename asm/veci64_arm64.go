//go:build !noasm

package asm

// binaryI64Arch computes the whole steps of 8 elements of dst at the neon level and reports
// how many it did.
func binaryI64Arch(isa vecISA, op int, dst, a, b []int64) int {
	n := len(dst) &^ 7
	if n == 0 || isa != isaNEON {
		return 0
	}
	i64NEON[op](&dst[0], &a[0], &b[0], n)
	return n
}

// i64NEON are the int64 kernels by operation; each computes n elements, a multiple of 8.
var i64NEON = [i64Ops]func(dst, a, b *int64, n int){
	i64Add:       addI64NEON,
	i64Sub:       subI64NEON,
	i64Max:       maxI64NEON,
	i64Min:       minI64NEON,
	i64And:       andI64NEON,
	i64Or:        orI64NEON,
	i64Xor:       xorI64NEON,
	i64Less:      lessI64NEON,
	i64LessEqual: lessEqualI64NEON,
	i64Equal:     equalI64NEON,
	i64NotEqual:  notEqualI64NEON,
}

//go:noescape
func addI64NEON(dst, a, b *int64, n int)

//go:noescape
func subI64NEON(dst, a, b *int64, n int)

//go:noescape
func maxI64NEON(dst, a, b *int64, n int)

//go:noescape
func minI64NEON(dst, a, b *int64, n int)

//go:noescape
func andI64NEON(dst, a, b *int64, n int)

//go:noescape
func orI64NEON(dst, a, b *int64, n int)

//go:noescape
func xorI64NEON(dst, a, b *int64, n int)

//go:noescape
func lessI64NEON(dst, a, b *int64, n int)

//go:noescape
func lessEqualI64NEON(dst, a, b *int64, n int)

//go:noescape
func equalI64NEON(dst, a, b *int64, n int)

//go:noescape
func notEqualI64NEON(dst, a, b *int64, n int)
