package asm

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/internal/openblas"
)

// The GEMM benchmarks: C = A·B for square row-major matrices, with every kernel level of this
// machine and OpenBLAS side by side, in GFLOP/s. OpenBLAS's name says which of its kernels ran
// (OPENBLAS_CORETYPE chooses them). Threads follow GOMAXPROCS on both sides, so -cpu 1
// measures one core:
//
//	OPENBLAS_CORETYPE=SkylakeX go test -run NONE -bench 'gemm//n=(1024|2048)$' -cpu 1 ./asm
//	OPENBLAS_CORETYPE=Haswell go test -run NONE -bench 'gemm/impl=(avx2|openblas)' -cpu 1 ./asm
//
// Sizes over 1024 are left out with -short.
var gemmBenchSizes = []int{256, 512, 1024, 2048, 4096}

func BenchmarkSgemm(b *testing.B) { benchGemm[float32](b) }
func BenchmarkDgemm(b *testing.B) { benchGemm[float64](b) }

func benchGemm[T Float](b *testing.B) {
	for _, n := range gemmBenchSizes {
		if n > 1024 && testing.Short() {
			continue
		}
		r := rand.New(rand.NewPCG(1, uint64(n)))
		a, bb, c := randSlice[T](r, n*n), randSlice[T](r, n*n), make([]T, n*n)
		for _, l := range Levels() {
			b.Run(fmt.Sprintf("impl=%s/n=%d", l, n), func(b *testing.B) {
				if l == "generic" && n > 1024 {
					b.Skip("the generic level is too slow to matter at this size")
				}
				prm := &GemmParams{Level: l}
				run := func() {
					err := Gemm(n, n, n, Matrix[T]{Data: a, RowStride: n, ColStride: 1}, Matrix[T]{Data: bb, RowStride: n, ColStride: 1},
						0, Matrix[T]{Data: c, RowStride: n, ColStride: 1}, prm)
					if err != nil {
						b.Fatal(err)
					}
				}
				measure(b, n, run)
			})
		}
		err := openblas.Available()
		name := "openblas"
		if err == nil {
			name += "-" + openblas.CoreType()
		}
		b.Run(fmt.Sprintf("impl=%s/n=%d", name, n), func(b *testing.B) {
			if err != nil {
				b.Skipf("OpenBLAS not available (apt-get install libopenblas0): %v", err)
			}
			openblas.SetThreads(runtime.GOMAXPROCS(0))
			var run func()
			switch a := any(a).(type) {
			case []float32:
				bb, c := any(bb).([]float32), any(c).([]float32)
				run = func() {
					if err := openblas.Sgemm(false, false, n, n, n, 1, a, n, bb, n, 0, c, n); err != nil {
						b.Fatal(err)
					}
				}
			case []float64:
				bb, c := any(bb).([]float64), any(c).([]float64)
				run = func() {
					if err := openblas.Dgemm(false, false, n, n, n, 1, a, n, bb, n, 0, c, n); err != nil {
						b.Fatal(err)
					}
				}
			}
			measure(b, n, run)
			// OpenBLAS's idle worker threads spin for a while (2^28 cycles by default):
			// let them stop before the next case is measured.
			time.Sleep(300 * time.Millisecond)
		})
	}
}

// measure runs one warm-up call, then times b.N calls and reports GFLOP/s.
func measure(b *testing.B, n int, run func()) {
	run()
	b.ResetTimer()
	t0 := time.Now()
	for range b.N {
		run()
	}
	el := time.Since(t0)
	b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/el.Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGemmMicro measures each micro-kernel alone, on panels that stay in L1: the ceiling
// of the blocked GEMM.
func BenchmarkGemmMicro(b *testing.B) {
	for _, lv := range available {
		for _, mk := range kernelsOf[float32](lv) {
			b.Run(fmt.Sprintf("impl=%s/float32/%dx%d", lv.name, mk.mr, mk.nr), func(b *testing.B) { benchMicro(b, mk, 1) })
		}
		for _, mk := range kernelsOf[float64](lv) {
			b.Run(fmt.Sprintf("impl=%s/float64/%dx%d", lv.name, mk.mr, mk.nr), func(b *testing.B) { benchMicro(b, mk, 1) })
		}
		for _, mk := range pairKernelsOf(lv) {
			b.Run(fmt.Sprintf("impl=%s/bfloat16/%dx%d", lv.name, mk.mr, mk.nr), func(b *testing.B) { benchMicro(b, mk, 2) })
		}
	}
}

// benchMicro times mk on k steps of kPerStep products each.
func benchMicro[T Float](b *testing.B, mk microKernel[T], kPerStep int) {
	const k = 256
	r := rand.New(rand.NewPCG(1, 1))
	a, bb, c := randSlice[T](r, mk.mr*k), randSlice[T](r, mk.nr*k), make([]T, mk.mr*mk.nr)
	t0 := time.Now()
	for range b.N {
		mk.fn(k, a, bb, c, mk.nr, 1)
	}
	b.ReportMetric(float64(2*kPerStep*mk.mr*mk.nr*k)*float64(b.N)/time.Since(t0).Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGemmBF16 measures GemmMixed on two bfloat16 matrices (square, row-major), multiplied
// in pairs where the CPU has AVX512_BF16 and widened to float32 as they are packed, beside
// the float32 GEMM of the same values (crossbar's, and OpenBLAS's SGEMM), in GFLOP/s:
//
//	OPENBLAS_CORETYPE=SkylakeX go test -run NONE -bench GemmBF16 ./asm
func BenchmarkGemmBF16(b *testing.B) {
	for _, n := range []int{512, 1024, 2048} {
		if n > 1024 && testing.Short() {
			continue
		}
		r := rand.New(rand.NewPCG(2, uint64(n)))
		af, bf, c := randSlice[float32](r, n*n), randSlice[float32](r, n*n), make([]float32, n*n)
		ha := halfOf(Matrix[float32]{Data: af, RowStride: n, ColStride: 1}, true)
		hb := halfOf(Matrix[float32]{Data: bf, RowStride: n, ColStride: 1}, true)
		cm := Matrix[float32]{Data: c, RowStride: n, ColStride: 1}
		for _, impl := range []string{"pairs", "widened", "float32"} {
			b.Run(fmt.Sprintf("impl=%s/n=%d", impl, n), func(b *testing.B) {
				if impl == "pairs" && active.Load().b.fn == nil {
					b.Skip("this CPU has no AVX512_BF16")
				}
				pairsOK = impl == "pairs"
				defer func() { pairsOK = true }()
				run := func() {
					var err error
					if impl == "float32" {
						err = Sgemm(n, n, n, Matrix[float32]{Data: af, RowStride: n, ColStride: 1}, Matrix[float32]{Data: bf, RowStride: n, ColStride: 1}, 0, cm)
					} else {
						err = GemmMixed(n, n, n, Operand{Half: ha}, Operand{Half: hb}, 0, cm, nil, nil)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				measure(b, n, run)
			})
		}
		err := openblas.Available()
		b.Run(fmt.Sprintf("impl=openblas-sgemm/n=%d", n), func(b *testing.B) {
			if err != nil {
				b.Skipf("OpenBLAS not available (apt-get install libopenblas0): %v", err)
			}
			openblas.SetThreads(runtime.GOMAXPROCS(0))
			measure(b, n, func() {
				if err := openblas.Sgemm(false, false, n, n, n, 1, af, n, bf, n, 0, c, n); err != nil {
					b.Fatal(err)
				}
			})
			time.Sleep(300 * time.Millisecond)
		})
	}
}
