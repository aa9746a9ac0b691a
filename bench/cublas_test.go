package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crossbar-compute/crossbar/backend_cuda"
	"github.com/crossbar-compute/crossbar/graph"
)

// TestCublasSuiteSkipsOtherDevices checks that the cublas suite on a device that is not a
// cuda device reports a skipped case, which is not a failure, in JSON and in the table.
func TestCublasSuiteSkipsOtherDevices(t *testing.T) {
	opts := Options{Devices: []string{"cpu"}, Suites: []string{"cublas"}, Quick: true, Timeout: time.Minute}
	rows, err := runRows(t, opts)
	if err != nil {
		t.Errorf("run: %v", err)
	}
	if len(rows) != 1 || !rows[0].OK() || !strings.Contains(rows[0].Skip, "cuda") || rows[0].Suite != "cublas" {
		t.Fatalf("rows %+v, want one skipped cublas row", rows)
	}
	var buf bytes.Buffer
	if err := run(context.Background(), opts, &buf); err != nil {
		t.Errorf("run: %v", err)
	}
	if out := buf.String(); !strings.Contains(out, "skipped: cuBLAS runs on cuda devices only") || !strings.Contains(out, "cublas: ") {
		t.Errorf("table lacks the skipped row or the cublas header line:\n%s", out)
	}
}

// TestCublasShapes checks the products of the cublas suite: the cubes, then DeepBench's
// training problems only.
func TestCublasShapes(t *testing.T) {
	path := writeList(t, "train 1760 16 1760 N N\nserver 35 1500 2560 N N\ntrain 2048 128 2048 T N\n")
	for _, c := range []struct {
		opts Options
		want []string
	}{
		{Options{Deepbench: path}, []string{"square 8192", "train-NN 1760x16x1760", "train-TN 2048x128x2048"}},
		{Options{Deepbench: path, Quick: true}, []string{"square 1024", "train-NN 220x2x220", "train-TN 256x16x256"}},
		{Options{Deepbench: path, Sizes: []int{64, 96}}, []string{"square 64", "square 96", "train-NN 1760x16x1760", "train-TN 2048x128x2048"}},
	} {
		opts, err := c.opts.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		shapes, err := cublasShapes(opts)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range shapes {
			got = append(got, s.set+" "+s.size)
		}
		if strings.Join(got, ", ") != strings.Join(c.want, ", ") {
			t.Errorf("%+v: shapes %q, want %q", c.opts, got, c.want)
		}
	}
	opts, _ := Options{Deepbench: "/nonexistent/absent.txt"}.withDefaults()
	if shapes, err := cublasShapes(opts); err == nil || len(shapes) != 1 {
		t.Errorf("missing list: %d shapes, %v; want the cube and an error", len(shapes), err)
	}
}

// writeList writes a DeepBench problem list into the test's temporary directory.
func writeList(t *testing.T, list string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "problems.txt")
	if err := os.WriteFile(path, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKernelNote checks the notes of the kernels that an H200 (132 SMs, sm_90a, a driver
// with tensor maps) compiles for the suite's products before tuning: warpgroup MMAs on
// tiles loaded by tensor copies for the aligned half-precision cubes, K split for DeepBench's products of few tiles, gathering along N for an operand
// whose rows are not 16-byte aligned, the SIMT tiles in pieces for float32.
func TestKernelNote(t *testing.T) {
	arch := backend_cuda.TypicalArch(90)
	arch.SMs, arch.WarpgroupMMA, arch.TensorMaps = 132, true, true
	source := func(k *graph.Kernel) (string, error) { return backend_cuda.SourceFor(arch, k) }
	for _, c := range []struct {
		g        gemmShape
		dt       graph.DType
		want     []string
		dontWant string
	}{
		{gemmShape{m: 8192, n: 8192, k: 8192}, graph.Float16, []string{"warpgroup MMA: block 128x256x64", "tiles in bands of 8 rows", "tiles loaded by tensor copies", "tiles stored in 16-byte chunks"}, "split K"},
		{gemmShape{m: 1760, n: 16, k: 1760}, graph.BFloat16, []string{"warpgroup MMA: block 64x64x64", "split K: 4 shares", "tensor copies"}, ""},
		{gemmShape{m: 2048, n: 128, k: 2048, ta: true}, graph.Float16, []string{"A K-minor", "split K: 4 shares", "tensor copies"}, ""},
		// B in rows of 18,248 bytes, copied 8 bytes at a time.
		{gemmShape{m: 5124, n: 9124, k: 1760}, graph.Float16, []string{"warpgroup MMA: block 128x256x64", "B K-minor in 8-byte copies", "tiles stored in 8-byte chunks"}, "tensor copies"},
		// Gathered: mma.sync.
		{gemmShape{m: 35, n: 8457, k: 2048, ta: true}, graph.BFloat16, []string{"tensor core", "A gathered K-minor, B gathered K-minor"}, ""},
		// 133 workgroups of four warps: K split so that each SM runs two.
		{gemmShape{m: 35, n: 8457, k: 2048, ta: true}, graph.Float16, []string{"tensor core: block 64x64x32", "split K: 2 shares", "tiles stored in 2-byte chunks"}, "bands"},
		{gemmShape{m: 8192, n: 8192, k: 8192}, graph.Float32, []string{"thread tile 8x8 in pieces of 4x4", "tiles in bands of 8 rows"}, "tiles stored"},
		// 133 tiles of eight warps: one SM would run two; K split 6 ways evens them out.
		{gemmShape{m: 35, n: 8457, k: 2048, ta: true}, graph.Float32, []string{"tiled: block 64x64x16", "split K: 6 shares"}, ""},
		// Under two waves of tiles (246 of 128x128): taken row by row.
		{gemmShape{m: 5124, n: 704, k: 2048}, graph.Float16, []string{"warpgroup MMA: block 128x128x64"}, "bands"},
		// Skinny: on tensor cores in blocks of 64 rows, K split 32 and 16 ways; in float32
		// 8 workgroups of 16 groups of 4 rows (B read once for 64 rows), and 8 of 4 groups
		// of 32 rows by all 16 columns (A read once, B once for 128 rows), K split 16 ways.
		{gemmShape{m: 512, n: 8, k: 500000}, graph.Float16, []string{"tensor core: block 64x16x64", "split K: 32 shares"}, ""},
		{gemmShape{m: 1024, n: 16, k: 500000, ta: true}, graph.BFloat16, []string{"tensor core: block 64x16x64", "A K-minor", "split K: 16 shares"}, ""},
		{gemmShape{m: 512, n: 8, k: 500000}, graph.Float32, []string{"skinny: 64x8 outputs", "16 groups of 4 rows", "split K: 16 shares"}, ""},
		{gemmShape{m: 1024, n: 16, k: 500000, ta: true}, graph.Float32, []string{"skinny: 128x16 outputs", "4 groups of 32 rows", "split K: 16 shares"}, ""},
		{gemmShape{m: 1760, n: 16, k: 1760}, graph.Float32, []string{"tiled: block 64x64x16", "split K: 4 shares"}, ""},
	} {
		note := kernelNote(source, c.g, c.dt)
		for _, w := range c.want {
			if !strings.Contains(note, w) {
				t.Errorf("%v %+v: note %q lacks %q", c.dt, c.g, note, w)
			}
		}
		if c.dontWant != "" && strings.Contains(note, c.dontWant) {
			t.Errorf("%v %+v: note %q has %q", c.dt, c.g, note, c.dontWant)
		}
	}
}
