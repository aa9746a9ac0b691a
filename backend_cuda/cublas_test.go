package backend_cuda

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/half"
)

// TestCUBLASUnavailable checks that a missing cuBLAS is an error wrapping
// backend.ErrUnavailable that lists the paths tried, and that a relative
// CROSSBAR_CUBLAS_LIB is refused, without a panic.
func TestCUBLASUnavailable(t *testing.T) {
	t.Setenv("CROSSBAR_CUBLAS_LIB", "/nonexistent/libcublas.so.13")
	_, err := openCUBLAS(0)
	if !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), "/nonexistent/libcublas.so.13") {
		t.Errorf("openCUBLAS with a missing file: %v, want ErrUnavailable naming the path", err)
	}
	t.Setenv("CROSSBAR_CUBLAS_LIB", "libcublas.so.13")
	if _, err := openCUBLAS(0); !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), "absolute") {
		t.Errorf("openCUBLAS with a relative path: %v", err)
	}
	t.Setenv("CROSSBAR_CUBLAS_LIB", "")
	if _, err := openCUBLAS(0); err != nil {
		// No cuBLAS here: the standard search must say where it looked, and for which names.
		t.Logf("%v", err)
		for _, want := range []string{"/usr/lib", "libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "CROSSBAR_CUBLAS_LIB"} {
			if !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), want) {
				t.Errorf("cuBLAS error lacks %q or ErrUnavailable: %v", want, err)
			}
		}
	}
}

func TestCUBLASVersion(t *testing.T) {
	for v, want := range map[int32]string{120604: "12.6.4", 130100: "13.1.0", 111103: "11.11.3", 11401: "11.4.1", 10201: "10.2.1"} {
		if got := cublasVersion(v); got != want {
			t.Errorf("cublasVersion(%d) = %s, want %s", v, got, want)
		}
	}
}

// TestFakeCUBLAS runs BLAS and CopyBuffer against testdata/fakecublas.c, a column-major
// reference GEMM with cuBLAS's argument checks, on top of the fake driver, in a child
// process: every transposition, odd sizes, each dtype, the argument errors, and a
// missing library. It needs NVRTC (for the probe) and a C compiler.
func TestFakeCUBLAS(t *testing.T) {
	if os.Getenv("CROSSBAR_CUBLAS_FAKE_CHILD") == "1" {
		fakeCUBLASChild(t)
		return
	}
	nvrtcForTest(t)
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skipf("no C compiler for the fakes: %v", err)
	}
	dir := t.TempDir()
	cuda, cublas := filepath.Join(dir, "libfakecuda.so"), filepath.Join(dir, "libfakecublas.so")
	for _, b := range [][2]string{{cuda, "testdata/fakecuda.c"}, {cublas, "testdata/fakecublas.c"}} {
		if out, err := exec.Command(cc, "-shared", "-fPIC", "-O1", "-o", b[0], b[1]).CombinedOutput(); err != nil {
			t.Skipf("cannot build %s: %v\n%s", b[1], err, out)
		}
	}
	for _, lib := range []string{cublas, filepath.Join(dir, "missing", "libcublas.so.13")} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFakeCUBLAS$", "-test.v")
		cmd.Env = append(os.Environ(), "CROSSBAR_CUBLAS_FAKE_CHILD=1", "CROSSBAR_CUDA_LIB="+cuda, "CROSSBAR_CUBLAS_LIB="+lib)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child with %s: %v\n%s", lib, err, out)
		}
		t.Logf("child with %s:\n%s", lib, out)
	}
}

func fakeCUBLASChild(t *testing.T) {
	dev, err := backend.Open("cuda")
	if err != nil {
		t.Fatal(err)
	}
	d := dev.(*Device)
	testCopyBuffer(t, d)
	b, err := d.BLAS()
	if strings.Contains(os.Getenv("CROSSBAR_CUBLAS_LIB"), "missing") {
		if !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), os.Getenv("CROSSBAR_CUBLAS_LIB")) {
			t.Fatalf("BLAS without cuBLAS: %v, want ErrUnavailable naming the path", err)
		}
		t.Logf("BLAS: %v", err)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if info := b.Info(); !strings.Contains(info, "cuBLAS 12.6.4 (") {
		t.Errorf("Info: %s", info)
	}
	testGemm(t, d, b, [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {8, 1, 16}, {1, 12, 5}})
	testGemmErrors(t, d, b)
	testCloseDuringGemm(t, d)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestBLAS checks BLAS.Gemm against the host on cuda:0 (needs an Nvidia GPU and cuBLAS).
