package tensor

import (
	"fmt"
	"testing"
)

// BenchmarkOps times composite operations on a realized 4096 x 4096 Float32 tensor on the
// default device, each next to a negation of the same tensor: the negation reads and writes
// every element once, so an op's ratio to it says how far the op is from memory speed.
func BenchmarkOps(b *testing.B) {
	const n = 4096
	x := RandNormal(1, Float32, n, n)
	if err := x.Realize(); err != nil {
		b.Fatal(err)
	}
	defer x.Free()
	scale, scale64 := Ones(Float32, n), Ones(Float32, 64)
	rev := Arange(n-1, -1, -1, Int64) // every row (or column) gathered, in reverse
	if err := rev.Realize(); err != nil {
		b.Fatal(err)
	}
	zero := Scalar[float32](0)
	ops := []struct {
		name string
		f    func() *Tensor
	}{
		{"neg", x.Neg},
		{"cumsum rows", func() *Tensor { return x.CumSum(1, false, false) }},
		{"cumsum columns", func() *Tensor { return x.CumSum(0, false, true) }},
		{"cumsum one row", func() *Tensor { return x.Reshape(n*n).CumSum(0, false, false) }},
		{"cumsum 4 rows", func() *Tensor { return x.Reshape(4, -1).CumSum(1, true, false) }},
		{"cumsum 64 rows", func() *Tensor { return x.Reshape(64, -1).CumSum(1, false, false) }},
		{"softmax", func() *Tensor { return x.Softmax(-1) }},
		{"softmax rows of 64", func() *Tensor { return x.Reshape(-1, 64).Softmax(-1) }},
		{"sum rows of 64", func() *Tensor { return x.Reshape(-1, 64).Sum(-1) }},
		{"sum rows of 16", func() *Tensor { return x.Reshape(-1, 16).Sum(-1) }},
		{"max rows of 16", func() *Tensor { return x.Reshape(-1, 16).Max(-1) }},
		{"logsoftmax", func() *Tensor { return x.LogSoftmax(-1) }},
		{"layernorm", func() *Tensor { return x.LayerNorm(-1, scale, nil, 1e-5) }},
		{"layernorm rows of 64", func() *Tensor { return x.Reshape(-1, 64).LayerNorm(-1, scale64, nil, 1e-5) }},
		{"concat", func() *Tensor { return Concat(0, x.Slice(0, 0, n/2, 1), x.Slice(0, n/2, n, 1)) }},
		{"tril", func() *Tensor { return x.Tril(0) }},
		{"where", func() *Tensor { return Where(x.Greater(zero), x, x.Neg()) }},
		{"gather rows", func() *Tensor { return x.Gather(0, rev) }},
		{"gather columns", func() *Tensor { return x.Gather(1, rev) }},
		{"argmax", func() *Tensor { return x.ArgMax(1) }},
		{"round", x.Round},
		{"sin", x.Sin},
		{"cast float16", func() *Tensor { return x.Cast(Float16) }},
		{"square", func() *Tensor { return x.Pow(Scalar[float32](2)) }},
		{"pow 0.5", func() *Tensor { return x.Pow(Scalar[float32](0.5)) }},
		{"cube", func() *Tensor { return x.Pow(Scalar[float32](3)) }}, // a GELU's tanh approximation takes x**3
		{"mod 0.75", func() *Tensor { return x.Mod(Scalar[float32](0.75)) }},
		{"fmod 0.75", func() *Tensor { return x.FMod(Scalar[float32](0.75)) }},
		{"softplus", x.Softplus},
		{"randnormal", func() *Tensor { return RandNormal(5, Float32, n, n) }},
		{"randuniform", func() *Tensor { return RandUniform(5, Float32, n, n) }},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			b.SetBytes(2 * 4 * n * n)
			for b.Loop() {
				y := op.f()
				if err := y.Realize(); err != nil {
					b.Fatal(fmt.Errorf("%s: %w", op.name, err))
				}
				y.Free()
			}
		})
	}
}

