package codegen

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossbar-compute/crossbar/graph"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// glTarget is a typical OpenGL 4.3 device.
var glTarget = Target{MaxWorkgroup: 1024, SharedMemory: 32768, WarpWidth: 1, MaxGroups: 65535}

var glsl = GLSL{Int64: true, Fp64: true}

// Graph construction helpers for the cases: a failed construction fails the test.
type gb struct{ t *testing.T }

func (g gb) must(n *graph.Node, err error) *graph.Node {
	g.t.Helper()
	if err != nil {
		g.t.Fatal(err)
	}
	return n
}

func (g gb) host(dt graph.DType, shape ...int) *graph.Node {
	return g.must(graph.Host(dt, shape, make([]byte, graph.NumElements(shape)*dt.Size())))
}

func (g gb) scalar(v float64, dt graph.DType, shape ...int) *graph.Node {
	c := g.must(graph.Const(graph.ScalarOf(v, dt), dt))
	ones := make([]int, len(shape))
	for i := range ones {
		ones[i] = 1
	}
	return g.must(graph.Expand(g.must(graph.Reshape(c, ones)), shape))
}

func (g gb) bin(op graph.Op, a, b *graph.Node) *graph.Node { return g.must(graph.Binary(op, a, b)) }

// kernel schedules root and returns its last kernel (the one computing root).
func (g gb) kernel(root *graph.Node) *graph.Kernel {
	g.t.Helper()
	ks, err := graph.Schedule([]*graph.Node{root})
	if err != nil || len(ks) == 0 {
		g.t.Fatalf("schedule: %d kernels, %v", len(ks), err)
	}
	return ks[len(ks)-1]
}

type goldenCase struct {
	name  string
	build func(g gb) *graph.Node
	opts  Options
	sm80  bool // CUDA only, on a target with tensor cores and warp shuffles
}

