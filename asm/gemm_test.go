package asm

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"
)

func TestFma32(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, 3, 1e-45, -1e-45, 1.1754944e-38,
		math.MaxFloat32, -math.MaxFloat32, float32(math.Inf(1)), float32(math.Inf(-1)), 1 + 1.0/(1<<23), 1 - 1.0/(1<<24)}
	rnd := func() float32 {
		switch r.IntN(4) {
		case 0:
			return special[r.IntN(len(special))]
		case 1: // numbers close to a power of two, where ties happen
			return float32(math.Ldexp(1+float64(r.IntN(8))/(1<<23), r.IntN(20)-10)) * float32(1-2*r.IntN(2))
		}
		return math.Float32frombits(r.Uint32())
	}
	for range 200000 {
		x, y, z := rnd(), rnd(), rnd()
		got := fma32(x, y, z)
		want := exactFma32(x, y, z)
		if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("fma32(%v, %v, %v) = %v (%#x), want %v (%#x)", x, y, z, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
}

// exactFma32 is x*y+z rounded once, computed with math/big (finite cases) or float64 (the
// special values, where no rounding happens).
func exactFma32(x, y, z float32) float32 {
	for _, v := range []float32{x, y, z} {
		if math.IsInf(float64(v), 0) || v != v {
			return float32(float64(x)*float64(y) + float64(z))
		}
	}
	p := new(big.Float).SetPrec(2000).Mul(big.NewFloat(float64(x)), big.NewFloat(float64(y)))
	s := new(big.Float).SetPrec(2000).Add(p, big.NewFloat(float64(z)))
	if s.Sign() == 0 {
		// Exact zero: its sign follows IEEE 754 (-0 only when both terms are -0).
		return float32(float64(x)*float64(y) + float64(z))
	}
	f, _ := s.Float32()
	return f
}

func TestLevels(t *testing.T) {
	ls := Levels()
	if len(ls) == 0 || ls[0] != "generic" {
		t.Fatalf("Levels() = %v, want generic first", ls)
	}
	if !slices.Contains(ls, Level()) {
		t.Fatalf("Level() = %q is not among %v", Level(), ls)
	}
	best := ls[len(ls)-1]
	for _, c := range []struct{ env, want string }{
		{"", best}, {"generic", "generic"}, {" Generic ", "generic"}, {"bogus", best}, {"neon", best},
		{"avx512", best}, // avx512 is the best where it is available
	} {
		if c.env == "neon" && slices.Contains(ls, "neon") {
			continue
		}
		if got := chooseLevel(c.env).name; got != c.want {
			t.Errorf("CROSSBAR_CPU=%q chooses %q, want %q", c.env, got, c.want)
		}
	}
	if slices.Contains(ls, "avx2") {
		if got := chooseLevel("avx2").name; got != "avx2" {
			t.Errorf("CROSSBAR_CPU=avx2 chooses %q", got)
		}
	}
	if err := SetLevel("no-such-level"); err == nil {
		t.Error("SetLevel of an unknown level succeeded")
	}
	old := Level()
	for _, l := range ls {
		if err := SetLevel(l); err != nil || Level() != l {
			t.Errorf("SetLevel(%q): %v, Level() = %q", l, err, Level())
		}
	}
	_ = SetLevel(old)
}

func TestDefaultGemmParams(t *testing.T) {
	for _, l := range Levels() {
		for _, p := range []GemmParams{DefaultGemmParams[float32](l), DefaultGemmParams[float64](l)} {
			if p.Level != l || p.MR <= 0 || p.NR <= 0 || p.KC < 16 || p.MC < p.MR || p.MC%p.MR != 0 ||
				p.NC < p.NR || p.NC%p.NR != 0 {
				t.Errorf("level %s: implausible blocking %+v", l, p)
			}
		}
	}
	// The model must give something sane for caches cpuid failed to report, and for odd ones.
	for _, c := range []cacheSizes{readCaches(), {32 << 10, 256 << 10, 4 << 20}, {4096, 4096, 4096}, {48 << 10, 2 << 20, 260 << 20}} {
		for _, tile := range [][2]int{{4, 4}, {6, 16}, {12, 32}} {
			p := blisBlocking(c, 4, tile[0], tile[1])
			if p.KC < 16 || p.MC < tile[0] || p.NC < tile[1] {
				t.Errorf("caches %+v tile %v: %+v", c, tile, p)
			}
		}
	}
}

// kernelCase runs fn for every level, with its float32 and float64 kernels.
func forEachKernel(t *testing.T, fn func(t *testing.T, lv *level, f32 bool)) {
	for _, lv := range available {
		for _, f32 := range []bool{true, false} {
			name := lv.name + "/float64"
			if f32 {
				name = lv.name + "/float32"
			}
			t.Run(name, func(t *testing.T) { fn(t, lv, f32) })
		}
	}
}

func TestMicroKernels(t *testing.T) {
	forEachKernel(t, func(t *testing.T, lv *level, f32 bool) {
		if f32 {
			for _, mk := range kernelsOf[float32](lv) {
				testMicro(t, lv, mk)
			}
		} else {
			for _, mk := range kernelsOf[float64](lv) {
				testMicro(t, lv, mk)
			}
		}
	})
}

// testMicro checks a micro-kernel against gemmMicroGo, bit for bit for the assembly kernels
// (the generic one leaves fusing to the compiler), with misaligned panels and NaN guards
// around every row of the tile.
func testMicro[T Float](t *testing.T, lv *level, mk microKernel[T]) {
	r := rand.New(rand.NewPCG(7, uint64(mk.mr*100+mk.nr)))
	exact := lv != genericLevel
	nan := T(math.NaN())
	for _, k := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 64, 100, 257} {
		for _, beta := range []T{0, 1, -0.5} {
			for off := range 4 {
				ldc := mk.nr + off*3
				a := randSlice[T](r, off+mk.mr*k)[off:]
				b := randSlice[T](r, off+mk.nr*k)[off:]
				n := off + (mk.mr-1)*ldc + mk.nr + 8
				c := make([]T, n)
				for i := range c {
					c[i] = nan
				}
				inTile := func(o int) bool {
					o -= off
					return o >= 0 && o < mk.mr*ldc && o%ldc < mk.nr
				}
				for o := range c {
					if inTile(o) && beta != 0 {
						c[o] = T(r.Float64()*2 - 1)
					}
				}
				want := slices.Clone(c)
				gemmMicroGo(mk.mr, mk.nr, k, a, b, want[off:], ldc, beta)
				c0 := slices.Clone(c)
				mk.fn(k, a, b, c[off:], ldc, beta)
				// The kernels reading A or B where they are stored must give the packed
				// kernel's result bit for bit, and their Go references gemmMicroGo's.
				variant := func(name string, run, ref func(c []T)) {
					c2 := slices.Clone(c0)
					run(c2[off:])
					if o, ok := sameBits(c2, c); !ok {
						t.Fatalf("%dx%d %s k=%d beta=%v off=%d: element %d is %v, packed kernel %v", mk.mr, mk.nr, name, k, beta, off, o, c2[o], c[o])
					}
					if exact {
						w2 := slices.Clone(c0)
						ref(w2[off:])
						if o, ok := sameBits(w2, want); !ok {
							t.Fatalf("%s reference differs from gemmMicroGo at %d", name, o)
						}
					}
				}
				nanSlice := func(n int) []T {
					x := make([]T, n)
					for i := range x {
						x[i] = nan
					}
					return x
				}
				if mk.rowA != nil {
					// The panel of A as rows lda apart, NaN between them.
					lda := k + off + 1
					ra := nanSlice(off + (mk.mr-1)*lda + k + 3)
					for i := range mk.mr {
						for p := range k {
							ra[off+i*lda+p] = a[p*mk.mr+i]
						}
					}
					variant("rowA", func(c []T) { mk.rowA(k, ra[off:], lda, b, c, ldc, beta) },
						func(c []T) { gemmMicroRowAGo(mk.mr, mk.nr, k, ra[off:], lda, b, c, ldc, beta) })
				}
				if mk.colA != nil {
					// The panel of A as columns lda apart.
					lda := mk.mr + off + 1
					ca := nanSlice(off + max(0, k-1)*lda + mk.mr + 3)
					for p := range k {
						for i := range mk.mr {
							ca[off+p*lda+i] = a[p*mk.mr+i]
						}
					}
					variant("colA", func(c []T) { mk.colA(k, ca[off:], lda, b, c, ldc, beta) },
						func(c []T) { gemmMicroColAGo(mk.mr, mk.nr, k, ca[off:], lda, b, c, ldc, beta) })
				}
				if mk.rowB != nil {
					// The panel of B as rows ldb apart.
					ldb := mk.nr + off + 2
					rb := nanSlice(off + max(0, k-1)*ldb + mk.nr + 3)
					for p := range k {
						for j := range mk.nr {
							rb[off+p*ldb+j] = b[p*mk.nr+j]
						}
					}
					variant("rowB", func(c []T) { mk.rowB(k, a, rb[off:], ldb, c, ldc, beta) },
						func(c []T) { gemmMicroRowBGo(mk.mr, mk.nr, k, a, rb[off:], ldb, c, ldc, beta) })
				}
				for o := range c {
					got, w := c[o], want[o]
					if !inTile(o) {
						if got == got {
							t.Fatalf("k=%d beta=%v off=%d: guard element %d overwritten with %v", k, beta, off, o, got)
						}
						continue
					}
					i, j := (o-off)/ldc, (o-off)%ldc
					bad := got != w
					if !exact {
						bad = !(math.Abs(float64(got-w)) <= 1e-5*float64(k+1))
					}
					if bad {
						t.Fatalf("%dx%d k=%d beta=%v off=%d: c[%d][%d] = %v, want %v", mk.mr, mk.nr, k, beta, off, i, j, got, w)
					}
				}
			}
		}
	}
}

