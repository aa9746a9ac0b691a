package asm

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// gemvShape is one matrix-vector product to test: m×k, the stride of a's lines beyond their
// length, and the offsets of a, x and y into their guarded slices.
type gemvShape struct {
	m, k, pad        int
	offA, offX, offY int
}

// gemvShapes returns every m and k up to 40 (all tails of the lanes, rows and columns of the
// kernels), with and without padding between the lines of a and at every alignment, and a
// few large ones: more blocks of lanes than any kernel unrolls, long rows, and y longer than
// gemvColsBlock.
func gemvShapes() []gemvShape {
	var s []gemvShape
	i := 0
	for m := range 41 {
		for k := range 41 {
			i++
			s = append(s, gemvShape{m, k, (i % 3) * 3, i % 8, (i / 8) % 8, (i / 64) % 8})
		}
	}
	large := []gemvShape{{1000, 1001, 5, 1, 3, 7}, {5000, 9, 0, 2, 0, 1}, {4100, 33, 11, 3, 5, 2}, {64, 512, 0, 0, 0, 0}}
	if !raceEnabled {
		large = append(large, gemvShape{7, 100003, 1, 7, 1, 3}, gemvShape{100003, 7, 0, 4, 2, 6})
	}
	return append(s, large...)
}

// gemvFill returns values for the inputs: random normals, with a rare infinity, NaN or zero
// when special is set.
func gemvFill[T Float](r *rand.Rand, special bool) func(int) T {
	return func(int) T {
		if special && r.IntN(97) == 0 {
			return []T{T(math.NaN()), T(math.Inf(1)), T(math.Inf(-1)), T(math.Copysign(0, -1))}[r.IntN(4)]
		}
		return T(r.NormFloat64())
	}
}

// gemvMatrix returns a matrix of lines lines of n elements, n+pad apart, inside NaN guard
// bands and with NaN in the padding, so that a kernel reading outside the matrix turns its
// results into NaN.
func gemvMatrix[T Float](lines, n, pad, off int, fill func(int) T) (a []T, ld int) {
	ld = n + pad
	span := 0
	if lines > 0 && n > 0 {
		span = (lines-1)*ld + n
	}
	_, a = guardedVec(span, off, func(int) T { return T(math.NaN()) })
	for l := range lines {
		for j := range n {
			a[l*ld+j] = fill(0)
		}
	}
	return a, ld
}

func TestGemv(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, special := range []bool{false, true} {
			testGemv[float32](t, isa, special, gemvRowsF32, gemvColsF32)
			testGemv[float64](t, isa, special, gemvRowsF64, gemvColsF64)
		}
	})
}

type gemvKernel[T Float] func(isa vecISA, m, k int, a []T, lda int, x, y []T)

func testGemv[T Float](t *testing.T, isa vecISA, special bool, rows, cols gemvKernel[T]) {
	r := rand.New(rand.NewPCG(uint64(isa), 7))
	lanes := isa.gemvLanes(int(unsafe.Sizeof(T(0))))
	fill := gemvFill[T](r, special)
	for _, sh := range gemvShapes() {
		_, x := guardedVec(sh.k, sh.offX, fill)
		for _, form := range []string{"rows", "cols"} {
			var a []T
			var lda int
			if form == "rows" {
				a, lda = gemvMatrix(sh.m, sh.k, sh.pad, sh.offA, fill)
			} else {
				a, lda = gemvMatrix(sh.k, sh.m, sh.pad, sh.offA, fill)
			}
			want := make([]T, sh.m)
			full, y := guardedVec(sh.m, sh.offY, func(int) T { return 7 })
			if form == "rows" {
				gemvRowsGo(lanes, sh.m, sh.k, a, lda, x, want)
				rows(isa, sh.m, sh.k, a, lda, x, y)
			} else {
				gemvColsGo(sh.m, sh.k, a, lda, x, want)
				cols(isa, sh.m, sh.k, a, lda, x, y)
			}
			what := fmt.Sprintf("gemv %s %T m=%d k=%d lda=%d offsets a %d x %d y %d special=%v",
				form, T(0), sh.m, sh.k, lda, sh.offA, sh.offX, sh.offY, special)
			checkGemv(t, what, special, y, want, full, sh.offY)
		}
	}
}