func TestBLAS(t *testing.T) {
	d := device(t)
	b, err := d.BLAS()
	if err != nil {
		if !errors.Is(err, backend.ErrUnavailable) {
			t.Fatalf("BLAS: %v, want success or an error wrapping ErrUnavailable", err)
		}
		t.Skipf("no cuBLAS: %v", err)
	}
	defer b.Close()
	t.Logf("%s", b.Info())
	testGemm(t, d, b, [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {130, 67, 257}, {1, 300, 64}, {256, 256, 256}})
	testGemmErrors(t, d, b)
}

// TestCopyBuffer checks CopyBuffer on cuda:0 (needs an Nvidia GPU).
func TestCopyBuffer(t *testing.T) { testCopyBuffer(t, device(t)) }

func testCopyBuffer(t *testing.T, d *Device) {
	t.Helper()
	src := make([]byte, 3<<20+5)
	for i := range src {
		src[i] = byte(i*131 + i>>8)
	}
	a, err := d.Alloc(graph.Uint8, len(src))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Free(a)
	b, err := d.Alloc(graph.Uint8, len(src))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Free(b)
	if err := d.CopyIn(a, src); err != nil {
		t.Fatal(err)
	}
	if err := d.CopyBuffer(b, a); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(src))
	if err := d.CopyOut(got, b); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if got[i] != src[i] {
			t.Fatalf("CopyBuffer of %d bytes: byte %d is %d, want %d", len(src), i, got[i], src[i])
		}
	}
	c, err := d.Alloc(graph.Uint8, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Free(c)
	if err := d.CopyBuffer(c, a); err == nil {
		t.Errorf("CopyBuffer of %d bytes into 7: no error", len(src))
	}
}

// gemmDTypes are the dtypes BLAS.Gemm takes, with the tolerance of a product relative to
// sum_k |a_ik·b_kj|: float32 accumulation, and the rounding of the output to the dtype.
var gemmDTypes = []struct {
	dt  graph.DType
	tol float64
}{{graph.Float32, 1e-5}, {graph.Float16, 2e-3}, {graph.BFloat16, 1e-2}}

// encode rounds v to dt in place and returns its bytes as the device stores them.
func encode(dt graph.DType, v []float32) []byte {
	out := make([]byte, len(v)*dt.Size())
	for i, x := range v {
		switch dt {
		case graph.Float16:
			h := half.Float16From(x)
			v[i] = half.Float16To(h)
			binary.LittleEndian.PutUint16(out[2*i:], h)
		case graph.BFloat16:
			h := half.BFloat16From(x)
			v[i] = half.BFloat16To(h)
			binary.LittleEndian.PutUint16(out[2*i:], h)
		default:
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
		}
	}
	return out
}

func decode(dt graph.DType, b []byte) []float32 {
	out := make([]float32, len(b)/dt.Size())
	for i := range out {
		switch dt {
		case graph.Float16:
			out[i] = half.Float16To(binary.LittleEndian.Uint16(b[2*i:]))
		case graph.BFloat16:
			out[i] = half.BFloat16To(binary.LittleEndian.Uint16(b[2*i:]))
		default:
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	}
	return out
}

// testGemm runs Gemm for every dtype, transposition and shape m×n×k and compares every
// element with a float64 product of the rounded inputs on the host.
func testGemm(t *testing.T, d *Device, b *BLAS, shapes [][3]int) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	for _, g := range gemmDTypes {
		for _, s := range shapes {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				m, n, k := s[0], s[1], s[2]
				name := fmt.Sprintf("%v %dx%dx%d transA=%v transB=%v", g.dt, m, n, k, tr[0], tr[1])
				ha, hb := make([]float32, m*k), make([]float32, k*n)
				for _, v := range [][]float32{ha, hb} {
					for i := range v {
						v[i] = 2*r.Float32() - 1
					}
				}
				got, err := runGemm(d, b, g.dt, tr[0], tr[1], m, n, k, ha, hb)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				for i := range m {
					for j := range n {
						var want, mag float64
						for p := range k {
							av, bv := ha[i*k+p], hb[p*n+j]
							if tr[0] {
								av = ha[p*m+i]
							}
							if tr[1] {
								bv = hb[j*k+p]
							}
							want += float64(av) * float64(bv)
							mag += math.Abs(float64(av) * float64(bv))
						}
						if diff := math.Abs(float64(got[i*n+j]) - want); !(diff <= g.tol*mag+1e-30) {
							t.Fatalf("%s: C[%d,%d] = %v, want %v (first difference)", name, i, j, got[i*n+j], want)
						}
					}
				}
			}
		}
	}
}

