package backend_cuda

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/tensor"
)

// The benchmarks of this file hold crossbar's generated kernels against the vendor's on a
// real device: GEMMs against cuBLAS, elementwise kernels against the driver's
// device-to-device copy. Each sub-benchmark measures both side by side with device events
// (Device.Time) and reports, besides ns/op (crossbar's device time per operation):
//
//	TFLOP/s, cublas-TFLOP/s, x-cublas   GEMMs: 2mnk per second, and crossbar/cuBLAS
//	GB/s, x-memcpy                      copy, triad: bytes read and written per second,
//	                                    and the ratio to cuMemcpyDtoD's
//
// Run them with, for example:
//
//	go test -run '^$' -bench . -benchtime 3x ./backend_cuda
//
// They skip without a CUDA device; without cuBLAS the GEMMs report crossbar alone.

// benchGemmShapes are the products timed: 8192³ and DeepBench training GEMMs (Baidu
// DeepBench, gemm_problems.h, train set), C[m,n] = op(A)[m,k]·op(B)[k,n] with A stored k×m
// when ta and B n×k when tb, as the bench suite's deepbench suite stores them.
var benchGemmShapes = []struct {
	m, n, k int
	ta, tb  bool
}{
	{8192, 8192, 8192, false, false},
	{1760, 7000, 1760, false, false},
	{2048, 128, 2048, true, false},
	{2560, 7133, 2560, false, true},
	{4096, 7000, 4096, false, false},
	{5124, 9124, 1760, false, false},
}

// benchDevice opens cuda:0 or skips the benchmark.
func benchDevice(b *testing.B) *Device {
	b.Helper()
	d, err := backend.Open("cuda")
	if err != nil {
		if !errors.Is(err, backend.ErrUnavailable) {
			b.Fatalf("Open(cuda): %v", err)
		}
		b.Skipf("no CUDA device: %v", err)
	}
	return d.(*Device)
}

func dtName(dt graph.DType) string {
	return map[graph.DType]string{graph.Float16: "f16", graph.BFloat16: "bf16", graph.Float32: "f32"}[dt]
}

func tn(t bool) string {
	if t {
		return "T"
	}
	return "N"
}

func BenchmarkGemm(b *testing.B) {
	d := benchDevice(b)
	blas, blasErr := d.BLAS()
	if blasErr != nil {
		b.Logf("cuBLAS unavailable, crossbar alone: %v", blasErr)
	} else {
		defer blas.Close()
		b.Logf("%s; %s", d.Info(), blas.Info())
	}
	for _, g := range gemmDTypes {
		for _, s := range benchGemmShapes {
			name := fmt.Sprintf("%s/%dx%dx%d/%s%s", dtName(g.dt), s.m, s.n, s.k, tn(s.ta), tn(s.tb))
			b.Run(name, func(b *testing.B) { benchGemm(b, d, blas, g.dt, g.tol, s.m, s.n, s.k, s.ta, s.tb) })
		}
	}
}