// BenchmarkNN times convolutions and pooling on a realized [8, 64, 56, 56] Float32 input (a
// ResNet stage; the stem convolution takes [8, 3, 224, 224]) on the default device, next to
// a negation of the input.
func BenchmarkNN(b *testing.B) {
	x := RandNormal(2, Float32, 8, 64, 56, 56)
	w := RandNormal(3, Float32, 64, 64, 3, 3)
	dw := RandNormal(4, Float32, 64, 1, 3, 3)
	dw7 := RandNormal(5, Float32, 64, 1, 7, 7)
	img := RandNormal(6, Float32, 8, 3, 224, 224) // a ResNet stem's input
	stem := RandNormal(7, Float32, 64, 3, 7, 7)
	scale, shift := RandNormal(8, Float32, 1, 64, 1, 1), RandNormal(9, Float32, 1, 64, 1, 1)
	for _, t := range []*Tensor{x, w, dw, dw7, img, stem, scale, shift} {
		if err := t.Realize(); err != nil {
			b.Fatal(err)
		}
		defer t.Free()
	}
	same := []int{1, 1, 1, 1}
	ops := []struct {
		name  string
		flops float64 // multiply-adds count two
		f     func() *Tensor
	}{
		{"neg", 0, x.Neg},
		{"channel scale and shift", 0, func() *Tensor { return x.Mul(scale).Add(shift) }}, // an inference batch norm
		{"conv 3x3", 2 * 8 * 64 * 56 * 56 * 64 * 9, func() *Tensor { return x.Conv(w, ConvOptions{Pads: same}) }},
		{"depthwise 3x3", 2 * 8 * 64 * 56 * 56 * 9, func() *Tensor { return x.Conv(dw, ConvOptions{Pads: same, Groups: 64}) }},
		{"depthwise 7x7", 2 * 8 * 64 * 56 * 56 * 49, func() *Tensor {
			return x.Conv(dw7, ConvOptions{Pads: []int{3, 3, 3, 3}, Groups: 64})
		}},
		{"stem 7x7 stride 2", 2 * 8 * 64 * 112 * 112 * 3 * 49, func() *Tensor {
			return img.Conv(stem, ConvOptions{Strides: []int{2, 2}, Pads: []int{3, 3, 3, 3}})
		}},
		{"maxpool 2x2", 0, func() *Tensor { return x.MaxPool(PoolOptions{Kernel: []int{2, 2}, Strides: []int{2, 2}}) }},
		{"avgpool 3x3", 0, func() *Tensor { return x.AvgPool(PoolOptions{Kernel: []int{3, 3}, Pads: same}) }},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			for b.Loop() {
				y := op.f()
				if err := y.Realize(); err != nil {
					b.Fatal(fmt.Errorf("%s: %w", op.name, err))
				}
				y.Free()
			}
			if op.flops > 0 {
				b.ReportMetric(op.flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			}
		})
	}
}

// BenchmarkHalf times a 1024 x 1024 product, matrix-vector products (the matrix as it is and
// transposed, as a linear layer stores its weight), a sum and a softmax in
// Float32, BFloat16 and Float16 on the default device: on the CPU the 16-bit dtypes are
// computed in float32, so their ratio to Float32 is the cost of their conversions.
func BenchmarkHalf(b *testing.B) {
	const n = 1024
	for _, dt := range []DType{Float32, BFloat16, Float16} {
		x := RandNormal(1, Float32, n, n).Cast(dt)
		w := RandNormal(2, Float32, n, n).Cast(dt)
		v := RandNormal(3, Float32, 1, n).Cast(dt)
		realizeAll(b, x, w, v)
		runOps(b, " "+dt.String(), []benchOp{
			{"matmul", func() *Tensor { return x.MatMul(w) }},
			{"matvec", func() *Tensor { return v.MatMul(w) }},
			{"matvec of a transposed weight", func() *Tensor { return v.MatMul(w.Transpose()) }}, // a linear layer's [out, in] weight
			{"add", func() *Tensor { return x.Add(w) }},
			{"softmax", func() *Tensor { return x.Softmax(-1) }},
		})
	}
}

// benchOp is an operation that a benchmark times: f builds the tensor to realize.
type benchOp struct {
	name string
	f    func() *Tensor
}

// realizeAll realizes the inputs ts of a benchmark, freed when it ends.
func realizeAll(b *testing.B, ts ...*Tensor) {
	for _, t := range ts {
		if err := t.Realize(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { t.Free() })
	}
}