// runGemm rounds ha and hb to dt in place, computes op(A)·op(B) with b and returns C.
func runGemm(d *Device, b *BLAS, dt graph.DType, ta, tb bool, m, n, k int, ha, hb []float32) ([]float32, error) {
	var bufs []backend.Buffer
	defer func() {
		for _, x := range bufs {
			d.Free(x)
		}
	}()
	for _, host := range [][]float32{ha, hb, nil} {
		size := m * n
		if host != nil {
			size = len(host)
		}
		x, err := d.Alloc(dt, size)
		if err != nil {
			return nil, err
		}
		bufs = append(bufs, x)
		if host != nil {
			if err := d.CopyIn(x, encode(dt, host)); err != nil {
				return nil, err
			}
		}
	}
	if err := b.Gemm(ta, tb, m, n, k, bufs[0], bufs[1], bufs[2]); err != nil {
		return nil, err
	}
	out := make([]byte, m*n*dt.Size())
	if err := d.CopyOut(out, bufs[2]); err != nil {
		return nil, err
	}
	return decode(dt, out), nil
}

// testGemmErrors checks that bad arguments are errors wrapping the right sentinels.
func testGemmErrors(t *testing.T, d *Device, b *BLAS) {
	t.Helper()
	alloc := func(dt graph.DType, n int) backend.Buffer {
		x, err := d.Alloc(dt, n)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Free(x) })
		return x
	}
	f32, f16, f64 := alloc(graph.Float32, 64), alloc(graph.Float16, 64), alloc(graph.Float64, 64)
	cases := []struct {
		name    string
		m, n, k int
		a, b, c backend.Buffer
		want    error
	}{
		{"mixed dtypes", 4, 4, 4, f16, f32, f32, backend.ErrUnsupported},
		{"float64", 4, 4, 4, f64, f64, f64, backend.ErrUnsupported},
		{"A too small", 8, 8, 9, f32, f32, f32, graph.ErrShape},
		{"negative", -1, 4, 4, f32, f32, f32, graph.ErrShape},
		{"not a cuda buffer", 4, 4, 4, f32, f32, nil, backend.ErrUnsupported},
	}
	for _, c := range cases {
		if err := b.Gemm(false, false, c.m, c.n, c.k, c.a, c.b, c.c); !errors.Is(err, c.want) {
			t.Errorf("Gemm with %s: %v, want an error wrapping %v", c.name, err, c.want)
		}
	}
	if err := b.Gemm(false, false, 0, 4, 4, f32, f32, f32); err != nil {
		t.Errorf("Gemm of an empty product: %v", err)
	}
	closed, err := d.BLAS()
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	if err := closed.Gemm(false, false, 4, 4, 4, f32, f32, f32); !errors.Is(err, backend.ErrFreed) {
		t.Errorf("Gemm after Close: %v, want ErrFreed", err)
	}
}

// testCloseDuringGemm closes a handle while goroutines call Gemm with it: each call runs,
// or returns an error wrapping ErrFreed, and none uses the destroyed handle (go test -race
// reports an unguarded handle).
func testCloseDuringGemm(t *testing.T, d *Device) {
	t.Helper()
	b, err := d.BLAS()
	if err != nil {
		t.Fatal(err)
	}
	var bufs [2]backend.Buffer
	for i := range bufs {
		if bufs[i], err = d.Alloc(graph.Float32, 16); err != nil {
			t.Fatal(err)
		}
		defer d.Free(bufs[i])
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				if err := b.Gemm(false, false, 4, 4, 4, bufs[0], bufs[0], bufs[1]); err != nil && !errors.Is(err, backend.ErrFreed) {
					t.Errorf("Gemm beside Close: %v, want nil or ErrFreed", err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close beside Gemm: %v", err)
		}
	})
	wg.Wait()
}