// benchGemm times op(A)·op(B) with crossbar (MatMul of realized tensors, as programs do)
// and with cuBLAS on the same values, after checking a sample of both products.
func benchGemm(b *testing.B, d *Device, blas *BLAS, dt graph.DType, tol float64, m, n, k int, ta, tb bool) {
	ar, ac, br, bc := m, k, k, n
	if ta {
		ar, ac = k, m
	}
	if tb {
		br, bc = n, k
	}
	r := rand.New(rand.NewPCG(uint64(m), uint64(n*k)))
	ha, hb := make([]float32, ar*ac), make([]float32, br*bc)
	for _, v := range [][]float32{ha, hb} {
		for i := range v {
			v[i] = 2*r.Float32() - 1
		}
	}
	ea, eb := encode(dt, ha), encode(dt, hb) // rounds ha and hb to dt
	check := func(who string, got []float32) {
		b.Helper()
		if err := checkSample(got, ha, hb, m, n, k, ta, tb, tol); err != nil {
			b.Fatalf("%s: %v", who, err)
		}
	}

	onDevice := func(h []float32, rows, cols int) *tensor.Tensor {
		t := tensor.New(h, rows, cols).To(d)
		if dt != graph.Float32 {
			t = t.Cast(dt)
		}
		if err := t.Realize(); err != nil {
			b.Fatal(err)
		}
		return t
	}
	xa, xb := onDevice(ha, ar, ac), onDevice(hb, br, bc)
	defer xa.Free()
	defer xb.Free()
	product := func() *tensor.Tensor {
		x, y := xa, xb
		if ta {
			x = x.Transpose()
		}
		if tb {
			y = y.Transpose()
		}
		return x.MatMul(y)
	}
	warm := product()
	got, err := tensor.Data[float32](warm) // compiles, runs, reads back
	if err != nil {
		b.Fatal(err)
	}
	warm.Free()
	check("crossbar", got)

	var ba, bb, bcb backend.Buffer
	if blas != nil {
		for _, x := range []struct {
			buf  *backend.Buffer
			n    int
			host []byte
		}{{&ba, ar * ac, ea}, {&bb, br * bc, eb}, {&bcb, m * n, nil}} {
			buf, err := d.Alloc(dt, x.n)
			if err != nil {
				b.Fatal(err)
			}
			defer d.Free(buf)
			*x.buf = buf
			if x.host != nil {
				if err := d.CopyIn(buf, x.host); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := blas.Gemm(ta, tb, m, n, k, ba, bb, bcb); err != nil {
			b.Fatal(err)
		}
		out := make([]byte, m*n*dt.Size())
		if err := d.CopyOut(out, bcb); err != nil {
			b.Fatal(err)
		}
		check("cuBLAS", decode(dt, out))
	}

	var xt, ct time.Duration
	iters := 0
	for b.Loop() {
		out := product()
		t, err := d.Time(out.Realize)
		if err != nil {
			b.Fatal(err)
		}
		out.Free()
		xt += t
		if blas != nil {
			t, err := d.Time(func() error { return blas.Gemm(ta, tb, m, n, k, ba, bb, bcb) })
			if err != nil {
				b.Fatal(err)
			}
			ct += t
		}
		iters++
	}
	flops := 2 * float64(m) * float64(n) * float64(k) * float64(iters)
	b.ReportMetric(float64(xt.Nanoseconds())/float64(iters), "ns/op")
	b.ReportMetric(flops/xt.Seconds()/1e12, "TFLOP/s")
	if blas != nil {
		b.ReportMetric(flops/ct.Seconds()/1e12, "cublas-TFLOP/s")
		b.ReportMetric(ct.Seconds()/xt.Seconds(), "x-cublas")
	}
}

// checkSample compares the corners and a scatter of elements of C = op(A)·op(B) with
// float64 sums of the (rounded) inputs, within tol of sum_k |a_ik·b_kj|.
func checkSample(c, a, bm []float32, m, n, k int, ta, tb bool, tol float64) error {
	if len(c) != m*n {
		return fmt.Errorf("product has %d elements, want %d", len(c), m*n)
	}
	points := [][2]int{{0, 0}, {0, n - 1}, {m - 1, 0}, {m - 1, n - 1}}
	for p := range 60 {
		points = append(points, [2]int{(p*7919 + 13) % m, (p*104729 + 7) % n})
	}
	for _, p := range points {
		i, j := p[0], p[1]
		var want, mag float64
		for q := range k {
			av, bv := a[i*k+q], bm[q*n+j]
			if ta {
				av = a[q*m+i]
			}
			if tb {
				bv = bm[j*k+q]
			}
			want += float64(av) * float64(bv)
			mag += math.Abs(float64(av) * float64(bv))
		}
		if d := math.Abs(float64(c[i*n+j]) - want); !(d <= tol*mag) {
			return fmt.Errorf("%dx%dx%d: C[%d,%d] = %v, want %v", m, n, k, i, j, c[i*n+j], want)
		}
	}
	return nil
}

// streamN is the vector length of the bandwidth benchmarks: 512 MiB of float32 per vector,
// far beyond any L2.
const streamN = 1 << 27

// streamBatch operations are timed together, so that the events and the launch latency
// weigh little against the memory traffic.
const streamBatch = 8

// BenchmarkStream times the generated copy (y = x+0) and triad (a = b + 3c) kernels, launched
// directly on preallocated buffers (the kernels alone, without the executor's allocation of
// outputs), against cuMemcpyDtoD of the same vectors, the device's copy bandwidth.
func BenchmarkStream(b *testing.B) {
	d := benchDevice(b)
	hx, hy := make([]byte, 4*streamN), make([]byte, 4*streamN)
	for i := range streamN {
		binary.LittleEndian.PutUint32(hx[4*i:], math.Float32bits(float32(i%1000)))
		binary.LittleEndian.PutUint32(hy[4*i:], math.Float32bits(float32(i%7)))
	}
	var bufs [3]backend.Buffer
	for i := range bufs {
		buf, err := d.Alloc(graph.Float32, streamN)
		if err != nil {
			b.Fatal(err)
		}
		defer d.Free(buf)
		bufs[i] = buf
	}
	x, y, out := bufs[0], bufs[1], bufs[2]
	for i, h := range [][]byte{hx, hy} {
		if err := d.CopyIn(bufs[i], h); err != nil {
			b.Fatal(err)
		}
	}
	var memcpyRate float64 // bytes per second
	b.Run("memcpy", func(b *testing.B) {
		memcpyRate = timeBatches(b, d, 2*4*streamN, func() error { return d.CopyBuffer(out, x) })
	})
	xn, _ := graph.Host(graph.Float32, []int{streamN}, hx)
	yn, _ := graph.Host(graph.Float32, []int{streamN}, hy)
	scalar := func(v float64) *graph.Node {
		c, err := graph.Const(graph.ScalarOf(v, graph.Float32), graph.Float32)
		if err == nil {
			c, err = graph.Reshape(c, []int{1})
		}
		if err == nil {
			c, err = graph.Expand(c, []int{streamN})
		}
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	mul, _ := graph.Binary(graph.OpMul, yn, scalar(3))
	triad, _ := graph.Binary(graph.OpAdd, xn, mul)
	cp, _ := graph.Binary(graph.OpAdd, xn, scalar(0))
	for _, c := range []struct {
		name    string
		root    *graph.Node
		vectors int
		want    func(i int) float32
	}{
		{"copy", cp, 2, func(i int) float32 { return float32(i % 1000) }},
		{"triad", triad, 3, func(i int) float32 { return float32(i%1000) + 3*float32(i%7) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			ks, err := graph.Schedule([]*graph.Node{c.root})
			if err != nil || len(ks) != 1 {
				b.Fatalf("schedule: %d kernels, %v", len(ks), err)
			}
			prog, err := d.Compile(ks[0])
			if err != nil {
				b.Fatal(err)
			}
			var inputs []backend.Buffer
			for _, in := range ks[0].Inputs {
				switch in {
				case xn:
					inputs = append(inputs, x)
				case yn:
					inputs = append(inputs, y)
				default:
					b.Fatalf("kernel reads %v%v, neither vector", in.Op, in.Shape)
				}
			}
			launch := func() error { return d.Launch(prog, out, inputs) }
			rate := timeBatches(b, d, float64(c.vectors*4*streamN), launch)
			if memcpyRate > 0 {
				b.ReportMetric(rate/memcpyRate, "x-memcpy")
			}
			got := make([]byte, 4*streamN)
			if err := d.CopyOut(got, out); err != nil {
				b.Fatal(err)
			}
			for i := 0; i < streamN; i += 9973 {
				if v := math.Float32frombits(binary.LittleEndian.Uint32(got[4*i:])); v != c.want(i) {
					b.Fatalf("%s: element %d is %v, want %v", c.name, i, v, c.want(i))
				}
			}
		})
	}
}

// timeBatches times batches of streamBatch calls of op with device events, reports ns/op
// and GB/s for bytes moved per call, and returns the rate in bytes per second.
func timeBatches(b *testing.B, d *Device, bytes float64, op func() error) float64 {
	batch := func() error {
		for range streamBatch {
			if err := op(); err != nil {
				return err
			}
		}
		return nil
	}
	if err := batch(); err != nil { // warm-up
		b.Fatal(err)
	}
	var total time.Duration
	calls := 0
	for b.Loop() {
		t, err := d.Time(batch)
		if err != nil {
			b.Fatal(err)
		}
		total += t
		calls += streamBatch
	}
	rate := bytes * float64(calls) / total.Seconds()
	b.ReportMetric(float64(total.Nanoseconds())/float64(calls), "ns/op")
	b.ReportMetric(rate/1e9, "GB/s")
	return rate
}

// hostCopyBytes is the size of the copies BenchmarkHostCopy times: 32 times the pinned
// staging memory.
const hostCopyBytes = 32 * pinnedBytes

// BenchmarkHostCopy times CopyIn and CopyOut of 256 MiB of Go memory, staged through the
// halves of the pinned memory in turns, against the DMA alone (dma-in, dma-out: the pinned
// memory copied to or from the device as often as the same bytes take), the rate the
// staging can at best reach. Go's MB/s column gives the ratio.
func BenchmarkHostCopy(b *testing.B) {
	d := benchDevice(b)
	if d.pinned == nil {
		b.Skip("no pinned staging memory")
	}
	buf, err := d.Alloc(graph.Uint8, hostCopyBytes)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Free(buf)
	cb, err := d.buffer(buf)
	if err != nil {
		b.Fatal(err)
	}
	host := make([]byte, hostCopyBytes)
	for i := range host {
		host[i] = byte(i * 7)
	}
	dma := func(toDevice bool) error {
		return d.do(func() error {
			for off := 0; off < hostCopyBytes; off += d.pinSize {
				n := uintptr(min(d.pinSize, hostCopyBytes-off))
				var r cuResult
				if toDevice {
					r = d.drv.memcpyHtoDAsync(cb.ptr+uint64(off), d.pinned, n, d.stream)
				} else {
					r = d.drv.memcpyDtoHAsync(d.pinned, cb.ptr+uint64(off), n, d.stream)
				}
				if err := d.drv.check("cuMemcpyAsync", r); err != nil {
					return err
				}
			}
			return d.drv.check("cuStreamSynchronize", d.drv.streamSynchronize(d.stream))
		})
	}
	for _, c := range []struct {
		name string
		copy func() error
	}{
		{"in", func() error { return d.CopyIn(buf, host) }},
		{"out", func() error { return d.CopyOut(host, buf) }},
		{"dma-in", func() error { return dma(true) }},
		{"dma-out", func() error { return dma(false) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(hostCopyBytes)
			for b.Loop() {
				if err := c.copy(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