// benchWeight is a realized tensor of dt of normal values times 0.03 (a model's weight or
// activation), freed when the benchmark ends.
func benchWeight(b *testing.B, dt DType, seed uint64, shape ...int) *Tensor {
	t := RandNormal(seed, Float32, shape...).Mul(Scalar[float32](0.03)).Cast(dt)
	realizeAll(b, t)
	return t
}

// runOps times each op as a sub-benchmark named after it and suffix, realizing and freeing
// its result each time.
func runOps(b *testing.B, suffix string, ops []benchOp) {
	for _, op := range ops {
		b.Run(op.name+suffix, func(b *testing.B) {
			for b.Loop() {
				y := op.f()
				if err := y.Realize(); err != nil {
					b.Fatal(fmt.Errorf("%s%s: %w", op.name, suffix, err))
				}
				y.Free()
			}
		})
	}
}

// BenchmarkLinear measures a linear layer's product, x [m, 4096] by a weight stored
// [4096, 4096] ([out, in]) and transposed, with m rows of a batch or a prompt (1: a step of
// decoding), in each float dtype: the 16-bit weights are widened to float32 as the GEMM
// packs them, or as the matrix-vector kernels read them.
func BenchmarkLinear(b *testing.B) {
	const in, out = 4096, 4096
	for _, dt := range []DType{Float32, BFloat16, Float16} {
		w := RandNormal(2, Float32, out, in).Cast(dt)
		if err := w.Realize(); err != nil {
			b.Fatal(err)
		}
		defer w.Free()
		for _, m := range []int{1, 4, 64, 512} {
			x := RandNormal(1, Float32, m, in).Cast(dt)
			if err := x.Realize(); err != nil {
				b.Fatal(err)
			}
			defer x.Free()
			b.Run(fmt.Sprintf("%v m=%d", dt, m), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					y := x.MatMul(w.Transpose())
					if err := y.Realize(); err != nil {
						b.Fatal(err)
					}
					y.Free()
				}
			})
		}
	}
}

// BenchmarkTransformerBlock times a transformer encoder block on 128 tokens of width 1024
// (16 heads of 64; an MLP of 4096 with the tanh GELU, whose x**3 is a constant power; a layer
// norm after each residual) in Float32 and BFloat16, every weight [out, in] and transposed:
// the ops of a model together, where an op's slow path among fast ones shows.
func BenchmarkTransformerBlock(b *testing.B) {
	const s, d, h, f = 128, 1024, 16, 4096
	for _, dt := range []DType{Float32, BFloat16} {
		param := func(seed uint64, shape ...int) *Tensor { return benchWeight(b, dt, seed, shape...) }
		x := param(1, s, d)
		wq, wk, wv, wo := param(2, d, d), param(3, d, d), param(4, d, d), param(5, d, d)
		w1, w2 := param(6, f, d), param(7, d, f)
		gain := param(8, d)
		c := func(v float64) *Tensor { return Full(v, dt) }
		heads := func(t *Tensor) *Tensor { return t.Reshape(s, h, d/h).Permute(1, 0, 2) }
		block := func() *Tensor {
			q, k, v := heads(x.MatMul(wq.Transpose())), heads(x.MatMul(wk.Transpose())), heads(x.MatMul(wv.Transpose()))
			att := q.MatMul(k.Permute(0, 2, 1)).Mul(c(0.125)).Softmax(-1).MatMul(v).Permute(1, 0, 2).Reshape(s, d)
			y := x.Add(att.MatMul(wo.Transpose())).LayerNorm(-1, gain, nil, 1e-5)
			u := y.MatMul(w1.Transpose())
			gelu := u.Mul(c(0.5)).Mul(c(1).Add(c(0.7978845608).Mul(u.Add(u.Pow(c(3)).Mul(c(0.044715)))).Tanh()))
			return y.Add(gelu.MatMul(w2.Transpose())).LayerNorm(-1, gain, nil, 1e-5)
		}
		b.Run(dt.String(), func(b *testing.B) {
			for b.Loop() {
				y := block()
				if err := y.Realize(); err != nil {
					b.Fatal(err)
				}
				y.Free()
			}
		})
	}
}

