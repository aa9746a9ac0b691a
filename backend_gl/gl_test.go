package backend_gl

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/backendtest"
	_ "github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/randprog"
	"github.com/crossbar-compute/crossbar/tensor"
)

// device opens gl:0. Without one the test is skipped, except under CI=true, where
// scripts/test.sh has installed Mesa and a missing device is a failure.
func device(t *testing.T) *Device {
	t.Helper()
	d, err := backend.Open("gl")
	if err != nil {
		if !errors.Is(err, backend.ErrUnavailable) {
			t.Fatalf("Open(gl): %v, want an error wrapping ErrUnavailable", err)
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("no GL device under CI: %v", err)
		}
		t.Skipf("no GL device: %v", err)
	}
	return d.(*Device)
}

// TestConformance runs the conformance suite on gl:0.
func TestConformance(t *testing.T) {
	d := device(t)
	t.Logf("%s", d.Info())
	backendtest.Run(t, d)
	t.Logf("executor: %+v", backend.ReadStats())
}

// TestUnavailable checks that a missing EGL library gives no device and an Open error
// wrapping ErrUnavailable that names the library. It runs in a child process, since the
// device of this one is already open.
func TestUnavailable(t *testing.T) {
	if os.Getenv("CROSSBAR_GL_CHILD") == "1" {
		_, err := backend.Open("gl")
		if !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), "no-such-libEGL.so") {
			t.Fatalf("Open(gl) with a missing library: %v", err)
		}
		if _, err := backend.Open("gl:0"); !errors.Is(err, backend.ErrUnavailable) {
			t.Fatalf("Open(gl:0) with a missing library: %v", err)
		}
		for _, d := range backend.Devices() {
			if strings.HasPrefix(d.Name(), "gl") {
				t.Fatalf("device %s listed without a GL library", d.Name())
			}
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestUnavailable$", "-test.v")
	cmd.Env = append(os.Environ(), "CROSSBAR_GL_CHILD=1", "CROSSBAR_GL_LIB=/nonexistent/no-such-libEGL.so")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// TestCompileError checks that a shader the driver rejects gives ErrCompile with the
// driver's log and the numbered source.
func TestCompileError(t *testing.T) {
	d := device(t)
	src := "#version 430\nlayout(local_size_x = 1) in;\nvoid main() { undefined_thing(); }\n"
	var err error
	d.th.do(func() { _, err = d.build(src) })
	if !errors.Is(err, backend.ErrCompile) {
		t.Fatalf("build of a bad shader: %v, want ErrCompile", err)
	}
	for _, want := range []string{"undefined_thing", "   3  void main()"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not show %q:\n%v", want, err)
		}
	}
	if o := d.Objects(); o.Shaders != 0 {
		t.Errorf("%d shader objects left after a failed compile", o.Shaders)
	}
}

// TestGatherOutOfRange checks that a bad index found on the device is an error naming
// the gather, as on the CPU.
func TestGatherOutOfRange(t *testing.T) {
	d := device(t)
	x := tensor.New([]float32{1, 2, 3, 4, 5, 6}, 3, 2).To(d)
	got, err := tensor.Data[float32](x.Gather(0, tensor.New([]int32{2, -3, 0}, 3).To(d)))
	if err != nil || fmt.Sprint(got) != "[5 6 1 2 1 2]" {
		t.Fatalf("Gather in range: %v, %v", got, err)
	}
	_, err = tensor.Data[float32](x.Gather(0, tensor.New([]int32{1, 7}, 2).To(d)))
	if !errors.Is(err, graph.ErrShape) || !strings.Contains(err.Error(), "index 7") {
		t.Fatalf("Gather out of range: %v, want an ErrShape naming index 7", err)
	}
}