// checkGemv compares a kernel's y (in full, at offset off) with the reference's want, bit for
// bit (NaN for NaN), and its guard bands; without special values, a NaN in y is a read
// outside the matrix.
func checkGemv[T Float](t *testing.T, what string, special bool, y, want, full []T, off int) {
	t.Helper()
	for i := range want {
		if !sameFloat(y[i], want[i]) {
			t.Fatalf("%s: y[%d] = %v, want %v", what, i, y[i], want[i])
		}
		if !special && y[i] != y[i] {
			t.Fatalf("%s: y[%d] is NaN: the kernel read outside the matrix", what, i)
		}
	}
	checkGuardBands(t, what, full, len(want), off)
}

// TestGemvSpecial checks that an infinity or NaN in one place reaches exactly the elements
// of y it should.
func TestGemvSpecial(t *testing.T) {
	const m, k = 13, 37
	forEachISA(t, func(t *testing.T, isa vecISA) {
		for _, tc := range []struct {
			name   string
			set    func(aRows, aCols, x []float64)
			expect func(i int, v float64) bool
		}{
			{"NaN in a[5,20]", func(ar, ac, _ []float64) { ar[5*k+20], ac[20*m+5] = math.NaN(), math.NaN() },
				func(i int, v float64) bool { return (i == 5) == (v != v) }},
			{"+Inf in a[2,36]", func(ar, ac, _ []float64) { ar[2*k+36], ac[36*m+2] = math.Inf(1), math.Inf(1) },
				func(i int, v float64) bool {
					return (i == 2) == math.IsInf(v, 1) && (i == 2 || !math.IsInf(v, 0) && v == v)
				}},
			{"Inf in x[3]", func(_, _, x []float64) { x[3] = math.Inf(-1) },
				func(_ int, v float64) bool { return math.IsInf(v, 0) }},
			{"Inf·0", func(ar, ac, x []float64) {
				x[0] = math.Inf(1)
				for i := range m {
					ar[i*k], ac[i] = 0, 0
				}
			}, func(_ int, v float64) bool { return v != v }},
		} {
			r := rand.New(rand.NewPCG(3, 3))
			ar, ac, x := make([]float64, m*k), make([]float64, m*k), make([]float64, k)
			for i := range ar {
				ar[i] = r.Float64() + 0.5 // positive: no cancellation to infinity minus infinity
			}
			for i := range m {
				for p := range k {
					ac[p*m+i] = ar[i*k+p]
				}
			}
			for i := range x {
				x[i] = r.Float64() + 0.5
			}
			tc.set(ar, ac, x)
			ar32, ac32, x32 := toF32(ar), toF32(ac), toF32(x)
			y64, y32 := make([]float64, m), make([]float32, m)
			for _, run := range []struct {
				form string
				do   func()
			}{
				{"rows", func() { gemvRowsF64(isa, m, k, ar, k, x, y64); gemvRowsF32(isa, m, k, ar32, k, x32, y32) }},
				{"cols", func() { gemvColsF64(isa, m, k, ac, m, x, y64); gemvColsF32(isa, m, k, ac32, m, x32, y32) }},
			} {
				run.do()
				for i := range m {
					if !tc.expect(i, y64[i]) || !tc.expect(i, float64(y32[i])) {
						t.Fatalf("%s, %s: y[%d] = %v (float64), %v (float32)", tc.name, run.form, i, y64[i], y32[i])
					}
				}
			}
		}
	})
}