func goldenCases() []goldenCase {
	return []goldenCase{
		{"elementwise_pad_broadcast", func(g gb) *graph.Node {
			// relu(pad(a) + b): a masked read and a broadcast read, fused.
			a := g.must(graph.Pad(g.host(graph.Float32, 3, 4), [][2]int{{1, 1}, {0, 2}}))
			b := g.must(graph.Expand(g.must(graph.Reshape(g.host(graph.Float32, 6), []int{1, 6})), []int{5, 6}))
			return g.bin(graph.OpMax, g.bin(graph.OpAdd, a, b), g.scalar(0, graph.Float32, 5, 6))
		}, Options{}, false},
		{"elementwise_int_div_mod", func(g gb) *graph.Node {
			// Integer division by zero is 0 and Mod is floored, whatever C does.
			a, b := g.host(graph.Int32, 7), g.host(graph.Int32, 7)
			return g.bin(graph.OpAdd, g.bin(graph.OpDiv, a, b), g.bin(graph.OpMod, a, b))
		}, Options{}, false},
		{"elementwise_float16", func(g gb) *graph.Node {
			// Float16 is computed in float and rounded after every operation.
			a := g.host(graph.Float16, 4, 4)
			at := g.must(graph.Permute(a, []int{1, 0}))
			return g.must(graph.Unary(graph.OpExp, g.bin(graph.OpMul, a, at)))
		}, Options{}, false},
		{"reduce_serial_mean", func(g gb) *graph.Node {
			// Mean over the middle axis of a permuted tensor: loads read the permutation in place.
			x := g.must(graph.Permute(g.host(graph.Float32, 4, 16, 8), []int{0, 2, 1}))
			s := g.must(graph.Reduce(graph.OpSum, x, []int{1}))
			return g.bin(graph.OpMul, s, g.scalar(1.0/8, graph.Float32, 4, 1, 16))
		}, Options{}, false},
		{"reduce_group_max", func(g gb) *graph.Node {
			// A long reduction: one workgroup, partial results in a shared-memory tree.
			return g.must(graph.Reduce(graph.OpReduceMax, g.host(graph.Float32, 3, 4096), []int{1}))
		}, Options{}, false},
		{"reduce_group_sum_warps", func(g gb) *graph.Node {
			// A long sum of squares: one workgroup per row, combined by warp shuffles.
			x := g.host(graph.Float32, 3, 4096)
			return g.must(graph.Reduce(graph.OpSum, g.bin(graph.OpMul, x, x), []int{1}))
		}, Options{}, true},
		{"reduce_columns_mean", func(g gb) *graph.Node {
			// A mean over the 300 rows of 80 columns: tiles of 32 neighbouring columns, the
			// last one not full, each read a line at a time.
			s := g.must(graph.Reduce(graph.OpSum, g.host(graph.Float32, 300, 80), []int{0}))
			return g.bin(graph.OpMul, s, g.scalar(1.0/300, graph.Float32, 1, 80))
		}, Options{}, false},
		{"reduce_columns_split", func(g gb) *graph.Node {
			// A sum over 4096 rows of 64 columns of float16, each tile's rows shared among
			// 4 workgroups.
			return g.must(graph.Reduce(graph.OpSum, g.host(graph.Float16, 4096, 64), []int{0}))
		}, Options{ReduceSplit: 4}, true},
		{"matmul_tiled_bias_relu", func(g gb) *graph.Node {
			// A tiled product with a fused epilogue: relu(a·b + bias).
			a, b := g.host(graph.Float32, 128, 96), g.host(graph.Float32, 96, 160)
			bias := g.must(graph.Expand(g.must(graph.Reshape(g.host(graph.Float32, 160), []int{1, 160})), []int{128, 160}))
			y := g.bin(graph.OpAdd, g.must(graph.Contract(a, b)), bias)
			return g.bin(graph.OpMax, y, g.scalar(0, graph.Float32, 128, 160))
		}, Options{}, false},
		{"matmul_tensor_core_bias_relu", func(g gb) *graph.Node {
			// A batched Float16 product on tensor cores, B read through a transposing view
			// (K-major), with relu(a·b + bias) in the epilogue.
			a := g.host(graph.Float16, 2, 96, 64)
			b := g.must(graph.Permute(g.host(graph.Float16, 2, 80, 64), []int{0, 2, 1}))
			bias := g.must(graph.Expand(g.must(graph.Reshape(g.host(graph.Float16, 80), []int{1, 1, 80})), []int{2, 96, 80}))
			y := g.bin(graph.OpAdd, g.must(graph.Contract(a, b)), bias)
			return g.bin(graph.OpMax, y, g.scalar(0, graph.Float16, 2, 96, 80))
		}, Options{TCBlockM: 64, TCBlockN: 64, TCWarpsM: 2, TCWarpsN: 2}, true},
		{"matmul_tiled_double_buffered", func(g gb) *graph.Node {
			// Two halves of shared memory: the next step's tiles travel through registers.
			a, b := g.host(graph.Float32, 96, 40), g.host(graph.Float32, 40, 80)
			return g.must(graph.Contract(a, b))
		}, Options{BlockM: 32, BlockN: 32, BlockK: 16, Buffers: 2}, false},
		{"matmul_tiled_spread", func(g gb) *graph.Node {
			// 8 × 8 a thread in pieces of 4 × 4, 32 rows and columns apart: the threads of a
			// warp read adjacent vectors of the shared tiles.
			a, b := g.host(graph.Float32, 96, 40), g.host(graph.Float32, 40, 80)
			return g.must(graph.Contract(a, b))
		}, Options{BlockM: 64, BlockN: 64, BlockK: 8, ThreadM: 8, ThreadN: 8, Buffers: 2, Spread: true}, false},
		{"matmul_tiled_transposed", func(g gb) *graph.Node {
			// A stored K × M and B stored N × K: neighbouring threads load neighbouring
			// elements along K of B and along M of A, not along the tiles' rows.
			a := g.must(graph.Permute(g.host(graph.Float32, 40, 96), []int{1, 0}))
			b := g.must(graph.Permute(g.host(graph.Float32, 80, 40), []int{1, 0}))
			return g.must(graph.Contract(a, b))
		}, Options{BlockM: 32, BlockN: 32, BlockK: 16, Buffers: 2}, false},
		{"matmul_split_k", func(g gb) *graph.Node {
			// One 64 × 64 tile over K = 200: three workgroups of 80, 80 and 40 along K.
			a, b := g.host(graph.Float32, 64, 200), g.host(graph.Float32, 200, 48)
			return g.must(graph.Contract(a, b))
		}, Options{SplitK: 3}, true},
		{"matmul_skinny", func(g gb) *graph.Node {
			// Six outputs over K = 8192: the threads of a workgroup split K.
			a, b := g.host(graph.Float32, 3, 8192), g.host(graph.Float32, 8192, 2)
			return g.must(graph.Contract(a, b))
		}, Options{}, true},
		{"matmul_skinny_rows", func(g gb) *graph.Node {
			// A transposed: the lanes of a warp take 32 rows, the warps split K.
			a := g.must(graph.Permute(g.host(graph.Float32, 8192, 40), []int{1, 0}))
			return g.must(graph.Contract(a, g.host(graph.Float32, 8192, 10)))
		}, Options{}, true},
		{"matmul_simple_int32", func(g gb) *graph.Node {
			a, b := g.host(graph.Int32, 2, 3, 7), g.host(graph.Int32, 2, 7, 5)
			return g.must(graph.Contract(a, b))
		}, Options{}, false},
		{"gather_rows", func(g gb) *graph.Node {
			return g.must(graph.Gather(g.host(graph.Float32, 10, 8), 0, g.host(graph.Int64, 5)))
		}, Options{}, false},
	}
}

