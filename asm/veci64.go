package asm

// Elementwise int64 kernels: the integer dtypes' arithmetic, bitwise operations and
// comparisons, which the CPU device computes in int64. Sums and differences wrap, as Go's
// do; a comparison writes 1 where it holds and 0 elsewhere. a and b must be at least as long
// as dst, which may be one of them (in place) but must not partially overlap them.

// AddI64 sets dst[i] = a[i] + b[i].
func AddI64(dst, a, b []int64) { binaryI64(activeISA(), i64Add, dst, a, b) }

// SubI64 sets dst[i] = a[i] - b[i].
func SubI64(dst, a, b []int64) { binaryI64(activeISA(), i64Sub, dst, a, b) }

// MaxI64 sets dst[i] = max(a[i], b[i]).
func MaxI64(dst, a, b []int64) { binaryI64(activeISA(), i64Max, dst, a, b) }

// MinI64 sets dst[i] = min(a[i], b[i]).
func MinI64(dst, a, b []int64) { binaryI64(activeISA(), i64Min, dst, a, b) }

// AndI64 sets dst[i] = a[i] & b[i].
func AndI64(dst, a, b []int64) { binaryI64(activeISA(), i64And, dst, a, b) }

// OrI64 sets dst[i] = a[i] | b[i].
func OrI64(dst, a, b []int64) { binaryI64(activeISA(), i64Or, dst, a, b) }

// XorI64 sets dst[i] = a[i] ^ b[i].
func XorI64(dst, a, b []int64) { binaryI64(activeISA(), i64Xor, dst, a, b) }

// LessI64 sets dst[i] to 1 where a[i] < b[i], else 0.
func LessI64(dst, a, b []int64) { binaryI64(activeISA(), i64Less, dst, a, b) }

// LessEqualI64 sets dst[i] to 1 where a[i] <= b[i], else 0.
func LessEqualI64(dst, a, b []int64) { binaryI64(activeISA(), i64LessEqual, dst, a, b) }

// EqualI64 sets dst[i] to 1 where a[i] == b[i], else 0.
func EqualI64(dst, a, b []int64) { binaryI64(activeISA(), i64Equal, dst, a, b) }

// NotEqualI64 sets dst[i] to 1 where a[i] != b[i], else 0.
func NotEqualI64(dst, a, b []int64) { binaryI64(activeISA(), i64NotEqual, dst, a, b) }

// The int64 kernels' operations.
const (
	i64Add = iota
	i64Sub
	i64Max
	i64Min
	i64And
	i64Or
	i64Xor
	i64Less
	i64LessEqual
	i64Equal
	i64NotEqual
	i64Ops // their number
)

func binaryI64(isa vecISA, op int, dst, a, b []int64) {
	a, b = a[:len(dst)], b[:len(dst)]
	n := binaryI64Arch(isa, op, dst, a, b)
	binaryI64Go(op, dst[n:], a[n:], b[n:])
}

// binaryI64Go is the reference of the int64 kernels.
func binaryI64Go(op int, dst, a, b []int64) {
	a, b = a[:len(dst)], b[:len(dst)]
	switch op {
	case i64Add:
		for i, x := range a {
			dst[i] = x + b[i]
		}
	case i64Sub:
		for i, x := range a {
			dst[i] = x - b[i]
		}
	case i64Max:
		for i, x := range a {
			dst[i] = max(x, b[i])
		}
	case i64Min:
		for i, x := range a {
			dst[i] = min(x, b[i])
		}
	case i64And:
		for i, x := range a {
			dst[i] = x & b[i]
		}
	case i64Or:
		for i, x := range a {
			dst[i] = x | b[i]
		}
	case i64Xor:
		for i, x := range a {
			dst[i] = x ^ b[i]
		}
	case i64Less:
		for i, x := range a {
			dst[i] = int64(b2i(x < b[i]))
		}
	case i64LessEqual:
		for i, x := range a {
			dst[i] = int64(b2i(x <= b[i]))
		}
	case i64Equal:
		for i, x := range a {
			dst[i] = int64(b2i(x == b[i]))
		}
	default:
		for i, x := range a {
			dst[i] = int64(b2i(x != b[i]))
		}
	}
}