func toF32(x []float64) []float32 {
	s := make([]float32, len(x))
	for i, v := range x {
		s[i] = float32(v)
	}
	return s
}

// TestGemvAccuracy compares the exported functions at every level with a float64 product
// (of the float32 inputs) or a compensated one (float64 inputs), within the error bound of
// gemv.go.
func TestGemvAccuracy(t *testing.T) {
	old := Level()
	defer SetLevel(old)
	r := rand.New(rand.NewPCG(5, 5))
	for _, l := range Levels() {
		if err := SetLevel(l); err != nil {
			t.Fatal(err)
		}
		for _, sz := range [][2]int{{1, 1}, {3, 70}, {33, 129}, {100, 1000}, {9, 4099}} {
			m, k := sz[0], sz[1]
			a64, x64 := make([]float64, m*k), make([]float64, k)
			for i := range a64 {
				a64[i] = r.NormFloat64()
			}
			for i := range x64 {
				x64[i] = r.NormFloat64()
			}
			a32, x32 := toF32(a64), toF32(x64)
			at32, at64 := make([]float32, m*k), make([]float64, m*k)
			for i := range m {
				for p := range k {
					at32[p*m+i], at64[p*m+i] = a32[i*k+p], a64[i*k+p]
				}
			}
			y32r, y32c, y64r, y64c := make([]float32, m), make([]float32, m), make([]float64, m), make([]float64, m)
			GemvRowsF32(m, k, a32, k, x32, y32r)
			GemvColsF32(m, k, at32, m, x32, y32c)
			GemvRowsF64(m, k, a64, k, x64, y64r)
			GemvColsF64(m, k, at64, m, x64, y64c)
			bound := func(eps float64, i int) float64 {
				var s float64
				for p := range k {
					s += math.Abs(a64[i*k+p] * x64[p])
				}
				return 2 * float64(k+8) * eps * s
			}
			for i := range m {
				var ref32 float64
				var ref64, c64 float64 // Neumaier's compensated sum of the exact products' float64 roundings
				for p := range k {
					ref32 += float64(a32[i*k+p]) * float64(x32[p])
					v := a64[i*k+p] * x64[p]
					e := math.FMA(a64[i*k+p], x64[p], -v)
					s := ref64 + v
					if math.Abs(ref64) >= math.Abs(v) {
						c64 += (ref64 - s) + v
					} else {
						c64 += (v - s) + ref64
					}
					ref64 = s
					c64 += e
				}
				ref64 += c64
				for _, got := range []struct {
					name string
					v    float64
					ref  float64
					eps  float64
				}{
					{"GemvRowsF32", float64(y32r[i]), ref32, 0x1p-24},
					{"GemvColsF32", float64(y32c[i]), ref32, 0x1p-24},
					{"GemvRowsF64", y64r[i], ref64, 0x1p-53},
					{"GemvColsF64", y64c[i], ref64, 0x1p-53},
				} {
					if d := math.Abs(got.v - got.ref); d > bound(got.eps, i) {
						t.Fatalf("%s at %s, %d×%d: y[%d] = %v, want %v (error %.3g > bound %.3g)",
							got.name, l, m, k, i, got.v, got.ref, d, bound(got.eps, i))
					}
				}
			}
		}
	}
}