// TestGolden compares the source of representative kernels with testdata/*.glsl, and
// the same IR rendered as CUDA with testdata/*.cu (go test -run TestGolden -update
// rewrites them).
func TestGolden(t *testing.T) {
	dialects := []struct {
		d   Dialect
		ext string
	}{{glsl, ".glsl"}, {CUDA{}, ".cu"}}
	for _, c := range goldenCases() {
		for _, dl := range dialects {
			if c.sm80 && dl.ext != ".cu" {
				continue
			}
			t.Run(c.name+dl.ext, func(t *testing.T) { golden(t, c, dl.d, filepath.Join("testdata", c.name+dl.ext)) })
		}
	}
}

func golden(t *testing.T, c goldenCase, d Dialect, path string) {
	g := gb{t}
	k := g.kernel(c.build(g))
	target := glTarget
	if c.sm80 {
		target = tcTarget
	}
	p, err := Lower(k, target, c.opts)
	if err != nil {
		t.Fatal(err)
	}
	src, err := Render(p, d)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
	}
	if src != string(want) {
		gl, wl := strings.Split(src, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var a, b string
			if i < len(gl) {
				a = gl[i]
			}
			if i < len(wl) {
				b = wl[i]
			}
			if a != b {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(kernel %v; -update rewrites the file)", path, i+1, a, b, k)
			}
		}
	}
}

// TestSkinnyGroups checks the groups of warps of the skinny templates: powers of two that
// divide the warps, as many as leave 8 workgroups.
func TestSkinnyGroups(t *testing.T) {
	for _, c := range []struct{ blocks, warps, want int }{
		{128, 16, 16}, {32, 16, 4}, {9, 16, 1}, {16, 16, 2}, {1000, 12, 4}, {1000, 7, 1}, {1000, 1, 1}, {64, 8, 8},
	} {
		if got := skinnyGroupsOf(c.blocks, c.warps); got != c.want {
			t.Errorf("skinnyGroupsOf(%d blocks, %d warps) = %d, want %d", c.blocks, c.warps, got, c.want)
		}
	}
}