// BenchmarkSmall times operations on small and medium Float32 tensors (n × n, and vectors of
// n² elements), where starting a second thread, allocating the result and dispatching the
// kernel weigh as much as the arithmetic: a decoding step's and a small model's regime.
func BenchmarkSmall(b *testing.B) {
	for _, n := range []int{64, 128, 256} {
		x := RandNormal(1, Float32, n, n)
		w := RandNormal(2, Float32, n, n)
		v := RandNormal(3, Float32, n*n)
		realizeAll(b, x, w, v)
		runOps(b, fmt.Sprintf(" %d", n), []benchOp{
			{"matmul", func() *Tensor { return x.MatMul(w) }},
			{"add", func() *Tensor { return v.Add(v) }},
			{"exp", v.Exp},
			{"sum", func() *Tensor { return v.Sum() }},
			{"sum of columns", func() *Tensor { return x.Sum(0) }},
			{"transpose plus", func() *Tensor { return x.Transpose().Add(x) }},
		})
	}
}

// BenchmarkDecodeStep times one step of decoding of a 1024-wide model with 16 heads: RMS
// norms, rotary embeddings of the query and key, the key and value appended to caches that
// grow from 512 tokens to 1024 (then start again; the old caches freed each step, as a
// decoding loop does), attention over the caches, and a gated SiLU MLP of 2816.
func BenchmarkDecodeStep(b *testing.B) {
	const d, h, hd, f, ctx = 1024, 16, 64, 2816, 512
	for _, dt := range []DType{Float32, BFloat16} {
		param := func(seed uint64, shape ...int) *Tensor { return benchWeight(b, dt, seed, shape...) }
		x := param(1, 1, d)
		wq, wk, wv, wo := param(2, d, d), param(3, d, d), param(4, d, d), param(5, d, d)
		w1, w3, w2 := param(6, f, d), param(7, f, d), param(8, d, f)
		g1, g2 := param(9, d), param(10, d)
		cos, sin := param(13, 1, hd/2), param(14, 1, hd/2)
		kc0, vc0 := param(11, h, ctx, hd), param(12, h, ctx, hd)
		c := func(v float64) *Tensor { return Full(v, dt) }
		rms := func(t, g *Tensor) *Tensor {
			return t.Mul(t.Mul(t).Mean(-1).Reshape(1, 1).Add(c(1e-5)).Pow(c(-0.5))).Mul(g)
		}
		rope := func(t *Tensor) *Tensor {
			lo, hi := t.Slice(2, 0, hd/2, 1), t.Slice(2, hd/2, hd, 1)
			return Concat(2, lo.Mul(cos).Sub(hi.Mul(sin)), lo.Mul(sin).Add(hi.Mul(cos)))
		}
		var kc, vc *Tensor
		step := func() *Tensor {
			if kc == nil || kc.Shape()[1] >= 2*ctx {
				for _, t := range []*Tensor{kc, vc} {
					if t != nil {
						t.Free()
					}
				}
				kc, vc = kc0.Mul(c(1)), vc0.Mul(c(1)) // copies, which the step frees
			}
			y := rms(x, g1)
			q := rope(y.MatMul(wq.Transpose()).Reshape(h, 1, hd))
			k := rope(y.MatMul(wk.Transpose()).Reshape(h, 1, hd))
			v := y.MatMul(wv.Transpose()).Reshape(h, 1, hd)
			kn, vn := Concat(1, kc, k), Concat(1, vc, v)
			att := q.MatMul(kn.Permute(0, 2, 1)).Mul(c(0.125)).Softmax(-1).MatMul(vn).Reshape(1, d)
			x2 := x.Add(att.MatMul(wo.Transpose()))
			z := rms(x2, g2)
			out := x2.Add(z.MatMul(w1.Transpose()).SiLU().Mul(z.MatMul(w3.Transpose())).MatMul(w2.Transpose()))
			for _, t := range []*Tensor{kn, vn, out} {
				if err := t.Realize(); err != nil {
					b.Fatal(err)
				}
			}
			kc.Free()
			vc.Free()
			kc, vc = kn, vn
			return out
		}
		b.Run(dt.String(), func(b *testing.B) {
			for b.Loop() {
				step().Free()
			}
		})
		kc.Free()
		vc.Free()
	}
}