// TestGemvArgs checks that bad sizes and short slices panic before any kernel runs, and
// that empty products leave y zero.
func TestGemvArgs(t *testing.T) {
	a, x, y := make([]float32, 12), make([]float32, 4), make([]float32, 3)
	for _, tc := range []struct {
		name string
		call func()
		msg  string // part of the panic's message
	}{
		{"negative m", func() { GemvRowsF32(-1, 4, a, 4, x, y) }, "invalid sizes"},
		{"negative k", func() { GemvColsF32(3, -1, a, 3, x, y) }, "invalid sizes"},
		{"lda < k", func() { GemvRowsF32(3, 4, a, 3, x, y) }, "invalid sizes"},
		{"lda < m", func() { GemvColsF32(3, 4, a, 2, x, y) }, "invalid sizes"},
		{"a short", func() { GemvRowsF32(3, 4, a[:11], 4, x, y) }, "out of range"},
		{"a short cols", func() { GemvColsF32(3, 4, a[:11], 3, x, y) }, "out of range"},
		{"x short", func() { GemvRowsF32(3, 4, a, 4, x[:3], y) }, "out of range"},
		{"y short", func() { GemvColsF32(3, 4, a, 3, x, y[:2]) }, "out of range"},
		{"overflow", func() { GemvRowsF64(math.MaxInt/2, 1, nil, 4, nil, nil) }, "overflow"},
	} {
		func() {
			defer func() {
				e := recover()
				if e == nil || !strings.Contains(fmt.Sprint(e), tc.msg) {
					t.Errorf("%s: panic %v, want one with %q", tc.name, e, tc.msg)
				}
			}()
			tc.call()
		}()
	}
	// An empty matrix needs no elements; k = 0 gives y = +0.
	GemvColsF32(0, 4, nil, 0, x, nil)
	for _, f := range []func(y []float32){
		func(y []float32) { GemvRowsF32(3, 0, nil, 0, nil, y) },
		func(y []float32) { GemvColsF32(3, 0, nil, 3, nil, y) },
	} {
		y := []float32{1, 2, 3}
		f(y)
		for i, v := range y {
			if v != 0 || math.Signbit(float64(v)) {
				t.Fatalf("k = 0: y[%d] = %v, want +0", i, v)
			}
		}
	}
}

func BenchmarkGemv(b *testing.B) {
	const m, k = 4096, 4096
	r := rand.New(rand.NewPCG(1, 2))
	a64, x64 := make([]float64, m*k), make([]float64, k)
	for i := range a64 {
		a64[i] = r.NormFloat64()
	}
	for i := range x64 {
		x64[i] = r.NormFloat64()
	}
	a32, x32 := toF32(a64), toF32(x64)
	y32, y64 := make([]float32, m), make([]float64, m)
	abf, af16 := make([]uint16, m*k), make([]uint16, m*k)
	f32ToBFloat16Go(abf, a32)
	f32ToFloat16Go(af16, a32)
	// The bytes of a dominate: the bench reports the speed at which a streams through.
	for _, isa := range testISAs() {
		for _, bc := range []struct {
			name  string
			bytes int
			run   func()
		}{
			{"RowsF32", 4 * m * k, func() { gemvRowsF32(isa, m, k, a32, k, x32, y32) }},
			{"ColsF32", 4 * m * k, func() { gemvColsF32(isa, m, k, a32, m, x32, y32) }},
			{"RowsF64", 8 * m * k, func() { gemvRowsF64(isa, m, k, a64, k, x64, y64) }},
			{"ColsF64", 8 * m * k, func() { gemvColsF64(isa, m, k, a64, m, x64, y64) }},
			{"RowsBF16", 2 * m * k, func() { gemvRowsHalf(isa, true, m, k, abf, k, x32, y32) }},
			{"RowsF16", 2 * m * k, func() { gemvRowsHalf(isa, false, m, k, af16, k, x32, y32) }},
			{"ColsBF16", 2 * m * k, func() { gemvColsHalf(isa, true, m, k, abf, m, x32, y32) }},
			{"ColsF16", 2 * m * k, func() { gemvColsHalf(isa, false, m, k, af16, m, x32, y32) }},
		} {
			b.Run(fmt.Sprintf("%s/%s/%dx%d", bc.name, isa, m, k), func(b *testing.B) {
				b.SetBytes(int64(bc.bytes))
				for b.Loop() {
					bc.run()
				}
			})
		}
	}
	// Short rows (an attention's scores against 512 cached keys of 64): the reductions of
	// the rows' lanes weigh as much as their products.
	const ms, ks = 512, 64
	for _, isa := range testISAs() {
		for _, bc := range []struct {
			name  string
			bytes int
			run   func()
		}{
			{"RowsF32", 4 * ms * ks, func() { gemvRowsF32(isa, ms, ks, a32, ks, x32[:ks], make([]float32, ms)) }},
			{"RowsF64", 8 * ms * ks, func() { gemvRowsF64(isa, ms, ks, a64, ks, x64[:ks], make([]float64, ms)) }},
			{"RowsBF16", 2 * ms * ks, func() { gemvRowsHalf(isa, true, ms, ks, abf, ks, x32[:ks], make([]float32, ms)) }},
		} {
			b.Run(fmt.Sprintf("%s/%s/%dx%d", bc.name, isa, ms, ks), func(b *testing.B) {
				b.SetBytes(int64(bc.bytes))
				for b.Loop() {
					bc.run()
				}
			})
		}
	}
	// A copy of as many bytes, for the memory's speed.
	b.Run(fmt.Sprintf("Copy/%dx%d", m, k), func(b *testing.B) {
		dst := make([]float32, m*k)
		b.SetBytes(int64(4 * m * k))
		for b.Loop() {
			copy(dst, a32)
		}
	})
}

