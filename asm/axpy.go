package asm

// AxpyF64 computes y[i] += alpha * x[i] for i < len(y); x must be at least as long as y.
//
//	for i := range y {
//		y[i] += alpha * x[i]
//	}
func AxpyF64(alpha float64, x, y []float64) {
	axpyF64(alpha, x[:len(y)], y)
}

// axpyF64Go is the reference of AxpyF64.
func axpyF64Go(alpha float64, x, y []float64) {
	for i := range y {
		y[i] += alpha * x[i]
	}
}

// DotF64 returns the sum of x[i]*y[i] for i < len(x); y must be at least as long as x.
//
//	var s float64
//	for i := range x {
//		s += x[i] * y[i]
//	}
func DotF64(x, y []float64) float64 {
	return dotF64(x, y[:len(x)])
}

// dotF64Go is the reference of DotF64: four partial sums, as the vector kernels keep them,
// so that every implementation rounds alike.
func dotF64Go(x, y []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}