// TestCumSumFromCPU checks a running sum built on the CPU device (one OpCumSum kernel, which
// GL does not compute) and moved to gl:0 before it was computed: the kernel runs on the CPU,
// GL reads the result. On gl:0 itself CumSum is built of additions (the conformance suite).
func TestCumSumFromCPU(t *testing.T) {
	d := device(t)
	if d.Capabilities().CumSum {
		t.Fatal("gl:0 claims running sums")
	}
	x := tensor.New([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	before := backend.ReadStats().Fallbacks
	got, err := tensor.Data[float32](x.CumSum(1, false, false).To(d).Mul(tensor.Scalar[float32](2).To(d)))
	if err != nil || fmt.Sprint(got) != "[2 6 12 8 18 30]" {
		t.Fatalf("CumSum on the CPU, moved to GL: %v, %v", got, err)
	}
	if n := backend.ReadStats().Fallbacks - before; n < 1 {
		t.Errorf("%d kernels fell back to the CPU, want the running sum's", n)
	}
}

// TestTime checks that device time is measured with timestamp queries, which are given
// back.
func TestTime(t *testing.T) {
	d := device(t)
	x := tensor.New(make([]float32, 1<<16), 1<<16).To(d)
	if err := x.Realize(); err != nil {
		t.Fatal(err)
	}
	dt, err := d.Time(func() error { return x.Exp().Realize() })
	if err != nil || dt <= 0 {
		t.Fatalf("Time: %v, %v", dt, err)
	}
	if o := d.Objects(); o.Queries != 0 {
		t.Errorf("%d query objects left", o.Queries)
	}
}

// TestNoLeaks realizes the same small program 1000 times (uploads, a fused kernel, a
// reduction, a read) and checks that goroutines and GL objects come back to where they
// were once the tensors are unreachable.
func TestNoLeaks(t *testing.T) {
	d := device(t)
	data := make([]float32, 64)
	step := func(i int, free bool) {
		data[0] = float32(i)
		x := tensor.New(data, 8, 8).To(d)
		y := x.Mul(x).Add(x).Sum(1)
		if _, err := tensor.Data[float32](y); err != nil {
			t.Fatal(err)
		}
		if free {
			if err := y.Free(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// settle collects garbage until the device holds want (the tensors' buffers are freed
	// by cleanups that run after a GC), or a second has passed.
	settle := func(want Objects) Objects {
		var o Objects
		for range 200 {
			runtime.GC()
			time.Sleep(5 * time.Millisecond)
			if o = d.Objects(); o == want {
				break
			}
		}
		return o
	}
	step(-1, false) // compile once
	o0 := settle(Objects{Buffers: 1})
	g0 := runtime.NumGoroutine()
	for i := range 1000 {
		step(i, i%2 == 0)
	}
	o1, g1 := settle(o0), runtime.NumGoroutine()
	if o1 != o0 {
		t.Errorf("GL objects after 1000 realizations: %+v, before: %+v", o1, o0)
	}
	if g1 > g0 {
		t.Errorf("%d goroutines after 1000 realizations, %d before", g1, g0)
	}
	t.Logf("GL objects %+v, goroutines %d", o1, g1)
}

// TestRandomPrograms runs random programs (package randprog) on gl:0 and compares each
// result with the CPU device's.
func TestRandomPrograms(t *testing.T) {
	d := device(t)
	progs := randprog.First(250)
	randprog.Check(t, d, progs)
}

// TestLineCores checks that gl:0 computes softmaxes and layer norms itself (one kernel each,
// no fallback to the CPU), along the last axis and a leading one, with a prologue and an
// epilogue, in Float32 and Float16, against the CPU's values.
func TestLineCores(t *testing.T) {
	d := device(t)
	if c := d.Capabilities(); !c.Softmax || !c.LayerNorm {
		t.Fatal("gl:0 does not claim softmaxes and layer norms")
	}
	x := tensor.RandNormal(7, tensor.Float32, 37, 300).Mul(tensor.Scalar[float32](3))
	w := tensor.RandNormal(8, tensor.Float32, 300)
	cases := []struct {
		name string
		f    func(x, w *tensor.Tensor) *tensor.Tensor
		tol  float64
	}{
		{"softmax rows", func(x, _ *tensor.Tensor) *tensor.Tensor { return x.Softmax(-1) }, 1e-6},
		{"softmax columns of a prologue", func(x, _ *tensor.Tensor) *tensor.Tensor { return x.Mul(x).Softmax(0) }, 1e-6},
		{"log-softmax with an epilogue", func(x, w *tensor.Tensor) *tensor.Tensor { return x.LogSoftmax(1).Mul(w) }, 1e-5},
		{"layer norm", func(x, w *tensor.Tensor) *tensor.Tensor { return x.LayerNorm(1, w, w, 1e-5) }, 1e-5},
		{"float16 softmax", func(x, _ *tensor.Tensor) *tensor.Tensor {
			return x.Cast(tensor.Float16).Softmax(1).Cast(tensor.Float32)
		}, 1e-3},
	}
	for _, c := range cases {
		want, err := tensor.Data[float32](c.f(x, w))
		if err != nil {
			t.Fatal(err)
		}
		gx, gw := x.To(d), w.To(d)
		if err := gx.Realize(); err != nil {
			t.Fatal(err)
		}
		if err := gw.Realize(); err != nil {
			t.Fatal(err)
		}
		before := backend.ReadStats().Fallbacks
		got, err := tensor.Data[float32](c.f(gx, gw))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if n := backend.ReadStats().Fallbacks - before; n != 0 {
			t.Errorf("%s: %d kernels fell back to the CPU", c.name, n)
		}
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); !(d <= c.tol*math.Max(1, math.Abs(float64(want[i])))) {
				t.Fatalf("%s: element %d is %v on gl:0, %v on the CPU", c.name, i, got[i], want[i])
			}
		}
	}
}

// TestArgCores checks gl:0's generated argmaxes (no CPU fallback) against the CPU's, index
// for index: rows with many ties (the first place must win across the workgroup's threads),
// NaN (the first NaN wins), lines across rows, one long row, and 16-bit, Bool and Int32
// inputs, with a prologue and an epilogue.
func TestArgCores(t *testing.T) {
	d := device(t)
	if !d.Capabilities().ArgMax {
		t.Skip("gl:0 without GL_ARB_gpu_shader_int64 computes no Int64 indices")
	}
	x := tensor.RandNormal(9, tensor.Float32, 37, 300).Mul(tensor.Scalar[float32](2)).Floor()
	long := tensor.RandNormal(10, tensor.Float32, 1, 50000).Mul(tensor.Scalar[float32](4)).Floor()
	nan := func(x *tensor.Tensor) *tensor.Tensor { return x.Mul(x).Div(x) } // 0/0 where x is 0
	cases := []struct {
		name string
		f    func(x, long *tensor.Tensor) *tensor.Tensor
	}{
		{"argmax of rows", func(x, _ *tensor.Tensor) *tensor.Tensor { return x.ArgMax(1) }},
		{"argmin of rows with NaN", func(x, _ *tensor.Tensor) *tensor.Tensor { return nan(x).ArgMin(1) }},
		{"argmin across rows with NaN", func(x, _ *tensor.Tensor) *tensor.Tensor { return nan(x).ArgMin(0) }},
		{"argmax of one long row", func(_, l *tensor.Tensor) *tensor.Tensor { return l.ArgMax(1) }},
		{"argmin of one long row", func(_, l *tensor.Tensor) *tensor.Tensor { return l.ArgMin(-1) }},
		{"float16 argmax", func(x, _ *tensor.Tensor) *tensor.Tensor { return x.Cast(tensor.Float16).ArgMax(1) }},
		{"bool argmax", func(x, _ *tensor.Tensor) *tensor.Tensor { return x.Greater(tensor.Scalar[float32](1)).ArgMax(1) }},
		{"int32 argmin", func(x, _ *tensor.Tensor) *tensor.Tensor { return x.Cast(tensor.Int32).ArgMin(0) }},
		{"argmax of a prologue with an epilogue", func(x, _ *tensor.Tensor) *tensor.Tensor {
			return x.Mul(x).ArgMax(1).Mul(tensor.Scalar[int64](3))
		}},
	}
	gx, gl := x.To(d), long.To(d)
	for _, g := range []*tensor.Tensor{gx, gl} {
		if err := g.Realize(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cases {
		want, err := tensor.Data[int64](c.f(x, long))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		before := backend.ReadStats().Fallbacks
		got, err := tensor.Data[int64](c.f(gx, gl))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if n := backend.ReadStats().Fallbacks - before; n != 0 {
			t.Errorf("%s: %d kernels fell back to the CPU", c.name, n)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: gl:0 gives %v, the CPU %v", c.name, got, want)
		}
	}
}