// TestFastFMA32 checks fastFMA32 against the exactly computed x*y+z rounded to float32, on
// random operands and on ones built to land on midpoints, near overflow and in the
// subnormal range.
func TestFastFMA32(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	exact := func(x, y, z float32) float32 {
		if x != x || y != y || z != z || math.IsInf(float64(x), 0) || math.IsInf(float64(y), 0) || math.IsInf(float64(z), 0) {
			return float32(float64(x)*float64(y) + float64(z))
		}
		p := new(big.Float).SetPrec(400).Mul(big.NewFloat(float64(x)), big.NewFloat(float64(y)))
		p.Add(p, big.NewFloat(float64(z)))
		f, _ := p.Float32()
		return f
	}
	check := func(x, y, z float32) {
		if got, want := fastFMA32(x, y, z), exact(x, y, z); !sameFloat(got, want) {
			t.Fatalf("fastFMA32(%v, %v, %v) = %v, want %v", x, y, z, got, want)
		}
	}
	rnd := func() float32 {
		return math.Float32frombits(r.Uint32())
	}
	n := 200000
	if raceEnabled {
		n = 20000
	}
	for range n {
		check(rnd(), rnd(), rnd())
		x, y := float32(r.NormFloat64()), float32(r.NormFloat64())
		check(x, y, float32(r.NormFloat64()))
		// z cancels the high part of the product: the result holds the product's low bits,
		// on or near a midpoint.
		check(x, y, -float32(float64(x)*float64(y)))
		// The product plus a half ulp of z, and tiny products for subnormal results.
		zz := float32(r.NormFloat64())
		check(x*0x1p-24, math.Float32frombits(math.Float32bits(zz)&^0xfff|1), zz)
		check(x*0x1p-70, y*0x1p-70, float32(r.NormFloat64())*0x1p-140)
		check(math.MaxFloat32, 1+float32(r.IntN(4))*0x1p-23, float32(r.NormFloat64())*0x1p104)
		// Midpoints: z in [2^23, 2^24) has ulp 1; a product of exactly ±1/2, and one of
		// 1/2 - 2^-46·d², which rounds to 1/2 in float64 and must not be taken for a tie.
		z := float32(1<<23 + r.IntN(1<<23))
		d := float32(1 + r.IntN(1000))
		sgn := float32(1 - 2*r.IntN(2))
		check(0.5*sgn, 1, z)
		check(0.5*(1+d*0x1p-23)*sgn, 1-d*0x1p-23, z)
		check(0.5*(1+d*0x1p-23)*sgn, 1-d*0x1p-23, -z)
	}
}