// sameBits reports whether x and y hold the same bits (any NaN matching any NaN), and the
// first index where they do not.
func sameBits[T Float](x, y []T) (int, bool) {
	for o := range x {
		if math.Float64bits(float64(x[o])) != math.Float64bits(float64(y[o])) && (x[o] == x[o] || y[o] == y[o]) {
			return o, false
		}
	}
	return 0, true
}

func randSlice[T Float](r *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(r.Float64()*2 - 1)
	}
	return s
}

// layout says how an operand or C is laid out in its slice.
type layout int

const (
	rowMajor layout = iota // unit column stride, padded rows
	colMajor               // unit row stride: a transposed operand
	strided                // neither stride is 1
	flipped                // negative strides
)

func (l layout) String() string {
	if l < 0 {
		return "even rows" // the 16-bit tests' own layout
	}
	return [...]string{"row", "col", "strided", "flipped"}[l]
}

// guardedMatrix lays out rows×cols random values in a NaN-filled slice, starting off elements
// in, and returns the view.
func guardedMatrix[T Float](r *rand.Rand, rows, cols int, l layout, off int, fill bool) Matrix[T] {
	var rs, cs, n int
	switch l {
	case rowMajor:
		rs, cs = cols+3, 1
	case colMajor:
		rs, cs = 1, rows+2
	case strided:
		rs, cs = 2*cols+1, 2
	case flipped:
		rs, cs = -(cols + 1), -1
	}
	n = off + 8
	if rows > 0 && cols > 0 {
		n += (rows-1)*abs(rs) + (cols-1)*abs(cs) + 1
	}
	x := Matrix[T]{Data: make([]T, n), RowStride: rs, ColStride: cs, Offset: off}
	if rs < 0 && rows > 0 {
		x.Offset += (rows - 1) * -rs
	}
	if cs < 0 && cols > 0 {
		x.Offset += (cols - 1) * -cs
	}
	for i := range x.Data {
		x.Data[i] = T(math.NaN())
	}
	for i := range rows {
		for j := range cols {
			v := T(0)
			if fill {
				v = T(r.Float64()*2 - 1)
			}
			x.Data[x.index(i, j)] = v
		}
	}
	return x
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

type gemmCase struct {
	m, n, k    int
	la, lb, lc layout
	off        int
	beta       float64
	prm        GemmParams
	kernel     int // 0: chosen by the shape; i > 0: the level's kernel i-1 (see kernelsOf)
}

func (c gemmCase) String() string {
	return fmt.Sprintf("%dx%dx%d A:%v B:%v C:%v off=%d beta=%v params=%+v kernel=%d", c.m, c.n, c.k, c.la, c.lb, c.lc, c.off, c.beta, c.prm, c.kernel)
}

// checkGemm runs one case and compares it with a float64 reference (error bounded by the
// usual γ_k·|A|·|B|), checks that nothing outside C changed, and returns C's slice.
func checkGemm[T Float](t *testing.T, r *rand.Rand, c gemmCase) []T {
	t.Helper()
	a := guardedMatrix[T](r, c.m, c.k, c.la, c.off, true)
	b := guardedMatrix[T](r, c.k, c.n, c.lb, (c.off+1)%4, true)
	cm := guardedMatrix[T](r, c.m, c.n, c.lc, (c.off+2)%4, c.beta != 0)
	if c.beta == 0 {
		for i := range c.m {
			for j := range c.n {
				cm.Data[cm.index(i, j)] = T(math.NaN()) // must not be read
			}
		}
	}
	c0 := slices.Clone(cm.Data)
	// Dense float64 copies of A (by rows) and B (by columns) keep the reference quick.
	ad, bd := make([]float64, c.m*c.k), make([]float64, c.k*c.n)
	for i := range c.m {
		for p := range c.k {
			ad[i*c.k+p] = float64(a.Data[a.index(i, p)])
		}
	}
	for p := range c.k {
		for j := range c.n {
			bd[j*c.k+p] = float64(b.Data[b.index(p, j)])
		}
	}
	if err := gemm(c.m, c.n, c.k, a, b, T(c.beta), cm, &c.prm, nil, c.kernel-1); err != nil {
		t.Fatalf("%v: %v", c, err)
	}
	eps := 0x1p-53
	if unsafe.Sizeof(T(0)) == 4 {
		eps = 0x1p-24
	}
	inC := make([]bool, len(cm.Data))
	for i := range c.m {
		ar := ad[i*c.k : i*c.k+c.k]
		for j := range c.n {
			bc := bd[j*c.k : j*c.k+c.k]
			o := cm.index(i, j)
			inC[o] = true
			var want, mag float64
			for p, x := range ar {
				x *= bc[p]
				want += x
				mag += math.Abs(x)
			}
			if c.beta != 0 {
				want += c.beta * float64(c0[o])
				mag += math.Abs(c.beta * float64(c0[o]))
			}
			got := float64(cm.Data[o])
			if tol := 2*float64(c.k+2)*eps*mag + 1e-300; !(math.Abs(got-want) <= tol) {
				t.Fatalf("%v: C[%d][%d] = %v, want %v (tolerance %.3g)", c, i, j, got, want, tol)
			}
		}
	}
	for o, v := range cm.Data {
		if !inC[o] && v == v {
			t.Fatalf("%v: element %d of C's slice, outside C, overwritten with %v", c, o, v)
		}
	}
	return cm.Data
}

func TestGemm(t *testing.T) {
	forEachKernel(t, func(t *testing.T, lv *level, f32 bool) {
		if f32 {
			testGemm[float32](t, lv)
		} else {
			testGemm[float64](t, lv)
		}
	})
}

func testGemm[T Float](t *testing.T, lv *level) {
	mk := kernelOf[T](lv)
	r := rand.New(rand.NewPCG(11, uint64(mk.mr*100+mk.nr)))
	prm := GemmParams{Level: lv.name}
	var cases []gemmCase
	// Every tail of the micro-tile, in both directions, with short and odd k.
	for m := 0; m <= mk.mr+1; m++ {
		for n := 0; n <= mk.nr+1; n++ {
			k := 1 + (m+n)%3*3
			cases = append(cases, gemmCase{m: m, n: n, k: k, la: layout(m % 2), lb: layout(n % 2), off: (m + n) % 4, beta: float64((m * n) % 2), prm: prm})
		}
	}
	// Sizes over 0..200 in every layout.
	sizes := []int{0, 1, 2, 3, 5, 7, 8, 13, 17, 31, 33, 48, 63, 64, 65, 97, 127, 128, 129, 150, 199, 200}
	random, big := 120, 200
	if raceEnabled {
		random, big = 40, 100
	}
	for i := range random {
		cases = append(cases, gemmCase{
			m: sizes[r.IntN(len(sizes))], n: sizes[r.IntN(len(sizes))], k: sizes[r.IntN(len(sizes))],
			la: layout(i % 4), lb: layout(i / 4 % 4), lc: layout(i / 16 % 4), off: r.IntN(4),
			beta: []float64{0, 1, -0.5}[i%3], prm: prm,
		})
	}
	for _, la := range []layout{rowMajor, colMajor} {
		for _, lb := range []layout{rowMajor, colMajor} {
			cases = append(cases, gemmCase{m: big, n: big, k: big, la: la, lb: lb, prm: prm, off: 1})
		}
	}
	// Small blocking, so that every loop of the blocked algorithm turns over several times
	// and stops on a partial block.
	tiny := GemmParams{MC: 2 * mk.mr, KC: 16, NC: 2 * mk.nr, Level: lv.name, Threads: 1}
	for i := range 8 {
		cases = append(cases, gemmCase{m: 5*mk.mr + 3, n: 5*mk.nr + 1, k: 53, la: layout(i % 4), lb: layout(i / 2 % 4), lc: layout(i % 3), beta: float64(i % 2), prm: tiny, off: i % 4})
	}
	nk := len(kernelsOf[T](lv))
	for i, c := range cases {
		checkGemm[T](t, r, c)
		if nk > 1 {
			// Every kernel of the level on every case, whatever the shape would choose.
			c.kernel = 1 + i%nk
			checkGemm[T](t, r, c)
		}
	}
	if testing.Short() || raceEnabled {
		return
	}
	// A large case, with the default blocking and threads, and a column-major C.
	checkGemm[T](t, r, gemmCase{m: 513, n: 517, k: 300, la: colMajor, lb: rowMajor, lc: rowMajor, prm: prm, off: 3})
	checkGemm[T](t, r, gemmCase{m: 300, n: 133, k: 517, la: rowMajor, lb: colMajor, lc: colMajor, beta: 1, prm: prm, off: 2})
}

// TestGemmThreads checks that the result does not depend on the number of threads, nor on how
// the work is split among them.
func TestGemmThreads(t *testing.T) {
	forEachKernel(t, func(t *testing.T, lv *level, f32 bool) {
		if f32 {
			testThreads[float32](t, lv)
		} else {
			testThreads[float64](t, lv)
		}
	})
}

func testThreads[T Float](t *testing.T, lv *level) {
	// Products this small would run on one thread: every worker gets work here.
	defer func(w, b int) { minGemmWorkPerThread, gemvBytesPerThread = w, b }(minGemmWorkPerThread, gemvBytesPerThread)
	minGemmWorkPerThread, gemvBytesPerThread = 48*48*48, 64<<10
	mk := kernelOf[T](lv)
	sizes := [][3]int{{150, 140, 130}, {3 * mk.mr, 400, 70}, {400, mk.nr + 1, 70}, {3000, 1, 70}, {1, 3000, 70}}
	if raceEnabled {
		sizes = [][3]int{{70, 60, 50}, {3 * mk.mr, 200, 20}}
	}
	kernels := []int{0}
	if len(kernelsOf[T](lv)) > 1 {
		kernels = append(kernels, 2)
	}
	for _, kernel := range kernels {
		for _, sz := range sizes {
			testThreadsShape[T](t, lv, mk, sz, kernel)
		}
	}
}

func testThreadsShape[T Float](t *testing.T, lv *level, mk microKernel[T], sz [3]int, kernel int) {
	{
		var first []T
		for i, threads := range []int{1, 2, 3, 7, 2, 3} {
			// The last two split among workers that share panels of B̃ narrower than C.
			prm := GemmParams{Threads: threads, Level: lv.name, MC: 4 * mk.mr, KC: 32}
			if i >= 4 {
				prm.NC = 2 * mk.nr
			}
			c := gemmCase{m: sz[0], n: sz[1], k: sz[2], beta: 1, prm: prm, kernel: kernel}
			got := checkGemm[T](t, rand.New(rand.NewPCG(1, 2)), c)
			if first == nil {
				first = got
				continue
			}
			for i := range got {
				if math.Float64bits(float64(got[i])) != math.Float64bits(float64(first[i])) && got[i] == got[i] {
					t.Fatalf("%v: element %d is %v with %d threads, %v with one", c, i, got[i], threads, first[i])
				}
			}
		}
	}
}

func TestGemmErrors(t *testing.T) {
	d := make([]float64, 12)
	ok := Matrix[float64]{Data: d, RowStride: 4, ColStride: 1}
	for _, c := range []struct {
		name    string
		m, n, k int
		a, b, c Matrix[float64]
		prm     *GemmParams
	}{
		{"negative size", -1, 2, 2, ok, ok, ok, nil},
		{"A too long", 3, 3, 5, ok, ok, ok, nil},
		{"B offset", 3, 3, 3, ok, Matrix[float64]{Data: d, Offset: 2, RowStride: 4, ColStride: 1}, ok, nil},
		{"negative stride out", 2, 2, 2, Matrix[float64]{Data: d, RowStride: -4, ColStride: 1}, ok, ok, nil},
		{"C broadcast", 2, 2, 2, ok, ok, Matrix[float64]{Data: d, RowStride: 0, ColStride: 1}, nil},
		{"unknown level", 2, 2, 2, ok, ok, ok, &GemmParams{Level: "bogus"}},
	} {
		err := Gemm(c.m, c.n, c.k, c.a, c.b, 0, c.c, c.prm)
		if err == nil || (c.name != "unknown level" && !errors.Is(err, ErrView)) {
			t.Errorf("%s: err = %v", c.name, err)
		}
	}
	// k = 0 scales C; a broadcast operand (zero strides) is fine.
	c := Matrix[float64]{Data: []float64{1, 2, 3, 4}, RowStride: 2, ColStride: 1}
	if err := Dgemm(2, 2, 0, ok, ok, 0.5, c); err != nil || !slices.Equal(c.Data, []float64{0.5, 1, 1.5, 2}) {
		t.Errorf("k=0: %v %v", err, c.Data)
	}
	bc := Matrix[float64]{Data: []float64{2}}
	if err := Dgemm(2, 2, 3, bc, bc, 0, c); err != nil || !slices.Equal(c.Data, []float64{12, 12, 12, 12}) {
		t.Errorf("broadcast operands: %v %v", err, c.Data)
	}
	cs := Matrix[float32]{Data: make([]float32, 4), RowStride: 2, ColStride: 1}
	as := Matrix[float32]{Data: []float32{1, 2, 3, 4}, RowStride: 2, ColStride: 1}
	if err := Sgemm(2, 2, 2, as, as, 0, cs); err != nil || !slices.Equal(cs.Data, []float32{7, 10, 15, 22}) {
		t.Errorf("Sgemm: %v %v", err, cs.Data)
	}
}

// TestPackRows4 checks the assembly packing of four rows against packRows4Go, with every
// tail of k, misaligned slices and guard bands.
func TestPackRows4(t *testing.T) {
	testPackRows4[float32](t, packRows4F32)
	testPackRows4[float64](t, packRows4F64)
}

func testPackRows4[T Float](t *testing.T, fn func(d, src []T, rs, kc, w int)) {
	if fn == nil {
		t.Skip("no assembly packing on this machine or build")
	}
	r := rand.New(rand.NewPCG(3, 3))
	nan := T(math.NaN())
	for _, w := range []int{4, 6, 12} {
		for kc := 0; kc <= 37; kc++ {
			for off := range 4 {
				rs := kc + off + 1
				src := randSlice[T](r, off+3*rs+kc+5)
				n := off + max(0, (kc-1)*w+4) + 7
				d, want := make([]T, n), make([]T, n)
				for i := range d {
					d[i], want[i] = nan, nan
				}
				if kc > 0 {
					packRows4Go(want[off:], src, off, rs, kc, w)
					fn(d[off:off+(kc-1)*w+4], src[off:off+3*rs+kc], rs, kc, w)
				}
				for i := range d {
					if math.Float64bits(float64(d[i])) != math.Float64bits(float64(want[i])) {
						t.Fatalf("w=%d kc=%d off=%d: d[%d] = %v, want %v", w, kc, off, i, d[i], want[i])
					}
				}
			}
		}
	}
}

// TestPackRows8 checks packRows8F32 against packRows4Go on rows 0-3 and 4-7, with kc
// around the unrolling by four and panels from 8 to 32 wide, NaN guards all round.
func TestPackRows8(t *testing.T) {
	if packRows8F32 == nil {
		t.Skip("no assembly packing on this machine or build")
	}
	r := rand.New(rand.NewPCG(4, 4))
	nan := float32(math.NaN())
	for _, w := range []int{8, 14, 16, 32} {
		for kc := 1; kc <= 37; kc++ {
			for off := range 4 {
				rs := kc + off + 1
				src := randSlice[float32](r, off+7*rs+kc+5)
				n := off + (kc-1)*w + 8 + 7
				d, want := make([]float32, n), make([]float32, n)
				for i := range d {
					d[i], want[i] = nan, nan
				}
				packRows4Go(want[off:], src, off, rs, kc, w)
				packRows4Go(want[off+4:], src, off+4*rs, rs, kc, w)
				packRows8F32(d[off:off+(kc-1)*w+8], src[off:off+7*rs+kc], rs, kc, w)
				if o, ok := sameBits(d, want); !ok {
					t.Fatalf("w=%d kc=%d off=%d: d[%d] = %v, want %v", w, kc, off, o, d[o], want[o])
				}
			}
		}
	}
}

// TestGemmEpilogue checks that the epilogue sees every element of C exactly once, with its
// final value and its coordinates, in every layout of C, with and without threads, and for
// the shapes that Gemm turns around (a column of C, a column-major C) or shortcuts (k = 0).
func TestGemmEpilogue(t *testing.T) {
	forEachKernel(t, func(t *testing.T, lv *level, f32 bool) {
		if f32 {
			testEpilogue[float32](t, lv)
		} else {
			testEpilogue[float64](t, lv)
		}
	})
}

func testEpilogue[T Float](t *testing.T, lv *level) {
	mk := kernelOf[T](lv)
	r := rand.New(rand.NewPCG(5, uint64(mk.mr)))
	tiny := GemmParams{MC: 2 * mk.mr, KC: 16, NC: 2 * mk.nr, Level: lv.name}
	shapes := [][3]int{{1, 1, 1}, {mk.mr + 1, mk.nr + 3, 40}, {37, 1, 20}, {1, 41, 20}, {5000, 1, 30}, {1, 5000, 30}, {6*mk.mr + 5, 3*mk.nr + 2, 70}, {9, 11, 0},
		{3, 41, 20}, {37, 2, 20}} // a few rows or columns of C, one at a time (gemvLines)
	for _, sz := range shapes {
		for _, lc := range []layout{rowMajor, colMajor, strided, flipped} {
			for _, threads := range []int{1, 3} {
				for _, prm := range []GemmParams{{Level: lv.name}, tiny} {
					prm.Threads = threads
					m, n, k := sz[0], sz[1], sz[2]
					a := guardedMatrix[T](r, m, k, rowMajor, 1, true)
					b := guardedMatrix[T](r, k, n, colMajor, 2, true)
					want := guardedMatrix[T](r, m, n, lc, 3, true)
					got := want
					got.Data = slices.Clone(want.Data)
					name := fmt.Sprintf("%dx%dx%d C:%v threads=%d params=%+v", m, n, k, lc, threads, prm)
					if err := Gemm(m, n, k, a, b, 0.5, want, &prm); err != nil {
						t.Fatal(name, err)
					}
					f := func(v T, i, j int) T { return v*2 + T(i) - T(j)/4 }
					for i := range m {
						for j := range n {
							want.Data[want.index(i, j)] = f(want.Data[want.index(i, j)], i, j)
						}
					}
					seen := make([]int32, m*n)
					epi := func(i0, j0, rows, cols int, c []T, off, rs, cs int) {
						if i0 < 0 || j0 < 0 || rows <= 0 || cols <= 0 || i0+rows > m || j0+cols > n {
							t.Errorf("%s: epilogue on %d×%d at (%d, %d)", name, rows, cols, i0, j0)
							return
						}
						for i := range rows {
							for j := range cols {
								atomic.AddInt32(&seen[(i0+i)*n+j0+j], 1)
								c[off+i*rs+j*cs] = f(c[off+i*rs+j*cs], i0+i, j0+j)
							}
						}
					}
					if err := GemmEpilogue(m, n, k, a, b, 0.5, got, &prm, epi); err != nil {
						t.Fatal(name, err)
					}
					for e, s := range seen {
						if s != 1 {
							t.Fatalf("%s: element (%d, %d) finished %d times", name, e/n, e%n, s)
						}
					}
					for o := range got.Data {
						if math.Float64bits(float64(got.Data[o])) != math.Float64bits(float64(want.Data[o])) && got.Data[o] == got.Data[o] {
							t.Fatalf("%s: element %d of C's slice is %v, want %v", name, o, got.Data[o], want.Data[o])
						}
					}
				}
			}
		}
	}
}

// TestBarrier runs goroutines through a barrier many times: none may pass generation g
// before all have reached it.
func TestBarrier(t *testing.T) {
	const workers, rounds = 4, 200
	b := newBarrier(workers)
	var arrived [rounds]atomic.Int32
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range rounds {
				arrived[g].Add(1)
				b.wait()
				if n := arrived[g].Load(); n != workers {
					t.Errorf("round %d: passed the barrier with %d of %d arrived", g, n, workers)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestGemmRowA checks that reading A unpacked (products with few columns), or B (few rows),
// gives what the packed path gives, bit for bit, with partial micro-panels, blocks of k and
// threads.
func TestGemmRowA(t *testing.T) {
	forEachKernel(t, func(t *testing.T, lv *level, f32 bool) {
		if f32 {
			testRowA[float32](t, lv)
		} else {
			testRowA[float64](t, lv)
		}
	})
}

func testRowA[T Float](t *testing.T, lv *level) {
	mk := kernelOf[T](lv)
	if mk.rowA == nil && mk.rowB == nil {
		t.Skip("no row-major kernel at this level")
	}
	defer func() { unpackedOK = true }()
	shapes := [][3]int{{5*mk.mr + 3, 1 + mk.nr/2, 300}, {40 * mk.mr, 2 * mk.nr, 77}, {mk.mr, 3, 1}, {301, 2*mk.nr - 1, 1000},
		// Few rows: B read unpacked.
		{3, 5*mk.nr + 3, 300}, {2*mk.mr + 1, 40 * mk.nr, 77}, {3 * mk.mr, mk.nr, 1000},
		// Few columns, A by columns.
		{5*mk.mr + 4, 1 + mk.nr/2, 300}, {40*mk.mr + 1, 2 * mk.nr, 77}, {301, 2 * mk.nr, 1000}, {281, mk.nr / 2, 500}}
	for _, sz := range shapes {
		for _, threads := range []int{1, 2} {
			m, n, k := sz[0], sz[1], sz[2]
			r := rand.New(rand.NewPCG(9, uint64(m)))
			la := rowMajor
			if i := sz[0] + sz[1]; i%2 == 1 {
				la = colMajor // A transposed: read by columns
			}
			a := guardedMatrix[T](r, m, k, la, 1, true)
			b := guardedMatrix[T](r, k, n, rowMajor, 2, true)
			var got [2][]T
			for i, ok := range []bool{true, false} {
				unpackedOK = ok
				c := guardedMatrix[T](r, m, n, rowMajor, 0, false)
				prm := GemmParams{Level: lv.name, Threads: threads, KC: 128}
				if err := Gemm(m, n, k, a, b, 0, c, &prm); err != nil {
					t.Fatal(err)
				}
				got[i] = c.Data
			}
			for o := range got[0] {
				if math.Float64bits(float64(got[0][o])) != math.Float64bits(float64(got[1][o])) && got[0][o] == got[0][o] {
					t.Fatalf("%v A:%v threads=%d: element %d is %v read unpacked, %v packed", sz, la, threads, o, got[0][o], got[1][o])
				}
			}
		}
	}
}

// TestGemmKernelParams checks that GemmParams.MR and NR choose a micro-kernel (each of
// MicroKernels, with the result of that kernel), that DefaultGemmParamsFor names what Gemm
// does with zero parameters, and that a tile the level does not have is an error.
func TestGemmKernelParams(t *testing.T) {
	for _, lv := range available {
		for _, sz := range [][3]int{{37, 16, 50}, {40, 41, 30}, {9, 300, 20}} {
			m, n, k := sz[0], sz[1], sz[2]
			r := rand.New(rand.NewPCG(6, uint64(m)))
			a := guardedMatrix[float32](r, m, k, rowMajor, 0, true)
			b := guardedMatrix[float32](r, k, n, rowMajor, 0, true)
			run := func(p GemmParams, kernel int) []float32 {
				c := guardedMatrix[float32](r, m, n, rowMajor, 0, false)
				if err := gemm(m, n, k, a, b, 0, c, &p, nil, kernel); err != nil {
					t.Fatalf("%s %v %+v: %v", lv.name, sz, p, err)
				}
				return c.Data
			}
			for i, tile := range MicroKernels[float32](lv.name) {
				got := run(GemmParams{Level: lv.name, MR: tile[0], NR: tile[1]}, -1)
				if o, ok := sameBits(got, run(GemmParams{Level: lv.name}, i)); !ok {
					t.Errorf("%s %v: MR×NR %v differs from kernel %d at %d", lv.name, sz, tile, i, o)
				}
			}
			def := DefaultGemmParamsFor[float32](lv.name, m, n)
			if o, ok := sameBits(run(def, -1), run(GemmParams{Level: lv.name}, -1)); !ok {
				t.Errorf("%s %v: DefaultGemmParamsFor %+v differs from zero parameters at %d", lv.name, sz, def, o)
			}
		}
		c := Matrix[float32]{Data: make([]float32, 4), RowStride: 2, ColStride: 1}
		err := Gemm(2, 2, 2, c, c, 0, Matrix[float32]{Data: make([]float32, 4), RowStride: 2, ColStride: 1}, &GemmParams{Level: lv.name, MR: 5, NR: 7})
		if !errors.Is(err, ErrView) {
			t.Errorf("%s: a 5×7 kernel: %v, want an error wrapping ErrView", lv.name, err)
		}
	}
}

// TestGemmFewLines checks products with 2 to 4 rows or columns of C, which gemv computes a
// line after another over bands of the matrix (rows of it, or pieces of its columns), bit for
// bit against the same product a line at a time (one row or column of C, on the whole
// matrix): the matrix stored by rows and by columns, long enough for many bands and pieces,
// on one worker and three.
func TestGemmFewLines(t *testing.T) {
	forEachKernel(t, func(t *testing.T, lv *level, f32 bool) {
		if f32 {
			testGemmFewLines[float32](t, lv)
		} else {
			testGemmFewLines[float64](t, lv)
		}
	})
}

func testGemmFewLines[T Float](t *testing.T, lv *level) {
	r := rand.New(rand.NewPCG(8, 9))
	const long, k = 3000, 300
	for _, lines := range []int{2, 3, 4} {
		for _, l := range []layout{rowMajor, colMajor} {
			for _, threads := range []int{1, 3} {
				prm := GemmParams{Level: lv.name, Threads: threads}
				for _, rowsOfC := range []bool{true, false} {
					// lines rows of C: A lines×k, the matrix B (layout l); or lines columns:
					// the matrix A (layout l), B k×lines.
					m, n := lines, long
					a := guardedMatrix[T](r, m, k, rowMajor, 1, true)
					b := guardedMatrix[T](r, k, n, l, 2, true)
					if !rowsOfC {
						m, n = long, lines
						a = guardedMatrix[T](r, m, k, l, 1, true)
						b = guardedMatrix[T](r, k, n, colMajor, 2, true)
					}
					c := guardedMatrix[T](r, m, n, rowMajor, 3, false)
					if err := Gemm(m, n, k, a, b, 0, c, &prm); err != nil {
						t.Fatal(err)
					}
					for i := range lines {
						ai, bi, ci := a, b, c
						rows, cols := 1, n // the line alone: a row of C, or a column
						if rowsOfC {
							ai.Offset += i * a.RowStride
							ci.Offset += i * c.RowStride
						} else {
							rows, cols = m, 1
							bi.Offset += i * b.ColStride
							ci.Offset += i * c.ColStride
						}
						one := guardedMatrix[T](r, rows, cols, rowMajor, 4, false)
						if err := Gemm(rows, cols, k, ai, bi, 0, one, &prm); err != nil {
							t.Fatal(err)
						}
						for e := range rows * cols {
							got, want := ci.Data[ci.index(e/cols, e%cols)], one.Data[one.index(e/cols, e%cols)]
							if !sameFloat(got, want) {
								t.Fatalf("%d lines (rows of C %v), matrix %v, threads %d: line %d element %d is %v, a line alone gives %v",
									lines, rowsOfC, l, threads, i, e, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// TestGemmTurned checks products with few rows and a B stored by columns, which Gemm
// computes turned around into a scratch matrix (turnedOK): bit for bit the product computed
// the usual way (the same products in the same order), on one thread and three, with an
// epilogue that sees every element once, and within the float64 reference's bound.
func TestGemmTurned(t *testing.T) {
	for _, lv := range available {
		mk := kernelOf[float32](lv)
		if mk.rowA == nil {
			continue
		}
		t.Run(lv.name, func(t *testing.T) {
			defer func(w, g int) { turnedMinWeight, minGemmWorkPerThread = w, g }(turnedMinWeight, minGemmWorkPerThread)
			minGemmWorkPerThread = 16 * 16 * 16
			r := rand.New(rand.NewPCG(8, 9))
			for _, sh := range [][3]int{{16, 300, 70}, {2*mk.nr - 3, 100, 333}, {2 * mk.nr, 64, 20}, {20, 1000, 9}} {
				m, n, k := sh[0], sh[1], sh[2]
				for _, threads := range []int{1, 3} {
					for _, withEpi := range []bool{false, true} {
						name := fmt.Sprintf("%dx%dx%d threads=%d epilogue=%v", m, n, k, threads, withEpi)
						a := guardedMatrix[float32](r, m, k, rowMajor, 1, true)
						b := guardedMatrix[float32](r, k, n, colMajor, 2, true)
						prm := &GemmParams{Level: lv.name, Threads: threads}
						var got, want []float32
						for _, turn := range []bool{false, true} {
							turnedMinWeight = 1 << 62
							if turn {
								turnedMinWeight = 1
							}
							c := guardedMatrix[float32](r, m, n, rowMajor, 3, false)
							seen := make([]int, len(c.Data))
							var epi Epilogue[float32]
							if withEpi {
								epi = func(i, j, rows, cols int, cd []float32, off, rs, cs int) {
									for x := range rows {
										for y := range cols {
											o := off + x*rs + y*cs
											seen[o]++
											cd[o] = 2*cd[o] + float32(i+x) - float32(j+y)
										}
									}
								}
							}
							if err := GemmEpilogue(m, n, k, a, b, 0, c, prm, epi); err != nil {
								t.Fatalf("%s: %v", name, err)
							}
							for i := range m {
								for j := range n {
									if o := c.index(i, j); withEpi && seen[o] != 1 {
										t.Fatalf("%s turned=%v: the epilogue saw C[%d, %d] %d times", name, turn, i, j, seen[o])
									}
								}
							}
							if turn {
								got = c.Data
							} else {
								want = c.Data
							}
						}
						if o, ok := sameBits(got, want); !ok {
							t.Fatalf("%s: element %d of C's slice is %v turned around, %v as it is", name, o, got[o], want[o])
						}
					}
				}
			}
			// And the float64 reference, through checkGemm.
			turnedMinWeight = 1
			checkGemm[float32](t, r, gemmCase{m: 40, n: 200, k: 50, la: rowMajor, lb: colMajor, lc: rowMajor, prm: GemmParams{Level: lv.name}})
		})
	}
}
