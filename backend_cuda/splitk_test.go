package backend_cuda

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"unsafe"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/half"
	"github.com/crossbar-compute/crossbar/tensor"
)

// emuProductCase is a product (bias +) A·B run in the emulator by runEmuProducts.
type emuProductCase struct {
	name          string
	arch          Arch
	dt            graph.DType
	batch         int
	m, n, k       int
	transA, trans bool // A stored K × M, B stored N × K
	bias          bool
	o             codegen.Options
	want          []string // in the kernel's source
}

// TestEmuSplitK runs products with K split among the workgroups of each tile in the
// emulator, on the SIMT tiles, the warp-level tensor-core template and the warpgroup
// template: with partial tiles at the edges, a last share shorter than the others,
// batches, A or B transposed and a bias in the epilogue. Both modes must give the same
// bytes (the deferred mode runs the blocks in reverse order, so another workgroup counts
// last), within rounding of a float64 product, and leave the counters zero.
func TestEmuSplitK(t *testing.T) {
	emulatorTest(t)
	sm80, sm90 := TypicalArch(80), TypicalArch(90)
	sm90.WarpgroupMMA = true
	wg := "wgmma.mma_async"
	runEmuProducts(t, []emuProductCase{
		{"simt", sm80, graph.Float32, 1, 70, 50, 300, false, false, false, codegen.Options{SplitK: 3}, []string{"split K: 3 shares"}},
		{"simt-spread-batch-bias", sm80, graph.Float32, 2, 130, 140, 200, false, true, true,
			codegen.Options{BlockM: 128, BlockN: 128, BlockK: 8, ThreadM: 8, ThreadN: 8, Buffers: 2, Spread: true, SplitK: 4},
			[]string{"split K: 4 shares", "in pieces of 4x4"}},
		{"mma-f16", sm80, graph.Float16, 1, 72, 80, 320, false, false, true,
			codegen.Options{TCBlockM: 64, TCBlockN: 64, TCWarpsM: 2, TCWarpsN: 2, SplitK: 4}, []string{"split K: 4 shares", "xb_mma_f16"}},
		{"mma-bf16-transposed-a", sm80, graph.BFloat16, 2, 64, 64, 200, true, false, false,
			codegen.Options{TCBlockM: 64, TCBlockN: 64, TCWarpsM: 2, TCWarpsN: 2, TCStages: 4, SplitK: 2}, []string{"split K: 2 shares", "xb_mma_bf16"}},
		{"wgmma-bf16", sm90, graph.BFloat16, 1, 64, 136, 704, false, true, true,
			codegen.Options{TCBlockM: 64, TCBlockN: 128, TCBlockK: 64, TCStages: 3, SplitK: 3}, []string{"split K: 3 shares", wg}},
		{"wgmma-f16-batch", sm90, graph.Float16, 2, 104, 64, 448, true, false, false,
			codegen.Options{TCBlockM: 128, TCBlockN: 64, TCBlockK: 64, TCStages: 4, SplitK: 6}, []string{"split K: 4 shares", wg}},
	})
}

// TestEmuRaster runs products whose workgroups take the output tiles in bands of rows
// (Options.RasterM) in the emulator, on the SIMT tiles, the warp-level tensor-core
// template and the warpgroup template: bands that divide the rows of tiles and bands with
// a shorter last one, batches, a split of K (whose tiles count by their workgroup), A
// transposed and a bias. A tile taken twice or not at all leaves zeros in the output.
func TestEmuRaster(t *testing.T) {
	emulatorTest(t)
	sm80, sm90 := TypicalArch(80), TypicalArch(90)
	sm90.WarpgroupMMA = true
	band := func(r int) string { return fmt.Sprintf("tiles in bands of %d rows", r) }
	runEmuProducts(t, []emuProductCase{
		// 7 rows of 5 tiles, bands of 3, 3 and 1.
		{"simt-last-band-short", sm80, graph.Float32, 1, 110, 70, 33, false, false, true,
			codegen.Options{BlockM: 16, BlockN: 16, BlockK: 8, ThreadM: 2, ThreadN: 2, RasterM: 3}, []string{band(3), "bandrows"}},
		// 8 rows of 4 tiles, bands of 4, two batches.
		{"simt-batch", sm80, graph.Float32, 2, 128, 50, 20, true, false, false,
			codegen.Options{BlockM: 16, BlockN: 16, BlockK: 8, ThreadM: 2, ThreadN: 2, RasterM: 4}, []string{band(4)}},
		// 4 rows of 5 tiles in bands of 3 and 1, two batches, K in 2 shares.
		{"mma-f16-split", sm80, graph.Float16, 2, 200, 300, 256, false, true, true,
			codegen.Options{TCBlockM: 64, TCBlockN: 64, TCWarpsM: 2, TCWarpsN: 2, SplitK: 2, RasterM: 3},
			[]string{band(3), "split K: 2 shares", "xb_mma_f16"}},
		// 5 rows of 3 tiles in bands of 4 and 1.
		{"wgmma-bf16", sm90, graph.BFloat16, 1, 320, 136, 128, true, false, true,
			codegen.Options{TCBlockM: 64, TCBlockN: 64, TCBlockK: 64, TCStages: 3, RasterM: 4},
			[]string{band(4), "wgmma.mma_async"}},
	})
}

// TestEmuGathered runs products on tensor cores whose operands are not in aligned rows:
// gathered along K where K is their contiguous axis, along M or N (into MN-major tiles)
// where that one is.
func TestEmuGathered(t *testing.T) {
	emulatorTest(t)
	sm80 := TypicalArch(80)
	small := codegen.Options{TCBlockM: 64, TCBlockN: 64, TCWarpsM: 2, TCWarpsN: 2}
	split := small
	split.SplitK = 2
	runEmuProducts(t, []emuProductCase{
		// A 40 × 50 (rows of 100 bytes), B 50 × 38 (76 bytes).
		{"a-along-k-b-along-n", sm80, graph.Float16, 1, 40, 38, 50, false, false, true, small,
			[]string{"A gathered, B gathered K-minor"}},
		// A stored 70 × 42 (K × M), B stored 20 × 70 (N × K, rows of 140 bytes).
		{"a-along-m-b-along-k", sm80, graph.BFloat16, 2, 42, 20, 70, true, true, false, small,
			[]string{"A gathered K-minor, B gathered"}},
		// A stored 300 × 34, B 300 × 50: both along M and N, K split.
		{"both-along-mn-split", sm80, graph.Float16, 1, 34, 50, 300, true, false, false, split,
			[]string{"A gathered K-minor, B gathered K-minor", "split K: 2 shares"}},
	})
}

// TestEmuCopy8 runs products on tensor cores whose operands lie in rows aligned to 8
// bytes only (a multiple of 4 values, not of 8), which are copied asynchronously in
// 8-byte halves of the tiles' chunks: along K and along M or N, on the warp-level
// template (sm_80) and on the warpgroup one (sm_90a), with edges, batches, a split of K
// and a bias.
func TestEmuCopy8(t *testing.T) {
	emulatorTest(t)
	sm80, sm90 := TypicalArch(80), TypicalArch(90)
	sm90.WarpgroupMMA = true
	small := codegen.Options{TCBlockM: 64, TCBlockN: 64, TCWarpsM: 2, TCWarpsN: 2}
	split := small
	split.SplitK = 2
	wg := codegen.Options{TCBlockM: 64, TCBlockN: 64, TCBlockK: 64, TCStages: 3}
	halves := "in 8-byte copies"
	runEmuProducts(t, []emuProductCase{
		// A 60 × 100 (rows of 200 bytes), B 100 × 76 (152 bytes).
		{"mma-a-along-k-b-along-n", sm80, graph.Float16, 1, 60, 76, 100, false, false, true, small,
			[]string{"A K-major in 8-byte copies, B K-minor in 8-byte copies", "xb_cp_async8"}},
		// A stored 140 × 36 (K × M), B stored 44 × 140 (N × K), two batches, K split.
		{"mma-a-along-m-b-along-k-split", sm80, graph.BFloat16, 2, 36, 44, 140, true, true, false, split,
			[]string{"A K-minor in 8-byte copies, B K-major in 8-byte copies", "split K: 2 shares"}},
		// A 100 × 200 (rows of 400 bytes, aligned to 16), B 200 × 140 (280 bytes).
		{"wgmma-b-along-n", sm90, graph.Float16, 1, 100, 140, 200, false, false, true, wg,
			[]string{"A K-major, B K-minor " + halves, "wgmma.mma_async"}},
		// A stored 196 × 68 (K × M), B stored 132 × 196 (N × K), two batches.
		{"wgmma-a-along-m-b-along-k", sm90, graph.BFloat16, 2, 68, 132, 196, true, true, true, wg,
			[]string{"A K-minor " + halves + ", B K-major " + halves, "wgmma.mma_async"}},
	})
}

// TestNVRTCCompilesCopy8 compiles products whose operands are copied in 8-byte halves
// (cp.async.ca of 8 bytes) to sm_80 and sm_90 CUBINs, so that the assembler checks the
// instruction.
func TestNVRTCCompilesCopy8(t *testing.T) {
	n := nvrtcForTest(t)
	for _, c := range []struct {
		dt             graph.DType
		m, n, k        int
		transA, transB bool
	}{
		{graph.Float16, 60, 76, 100, false, false},
		{graph.BFloat16, 36, 44, 140, true, true},
	} {
		size := c.dt.Size()
		kern, _ := splitProduct(t, c.dt, 1, c.m, c.n, c.k, c.transA, c.transB, false,
			make([]byte, c.m*c.k*size), make([]byte, c.k*c.n*size), nil)
		for _, cc := range testArchs {
			arch := TypicalArch(cc)
			p, err := codegen.Lower(kern, arch.Target(), optionsFor(kern, arch, codegen.Options{}))
			if err != nil {
				t.Fatal(err)
			}
			src, err := Source(p)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(src, "cp.async.ca.shared.global [%0], [%1], 8, %2;") {
				t.Fatalf("%v %dx%dx%d: no 8-byte copies in\n%s", c.dt, c.m, c.n, c.k, numbered(src))
			}
			if _, err := n.compile(src, "kernel", gpuArch{cc: cc, cubin: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestEmuSkinny runs products of few outputs over a long K on the skinny templates, whose
// threads read 4 steps along K before they accumulate them: K not a multiple of a round,
// steps left after the rounds, batches and a bias.
func TestEmuSkinny(t *testing.T) {
	emulatorTest(t)
	sm80 := TypicalArch(80)
	along, rows := "lanes along M", "shuffles in warps"
	// Float16 and BFloat16 products of that shape go to tensor cores unless told
	// otherwise (TestEmuSkinnyTensorCore).
	skinny := codegen.Options{Skinny: new(true)}
	runEmuProducts(t, []emuProductCase{
		{"along-k-f32", sm80, graph.Float32, 1, 6, 5, 5000, false, false, true, codegen.Options{}, []string{rows, "4 steps a round"}},
		{"along-k-f16-batch", sm80, graph.Float16, 2, 3, 9, 4100, false, true, false, skinny, []string{rows}},
		{"rows-f32", sm80, graph.Float32, 1, 40, 3, 9000, true, false, false, codegen.Options{}, []string{along, "4 steps a round"}},
		{"rows-bf16-bias", sm80, graph.BFloat16, 1, 70, 10, 4097, true, false, true, skinny, []string{along}},
		// K split: shares of whole strides (512 steps, 16 for the rows), the last shorter.
		{"along-k-split", sm80, graph.Float16, 2, 5, 7, 5000, false, false, true, codegen.Options{SplitK: 3, Skinny: new(true)},
			[]string{rows, "split K: 3 shares of 2048"}},
		{"rows-split", sm80, graph.Float32, 1, 40, 16, 9000, true, false, true, codegen.Options{SplitK: 4},
			[]string{"32x16 outputs", "split K: 4 shares of 2256"}},
		// Groups of warps along M, each 4 rows of its own: 70 rows in workgroups of 2
		// groups (the last group of the last workgroup half past M); 260 rows in
		// workgroups of 8 groups, K split.
		{"along-k-2-groups", sm80, graph.Float32, 1, 70, 5, 5000, false, false, true, codegen.Options{},
			[]string{"8x5 outputs a workgroup of 512 threads in 2 groups of 4 rows, each group's 256 threads"}},
		{"along-k-8-groups-split", sm80, graph.Float16, 2, 260, 3, 6000, false, true, false, codegen.Options{SplitK: 3, Skinny: new(true)},
			[]string{"32x3 outputs a workgroup of 512 threads in 8 groups of 4 rows", "split K: 3 shares of 2048"}},
		// Rows of B read as vectors of 4: 8 columns; 12 columns in blocks of 8, the second
		// vector of the second block past N.
		{"along-k-vectors", sm80, graph.Float32, 1, 70, 8, 5000, false, false, true, codegen.Options{},
			[]string{"in 2 groups of 4 rows", "src1v["}},
		{"along-k-vectors-edge-split", sm80, graph.Float32, 2, 20, 12, 6000, false, false, false, codegen.Options{SplitK: 2},
			[]string{"4x8 outputs", "src1v[", "split K: 2 shares"}},
		// Groups of warps of 32 rows where A is contiguous along M: 520 rows in workgroups of
		// 2 groups (the last workgroup's second group past M), 1024 outputs, two a thread,
		// where K is split; 1030 rows in workgroups of 4 groups.
		{"rows-2-groups-split", sm80, graph.Float32, 1, 520, 16, 9000, true, false, true, codegen.Options{SplitK: 3},
			[]string{"64x16 outputs a workgroup of 512 threads in 2 groups of 32 rows", "split K: 3 shares of 3000"}},
		{"rows-4-groups", sm80, graph.BFloat16, 1, 1030, 2, 16500, true, false, true, skinny,
			[]string{"128x2 outputs a workgroup of 512 threads in 4 groups of 32 rows, lanes along M, each group's 4 warps"}},
	})
}

// TestEmuSkinnyTensorCore runs Float16 and BFloat16 products of few outputs over a long
// K, which a device with tensor cores gives to the warp-level tensor-core template in
// blocks of 64 rows by 16 columns with K split among the workgroups, in the emulator:
// fewer columns than the block, K not a multiple of a step, batches, A transposed, a bias.
func TestEmuSkinnyTensorCore(t *testing.T) {
	emulatorTest(t)
	sm80, sm90 := TypicalArch(80), TypicalArch(90)
	sm80.SMs, sm90.SMs, sm90.WarpgroupMMA = 132, 132, true
	block := "tensor core: block 64x16x64, 4x1 warps of 16x16, 4 stages"
	runEmuProducts(t, []emuProductCase{
		{"f16-8-columns", sm80, graph.Float16, 1, 64, 8, 20000, false, false, true, codegen.Options{},
			[]string{block, "split K: 32 shares of 640"}},
		{"bf16-transposed-batch", sm90, graph.BFloat16, 2, 80, 12, 9000, true, false, false, codegen.Options{},
			[]string{block, "A K-minor, B K-minor in 8-byte copies", "split K: 29 shares of 320"}},
	})
}

// runEmuProducts runs each case in the emulator in both modes: the modes must give the
// same bytes, within rounding of a float64 product, and a split must leave its counters
// zero.
func runEmuProducts(t *testing.T, cases []emuProductCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(c.m), uint64(c.k)))
			// Values exact in every dtype (multiples of 1/64 in [-2, 2)) keep the products
			// exact, so that only the sums round.
			val := func() float32 { return float32(r.IntN(256)-128) / 64 }
			enc := func(v float32, b []byte) {
				switch c.dt {
				case graph.Float32:
					binary.LittleEndian.PutUint32(b, math.Float32bits(v))
				case graph.Float16:
					binary.LittleEndian.PutUint16(b, half.Float16From(v))
				case graph.BFloat16:
					binary.LittleEndian.PutUint16(b, half.BFloat16From(v))
				}
			}
			size := c.dt.Size()
			av := make([]float32, c.batch*c.m*c.k) // [batch][m][k]
			bv := make([]float32, c.batch*c.k*c.n) // [batch][k][n]
			for i := range av {
				av[i] = val()
			}
			for i := range bv {
				bv[i] = val()
			}
			bias := make([]float32, c.n)
			for i := range bias {
				bias[i] = val()
			}
			// The operands as stored: A [batch][m][k] or [batch][k][m], B [batch][k][n] or [batch][n][k].
			ab, bb := make([]byte, len(av)*size), make([]byte, len(bv)*size)
			for z := range c.batch {
				for i := range c.m {
					for p := range c.k {
						at := (z*c.m+i)*c.k + p
						if c.transA {
							at = (z*c.k+p)*c.m + i
						}
						enc(av[(z*c.m+i)*c.k+p], ab[at*size:])
					}
				}
				for p := range c.k {
					for j := range c.n {
						at := (z*c.k+p)*c.n + j
						if c.trans {
							at = (z*c.n+j)*c.k + p
						}
						enc(bv[(z*c.k+p)*c.n+j], bb[at*size:])
					}
				}
			}
			biasb := make([]byte, c.n*size)
			for j, v := range bias {
				enc(v, biasb[j*size:])
			}
			kern, ins := splitProduct(t, c.dt, c.batch, c.m, c.n, c.k, c.transA, c.trans, c.bias, ab, bb, biasb)
			p, err := codegen.Lower(kern, c.arch.Target(), optionsFor(kern, c.arch, c.o))
			if err != nil {
				t.Fatal(err)
			}
			if limit := c.arch.Target().MaxGroups; max(p.Groups[0], p.Groups[1], p.Groups[2]) > limit {
				t.Fatalf("a grid of %v workgroups, past the launch's limit of %d a dimension", p.Groups, limit)
			}
			src, err := codegen.Render(p, codegen.CUDA{})
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range c.want {
				if !strings.Contains(src, want) {
					t.Fatalf("the kernel does not have %q (%v):\n%s", want, p.Notes, numbered(src))
				}
			}
			var first []byte
			for _, mode := range []string{emuEager, emuDeferred} {
				params := [][]byte{make([]byte, c.batch*c.m*c.n*size)}
				for _, in := range kern.Inputs {
					if ins[in] == nil {
						t.Fatalf("input %v is none of the operands", in)
					}
					params = append(params, bytes.Clone(ins[in]))
				}
				split := p.Split.Counters > 0
				if split {
					params = append(params, make([]byte, 4*p.Split.Counters), bytes.Repeat([]byte{0xff}, 4*p.Split.Partials))
				}
				if err := emulate(t, p, mode, params); err != nil {
					t.Fatalf("%v\n%s", err, numbered(src))
				}
				if cs := params[len(params)-2]; split && !bytes.Equal(cs, make([]byte, len(cs))) {
					t.Fatalf("%s mode: counters left not zero", mode)
				}
				if first == nil {
					first = params[0]
					continue
				}
				if !bytes.Equal(first, params[0]) {
					t.Fatalf("the deferred mode's output (blocks in reverse order) differs from the eager mode's\n%s", numbered(src))
				}
			}
			dec := func(b []byte) float64 {
				switch c.dt {
				case graph.Float16:
					return float64(half.Float16To(binary.LittleEndian.Uint16(b)))
				case graph.BFloat16:
					return float64(half.BFloat16To(binary.LittleEndian.Uint16(b)))
				}
				return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
			}
			tol := map[graph.DType]float64{graph.Float32: 1e-6, graph.Float16: 1e-3, graph.BFloat16: 8e-3}[c.dt]
			for z := range c.batch {
				for i := range c.m {
					for j := range c.n {
						var want float64
						for p := range c.k {
							want += float64(av[(z*c.m+i)*c.k+p]) * float64(bv[(z*c.k+p)*c.n+j])
						}
						if c.bias {
							want += float64(bias[j])
						}
						at := (z*c.m+i)*c.n + j
						got := dec(first[at*size:])
						if !(math.Abs(got-want) <= tol*(math.Abs(want)+math.Sqrt(float64(c.k)))) { // NaN fails
							t.Fatalf("batch %d element [%d %d]: got %v, want %v", z, i, j, got, want)
						}
					}
				}
			}
		})
	}
}

// splitProduct is the kernel of (bias +) A·B over batches of host operands: A stored
// batch × M × K (K × M with transA), B batch × K × N (N × K with transB), bias N; and the
// bytes of each of its input nodes.
func splitProduct(t *testing.T, dt graph.DType, batch, m, n, k int, transA, transB, withBias bool, ab, bb, biasb []byte) (*graph.Kernel, map[*graph.Node][]byte) {
	t.Helper()
	must := func(x *graph.Node, err error) *graph.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	ins := map[*graph.Node][]byte{}
	host := func(shape []int, data []byte) *graph.Node {
		x := must(graph.Host(dt, shape, data))
		ins[x] = data
		return x
	}
	var a, b *graph.Node
	if transA {
		a = must(graph.Permute(host([]int{batch, k, m}, ab), []int{0, 2, 1}))
	} else {
		a = host([]int{batch, m, k}, ab)
	}
	if transB {
		b = must(graph.Permute(host([]int{batch, n, k}, bb), []int{0, 2, 1}))
	} else {
		b = host([]int{batch, k, n}, bb)
	}
	y := must(graph.Contract(a, b))
	if withBias {
		bias := must(graph.Expand(must(graph.Reshape(host([]int{n}, biasb), []int{1, 1, n})), []int{batch, m, n}))
		y = must(graph.Binary(graph.OpAdd, y, bias))
	}
	ks, err := graph.Schedule([]*graph.Node{y})
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 1 {
		t.Fatalf("%d kernels, want the product alone", len(ks))
	}
	return ks[0], ins
}

// TestFakeSplitKWorkspace launches split-K products on the fake driver: the device gives
// them a workspace, grows it for a larger one, and keeps its counters zero.
func TestFakeSplitKWorkspace(t *testing.T) {
	if inFakeChild() {
		fakeSplitKChild(t)
		return
	}
	runFakeChild(t, "TestFakeSplitKWorkspace")
}

func fakeSplitKChild(t *testing.T) {
	dev, err := backend.Open("cuda")
	if err != nil {
		t.Fatal(err)
	}
	d := dev.(*Device)
	for i, c := range []struct{ m, n, k int }{{1760, 16, 1760}, {4224, 16, 1024}} {
		// Float32 on 64 x 64 tiles: 28 and 66 tiles for the fake's 132 SMs, split 4 and 2
		// ways: 1.8 and 2.1 MiB of partial tiles.
		_, kern := fakeProduct(t, graph.Float32, c.m, c.n, c.k)
		if o := d.tuning.Options(kern); o.SplitK < 2 {
			t.Fatalf("%dx%dx%d: SplitK %d, want a split", c.m, c.n, c.k, o.SplitK)
		}
		before := d.partialBytes
		a := tensor.RandUniform(uint64(i), tensor.Float32, c.m, c.k).To(d)
		b := tensor.RandUniform(uint64(i+1), tensor.Float32, c.k, c.n).To(d)
		if err := a.MatMul(b).Realize(); err != nil {
			t.Fatal(err)
		}
		if d.counters == 0 || d.partials == 0 || d.partialBytes <= before {
			t.Fatalf("%dx%dx%d: workspace counters %#x, partials %#x of %d bytes (%d before)", c.m, c.n, c.k,
				d.counters, d.partials, d.partialBytes, before)
		}
		// The fake's device memory is host memory, written when the stream's work is waited for.
		if err := d.Synchronize(); err != nil {
			t.Fatal(err)
		}
		counters := unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&d.counters))), d.counterBytes)
		if !bytes.Equal(counters, make([]byte, len(counters))) {
			t.Fatalf("the counters are not zero")
		}
	}
	// A sum of a whole tensor, which 2,048 workgroups share through the same workspace:
	// the launch passes it after the buffers.
	if err := tensor.RandUniform(7, tensor.Float32, 1<<22).To(d).Sum().Realize(); err != nil {
		t.Fatal(err)
	}
}

// TestFakeSplitKCollects launches a split-K product on the fake driver with its device
// memory nearly full of garbage: growing the workspace fails for want of memory, and the
// launch succeeds once the executor has collected the garbage; with no garbage to collect,
// the launch fails with ErrOutOfMemory naming the workspace.
func TestFakeSplitKCollects(t *testing.T) {
	if inFakeChild() {
		fakeSplitKCollectsChild(t)
		return
	}
	runFakeChild(t, "TestFakeSplitKCollects")
}

func fakeSplitKCollectsChild(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no collection but the executor's
	var limit func(uintptr)
	var used func() uintptr
	fakeFunc(t, "fakeMemLimit", &limit)
	fakeFunc(t, "fakeMemUsed", &used)
	defer limit(1 << 40)
	dev, err := backend.Open("cuda")
	if err != nil {
		t.Fatal(err)
	}
	d := dev.(*Device)
	// Float32 1760 x 16 x 1760: split 4 ways, 1.8 MiB of partial tiles (see
	// TestFakeSplitKWorkspace).
	a := tensor.RandUniform(1, tensor.Float32, 1760, 1760).To(d)
	b := tensor.RandUniform(2, tensor.Float32, 1760, 16).To(d)
	for _, x := range []*tensor.Tensor{a, b} {
		if err := x.Realize(); err != nil {
			t.Fatal(err)
		}
	}
	func() {
		garbage := tensor.RandUniform(3, tensor.Float32, 4<<20).To(d)
		if err := garbage.Realize(); err != nil {
			t.Fatal(err)
		}
	}()
	// Room for the product's result and 512 KiB more: not for the workspace.
	full := used() + 1760*16*4 + 512<<10
	limit(full)
	if err := a.MatMul(b).Realize(); err != nil {
		t.Fatalf("the product with 16 MiB of garbage on the device: %v", err)
	}
	if d.partialBytes == 0 {
		t.Fatalf("the product ran without a workspace")
	}
	// The garbage's 16 MiB went; the workspace's 3 MiB came.
	if u := used(); u > full-12<<20 {
		t.Errorf("%d bytes in use after the product, %d allowed before it with 16 MiB of garbage", u, full)
	}

	// No garbage: a product that needs a larger workspace (2.1 MiB of partial tiles) than
	// fits fails, naming it.
	limit(1 << 40)
	a2 := tensor.RandUniform(4, tensor.Float32, 4224, 1024).To(d)
	b2 := tensor.RandUniform(5, tensor.Float32, 1024, 16).To(d)
	for _, x := range []*tensor.Tensor{a2, b2} {
		if err := x.Realize(); err != nil {
			t.Fatal(err)
		}
	}
	limit(used() + 4224*16*4)
	err = a2.MatMul(b2).Realize()
	if !errors.Is(err, backend.ErrOutOfMemory) || !strings.Contains(err.Error(), "split-K") {
		t.Errorf("a product whose workspace cannot fit: %v, want ErrOutOfMemory naming the split-K workspace", err)
	}
	// Until here, for the garbage above to be the only garbage.
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
}

// TestEmuElementwiseElems runs elementwise kernels whose threads compute 4 and 8 elements
// (Options.Elems) in the emulator, over sizes that end in a partial workgroup (whose
// threads past the end must not touch memory: the buffers end at a page that faults),
// with a broadcast operand and a transposed one, and compares with the CPU device.
func TestEmuElementwiseElems(t *testing.T) {
	emulatorTest(t)
	elementwise := func(k *graph.Kernel) bool { return k.Core == nil }
	r := rand.New(rand.NewPCG(9, 10))
	for _, c := range []struct{ m, n, elems int }{{37, 29, 4}, {16, 64, 4}, {5, 300, 4}, {37, 29, 8}, {23, 41, 8}} {
		d := &emuDevice{Device: cpu.New(), t: t, name: fmt.Sprintf("cuda-emulated-elems-%d", c.elems), arch: TypicalArch(80),
			selects: elementwise, only: fmt.Sprintf("%d a thread", c.elems), opts: codegen.Options{Elems: c.elems, Local: 64}}
		a, b, bias := make([]float32, c.m*c.n), make([]float32, c.n*c.m), make([]float32, c.n)
		for i := range a {
			a[i], b[i] = float32(r.Float64()*2-1), float32(r.Float64()*2-1)
		}
		for i := range bias {
			bias[i] = float32(r.Float64())
		}
		f := func(dev backend.Device) ([]float32, error) {
			x := tensor.New(a, c.m, c.n).To(dev)
			y := tensor.New(b, c.n, c.m).To(dev).Transpose()
			return tensor.Data[float32](x.Mul(y).Add(tensor.New(bias, c.n).To(dev)).ReLU())
		}
		before := d.emulated.Load()
		got, err := f(d)
		if err != nil {
			t.Fatal(err)
		}
		if d.emulated.Load() == before {
			t.Fatalf("%dx%d: no kernel with %d elements a thread was emulated", c.m, c.n, c.elems)
		}
		want, err := f(cpu.New())
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%dx%d, %d a thread: element %d: got %v, want %v", c.m, c.n, c.elems, i, got[i], want[i])
			}
		}
	}
}

// TestEmuTwoDimensionalGrids runs kernels of more workgroups than one launch dimension
// takes (codegen's Target.MaxGroups: 65535 on a GPU, 61 here), which launch a second row
// of them, some past the last, in the emulator and compares with the CPU device: each
// kernel that strides through whole workgroups (elementwise rounds, group and column
// reductions, split or not) and one thread an output (serial reductions, simple
// products). Those past the last must leave: the buffers end at a page that faults.
// On an H200, a copy of 128 Mi float32 in rounds of 8 elements is 65,536 workgroups.
func TestEmuTwoDimensionalGrids(t *testing.T) {
	emulatorTest(t)
	arch := TypicalArch(80)
	arch.SMs, arch.MaxGrid[0] = 2, 61
	// data is n values in [0.5, 1.5), the same at every call for the same n.
	data := func(n int) []float32 {
		r := rand.New(rand.NewPCG(uint64(n), 12))
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.Float64() + 0.5)
		}
		return v
	}
	all := func(*graph.Kernel) bool { return true }
	for _, c := range []struct {
		name string
		opts codegen.Options
		only string // in the kernel that must take two dimensions
		f    func(dev backend.Device) *tensor.Tensor
	}{
		// 62 workgroups of 64 threads of 8 elements, a whole number of them.
		{"elementwise-rounds", codegen.Options{Elems: 8, Local: 64}, "elementwise: 31744 elements, 8 a thread",
			func(dev backend.Device) *tensor.Tensor {
				a, b := tensor.New(data(31744)).To(dev), tensor.New(data(31744)).To(dev).Flip(0)
				return a.Mul(b).Add(a).ReLU()
			}},
		{"elementwise-rounds-partial", codegen.Options{Elems: 4, Local: 64}, "elementwise: 15879 elements, 4 a thread",
			func(dev backend.Device) *tensor.Tensor { return tensor.New(data(15879)).To(dev).Exp() }},
		{"elementwise", codegen.Options{Local: 64}, "elementwise: 4000 threads",
			func(dev backend.Device) *tensor.Tensor { return tensor.New(data(4000)).To(dev).Sqrt() }},
		{"row-sums", codegen.Options{}, "reduce sum group: 70 outputs",
			func(dev backend.Device) *tensor.Tensor { return tensor.New(data(70*300), 70, 300).To(dev).Sum(1) }},
		{"column-sums", codegen.Options{Reduce: codegen.ReduceColumns}, "reduce sum columns: 2112 outputs",
			func(dev backend.Device) *tensor.Tensor { return tensor.New(data(40*2112), 40, 2112).To(dev).Sum(0) }},
		{"split-sum", codegen.Options{ReduceSplit: 100}, " elements a workgroup,",
			func(dev backend.Device) *tensor.Tensor { return tensor.New(data(100 * 128 * 3)).To(dev).Sum() }},
		{"serial-max", codegen.Options{Local: 32}, "reduce reduce_max serial: 3000 outputs",
			func(dev backend.Device) *tensor.Tensor { return tensor.New(data(3000*3), 3000, 3).To(dev).Max(1) }},
		{"simple-product", codegen.Options{Local: 32}, "contract simple: 3000 outputs",
			func(dev backend.Device) *tensor.Tensor {
				return tensor.New(data(1000*5), 1000, 5).To(dev).MatMul(tensor.New(data(5*3), 5, 3).To(dev))
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dev := &emuDevice{Device: cpu.New(), t: t, name: "cuda-emulated-grid-61-" + c.name, arch: arch, opts: c.opts,
				selects: all, only: c.only}
			got, err := tensor.Data[float32](c.f(dev))
			if err != nil {
				t.Fatal(err)
			}
			if dev.emulated.Load() == 0 {
				t.Fatalf("no kernel with %q was emulated", c.only)
			}
			want, err := tensor.Data[float32](c.f(cpu.New()))
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if math.Abs(float64(got[i]-want[i])) > 1e-5*math.Abs(float64(want[i])) {
					t.Fatalf("element %d: %v, the CPU's %v", i, got[i], want[i])
				}
			}
		})
	}
}

// TestEmuFoldedGrids runs batched products whose batches (times the shares of a split)
// pass the launch's limit of a dimension in the emulator, on a device whose launches take
// at most 7 workgroups a dimension (65,535 on a GPU): the batches fold into bands of the
// second dimension, on the SIMT tiles (with bands of tiles, and with a split of K), the
// warp-level tensor-core template, the warpgroup template with and without tensor copies,
// and both skinny templates. Most leave workgroups past the last batch, which must leave
// without a store; a batch taken twice or not at all, or a tile row of the wrong batch,
// leaves wrong values.
func TestEmuFoldedGrids(t *testing.T) {
	emulatorTest(t)
	sm80, sm90, sm90tma := TypicalArch(80), TypicalArch(90), TypicalArch(90)
	sm90.WarpgroupMMA, sm90tma.WarpgroupMMA, sm90tma.TensorMaps = true, true, true
	for _, a := range []*Arch{&sm80, &sm90, &sm90tma} {
		a.MaxGrid[0] = 7
	}
	folded := func(z, fold int, s ...string) []string {
		return append([]string{fmt.Sprintf("grid: %d batches and shares, %d of them in bands along the second dimension", z, fold)}, s...)
	}
	simt := codegen.Options{BlockM: 16, BlockN: 16, BlockK: 8, ThreadM: 2, ThreadN: 2, TiledMin: 1}
	banded, split := simt, simt
	banded.RasterM, split.SplitK = 2, 3
	runEmuProducts(t, []emuProductCase{
		// 2 x 2 tiles, 20 batches in bands of 3: a grid of 2 x 6 x 7, the last band short.
		{"simt", sm80, graph.Float32, 20, 30, 20, 40, false, false, true, simt, folded(20, 3, "contract tiled")},
		{"simt-bands-of-tiles", sm80, graph.Float32, 20, 30, 20, 40, true, false, false, banded,
			folded(20, 3, "tiles in bands of 2 rows")},
		// 3 batches of 3 shares in bands of 2: 10 places for 9.
		{"simt-split", sm80, graph.Float32, 3, 20, 20, 300, false, true, true, split,
			folded(9, 2, "split K: 3 shares")},
		{"mma-f16", sm80, graph.Float16, 11, 72, 80, 64, false, false, true,
			codegen.Options{TCBlockM: 64, TCBlockN: 64, TCWarpsM: 2, TCWarpsN: 2}, folded(11, 2, "xb_mma_f16")},
		{"wgmma-bf16", sm90, graph.BFloat16, 9, 64, 136, 128, true, false, false,
			codegen.Options{TCBlockM: 64, TCBlockN: 128, TCBlockK: 64, TCStages: 3}, folded(9, 2, "wgmma.mma_async")},
		{"wgmma-tma-f16", sm90tma, graph.Float16, 8, 130, 64, 96, false, true, true,
			codegen.Options{TCBlockM: 128, TCBlockN: 64, TCBlockK: 32, TCStages: 3}, folded(8, 2, "xb_tma_load_3d")},
		{"skinny-along-k", sm80, graph.Float32, 9, 4, 4, 4096, false, false, false, codegen.Options{},
			folded(9, 2, "contract skinny: 4x4 outputs")},
		{"skinny-rows", sm80, graph.Float32, 9, 32, 4, 4096, true, false, true, codegen.Options{},
			folded(9, 2, "contract skinny: 32x4 outputs", "lanes along M")},
	})
}

// TestEmuWarpgroupTMA runs products on the warpgroup template with tiles loaded by tensor
// copies (TMA) in the emulator: every orientation of A and B, K-major tiles 16, 32 and 64
// values deep (32-, 64- and 128-byte swizzles), edges past M, N and K (the boxes' zero
// fill), batches, a split of K, two stages (no MMAs left in flight) and four, bands of
// tiles and a bias.
func TestEmuWarpgroupTMA(t *testing.T) {
	emulatorTest(t)
	sm90 := TypicalArch(90)
	sm90.WarpgroupMMA, sm90.TensorMaps = true, true
	tma := []string{"tiles loaded by tensor copies", "xb_tma_load_"}
	with := func(s ...string) []string { return append(append([]string{}, tma...), s...) }
	runEmuProducts(t, []emuProductCase{
		// Two warpgroups, K of 200 in steps of 64 (the last box 8 deep), 2 x 2 tiles with edges.
		{"f16-edges", sm90, graph.Float16, 1, 200, 136, 200, false, false, true,
			codegen.Options{TCBlockM: 128, TCBlockN: 128, TCBlockK: 64, TCStages: 4}, with("2 warpgroups", "A K-major, B K-minor")},
		// Two warpgroups over 10 steps in 3 stages: each stage refilled only after both
		// warpgroups' MMAs are done with it.
		{"f16-two-warpgroups-refills", sm90, graph.Float16, 1, 256, 128, 640, true, false, false,
			codegen.Options{TCBlockM: 128, TCBlockN: 128, TCBlockK: 64, TCStages: 3}, with("2 warpgroups", "3 stages")},
		// The tiles of 8192³ on an H200: 128x256x64 in 4 stages, bands of tiles, B MN-major in
		// four atoms a stage.
		{"f16-h200-tiles", sm90, graph.Float16, 1, 256, 512, 640, false, false, true,
			codegen.Options{TCBlockM: 128, TCBlockN: 256, TCBlockK: 64, TCStages: 4, RasterM: 2},
			with("block 128x256x64, 2 warpgroups of 64x256, 4 stages", "tiles in bands of 2 rows")},
		{"bf16-transposed-both-batch", sm90, graph.BFloat16, 2, 96, 72, 136, true, true, false,
			codegen.Options{TCBlockM: 64, TCBlockN: 128, TCBlockK: 64, TCStages: 3}, with("A K-minor, B K-major", "xb_tma_load_3d")},
		{"f16-split", sm90, graph.Float16, 1, 128, 64, 1000, false, false, false,
			codegen.Options{TCBlockM: 64, TCBlockN: 64, TCBlockK: 64, TCStages: 4, SplitK: 3}, with("split K: 3 shares")},
		{"bf16-two-stages", sm90, graph.BFloat16, 1, 64, 256, 320, true, false, true,
			codegen.Options{TCBlockM: 64, TCBlockN: 256, TCBlockK: 64, TCStages: 2}, with("2 stages")},
		{"f16-32-deep", sm90, graph.Float16, 1, 130, 64, 96, false, false, false,
			codegen.Options{TCBlockM: 128, TCBlockN: 64, TCBlockK: 32, TCStages: 3}, with("block 128x64x32")},
		{"f16-16-deep-k-major", sm90, graph.Float16, 2, 64, 100, 72, false, true, false,
			codegen.Options{TCBlockM: 64, TCBlockN: 128, TCBlockK: 16, TCStages: 4}, with("A K-major, B K-major")},
		{"bf16-bands", sm90, graph.BFloat16, 1, 320, 136, 128, true, false, true,
			codegen.Options{TCBlockM: 64, TCBlockN: 64, TCBlockK: 64, TCStages: 3, RasterM: 4}, with("tiles in bands of 4 rows")},
	})
}

// TestEmuStagedStore runs products whose tiles go to memory through shared memory in the
// emulator, on the warp-level tensor-core template and the warpgroup template (with and
// without tensor copies): rows of the output in whole chunks of 16, 8, 4 and 2 bytes (N a
// multiple of 8, of 4, of 2, and odd: the last column of a row has no neighbour), partial
// tiles at the edges, batches and a bias, whose last element a row's last column reads.
// The output's buffer ends at a page that faults, so that a chunk stored past it stops the
// kernel.
func TestEmuStagedStore(t *testing.T) {
	emulatorTest(t)
	sm80, sm90, sm90tma := TypicalArch(80), TypicalArch(90), TypicalArch(90)
	sm90.WarpgroupMMA, sm90tma.WarpgroupMMA, sm90tma.TensorMaps = true, true, true
	staged := func(bytes int, s ...string) []string {
		return append([]string{fmt.Sprintf("then store it in %d-byte chunks of its rows", bytes)}, s...)
	}
	mma := codegen.Options{TCBlockM: 64, TCBlockN: 64, TCWarpsM: 2, TCWarpsN: 2, TCStages: 3}
	wg := codegen.Options{TCBlockM: 128, TCBlockN: 64, TCBlockK: 64, TCStages: 3}
	runEmuProducts(t, []emuProductCase{
		{"mma-f16-16", sm80, graph.Float16, 2, 72, 136, 96, false, false, true, mma, staged(16, "xb_mma_f16")},
		{"mma-bf16-8", sm80, graph.BFloat16, 1, 96, 100, 64, true, true, true, mma, staged(8, "xb_mma_bf16")},
		{"mma-f16-4", sm80, graph.Float16, 1, 70, 70, 64, false, true, true, mma, staged(4)},
		{"mma-f16-2-batch", sm80, graph.Float16, 2, 65, 37, 48, false, true, true, mma, staged(2)},
		{"wgmma-f16-2", sm90, graph.Float16, 2, 130, 37, 128, false, true, true, wg, staged(2, "wgmma.mma_async")},
		{"wgmma-bf16-8", sm90, graph.BFloat16, 1, 64, 100, 96, true, true, false, wg, staged(8, "wgmma.mma_async")},
		{"wgmma-tma-f16-2", sm90tma, graph.Float16, 1, 130, 75, 128, false, true, true, wg, staged(2, "xb_tma_load_")},
		{"wgmma-tma-bf16-4-batch", sm90tma, graph.BFloat16, 2, 64, 70, 64, true, true, true, wg, staged(4, "xb_tma_load_")},
		{"wgmma-tma-f16-16-h200-tiles", sm90tma, graph.Float16, 1, 200, 264, 128, false, false, true,
			codegen.Options{TCBlockM: 128, TCBlockN: 256, TCBlockK: 64, TCStages: 4}, staged(16, "xb_tma_load_")},
	})
}

// emuReduceCase is a reduction of x run in the emulator by runEmuReductions.
type emuReduceCase struct {
	name   string
	x      *tensor.Tensor
	reduce func(x *tensor.Tensor) *tensor.Tensor
	tol    float64 // relative to the same reduction of the magnitudes (a sum's)
}

// runEmuReductions runs each case on dev, which must emulate its reduction, and compares
// the result with the CPU's: NaN where the CPU has NaN, else within the case's tolerance.
func runEmuReductions(t *testing.T, dev *emuDevice, cases []emuReduceCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := dev.emulated.Load()
			got, err := tensor.Data[float32](c.reduce(c.x.To(dev)).Cast(tensor.Float32))
			if err != nil {
				t.Fatal(err)
			}
			if dev.emulated.Load() == before {
				t.Fatalf("the reduction was not emulated: its source lacks %q", dev.only)
			}
			want, err := tensor.Data[float32](c.reduce(c.x).Cast(tensor.Float32))
			if err != nil {
				t.Fatal(err)
			}
			abs, err := tensor.Data[float32](c.reduce(c.x.Cast(tensor.Float32).Abs()).Cast(tensor.Float32))
			if err != nil {
				t.Fatal(err)
			}
			bad := 0
			for i := range want {
				if math.IsNaN(float64(want[i])) != math.IsNaN(float64(got[i])) ||
					math.Abs(float64(got[i]-want[i])) > c.tol*float64(abs[i]) {
					if bad++; bad <= 5 {
						t.Errorf("output %d: %v, the CPU's %v", i, got[i], want[i])
					}
				}
			}
		})
	}
}

// lastKernel schedules root and returns its last kernel, the one that computes root.
func lastKernel(t testing.TB, root *graph.Node) *graph.Kernel {
	t.Helper()
	ks, err := graph.Schedule([]*graph.Node{root})
	if err != nil {
		t.Fatal(err)
	}
	return ks[len(ks)-1]
}

// reductions picks the reduction kernels for the emulator.
func reductions(k *graph.Kernel) bool { return k.Core != nil && k.Core.Op.IsReduce() }

// TestEmuReduceSplit runs reductions that several workgroups share (codegen's ReduceSplit,
// as optionsFor chooses it for an H200's 132 SMs) in the emulator: sums, maxima, minima
// and means of float32, float16 and bfloat16, of whole tensors, of rows and of columns,
// one with a NaN, sums and maxima of float64, int32 and int64 (their own workspace
// types), and of uint8 and bool (held in the workspace as int32): an any and an all whose
// answer hangs on one element. Each runs in both modes (the second runs the workgroups in reverse
// order, so that another counts last), which must give the same bytes, close to the CPU's
// result, and leave the counters zero.
func TestEmuReduceSplit(t *testing.T) {
	emulatorTest(t)
	arch := TypicalArch(90)
	arch.SMs = 132
	dev := &emuDevice{Device: cpu.New(), t: t, name: "cuda-emulated-reduce-split", arch: arch, selects: reductions,
		only: " elements a workgroup,"}
	nan := make([]float32, 2*9000)
	for i := range nan {
		nan[i] = float32(i%97) - 40
	}
	nan[12345] = float32(math.NaN())
	runEmuReductions(t, dev, []emuReduceCase{
		{"sum-f32-all", tensor.RandNormal(1, tensor.Float32, 70001), func(x *tensor.Tensor) *tensor.Tensor { return x.Sum() }, 1e-6},
		{"max-f16-rows", tensor.RandNormal(2, tensor.Float16, 3, 20000), func(x *tensor.Tensor) *tensor.Tensor { return x.Max(1) }, 0},
		{"sum-bf16-rows", tensor.RandUniform(3, tensor.BFloat16, 2, 9000), func(x *tensor.Tensor) *tensor.Tensor { return x.Sum(1) }, 1e-2},
		{"min-f32-columns", tensor.RandNormal(4, tensor.Float32, 5000, 3), func(x *tensor.Tensor) *tensor.Tensor { return x.Min(0) }, 0},
		{"mean-f32-all", tensor.RandUniform(5, tensor.Float32, 40000), func(x *tensor.Tensor) *tensor.Tensor { return x.Mean() }, 1e-6},
		{"max-f32-nan", tensor.New(nan, 2, 9000), func(x *tensor.Tensor) *tensor.Tensor { return x.Max(1) }, 0},
		{"sum-f64-all", tensor.RandNormal(6, tensor.Float64, 50001), func(x *tensor.Tensor) *tensor.Tensor { return x.Sum() }, 1e-7},
		{"sum-i32-all", tensor.New(ints[int32](60001, 7), 60001), func(x *tensor.Tensor) *tensor.Tensor { return x.Sum() }, 0},
		{"max-i64-rows", tensor.New(ints[int64](2*30000, 8), 2, 30000), func(x *tensor.Tensor) *tensor.Tensor { return x.Max(1) }, 0},
		{"sum-i32-columns", tensor.New(ints[int32](3000*40, 9), 3000, 40), func(x *tensor.Tensor) *tensor.Tensor { return x.Sum(0) }, 0},
		{"any-bool-all", tensor.New(oneOf(70001, 1234, false), 70001), func(x *tensor.Tensor) *tensor.Tensor { return x.Max() }, 0},
		{"all-bool-rows", tensor.New(oneOf(2*30000, 30000+29000, true), 2, 30000), func(x *tensor.Tensor) *tensor.Tensor { return x.Min(1) }, 0},
		{"sum-u8-columns", tensor.New(bytesOf(3000*40, 10), 3000, 40), func(x *tensor.Tensor) *tensor.Tensor { return x.Sum(0) }, 0},
		{"max-u8-all", tensor.New(bytesOf(50001, 11), 50001), func(x *tensor.Tensor) *tensor.Tensor { return x.Max() }, 0},
	})
}

// oneOf returns n copies of v but element i, which is !v.
func oneOf(n, i int, v bool) []bool {
	b := make([]bool, n)
	for j := range b {
		b[j] = v != (j == i)
	}
	return b
}

// bytesOf returns n pseudo-random bytes from seed, below 200 (so that a maximum of 255 is
// not the type's own).
func bytesOf(n int, seed uint64) []uint8 {
	r := rand.New(rand.NewPCG(seed, 1))
	v := make([]uint8, n)
	for i := range v {
		v[i] = uint8(r.IntN(200))
	}
	return v
}

// ints returns n pseudo-random integers in [-1000, 1000) from seed.
func ints[T int32 | int64](n int, seed uint64) []T {
	r := rand.New(rand.NewPCG(seed, 1))
	v := make([]T, n)
	for i := range v {
		v[i] = T(r.IntN(2000) - 1000)
	}
	return v
}

// TestEmuReduceColumns runs reductions whose neighbouring outputs read neighbouring
// elements (over the rows of matrices, codegen's column template) in the emulator against
// the CPU: on 132 SMs, where optionsFor splits each tile's rows among workgroups (run in
// both orders), and on 2, where it does not. The last tile of each is not full.
func TestEmuReduceColumns(t *testing.T) {
	emulatorTest(t)
	nan := make([]float32, 700*40)
	for i := range nan {
		nan[i] = float32(i%89) - 30
	}
	nan[40*333+7] = float32(math.NaN())
	for _, c := range []struct {
		sms   int
		only  string
		cases []emuReduceCase
	}{
		{132, " elements a workgroup,", []emuReduceCase{
			{"sum-f32", tensor.RandNormal(1, tensor.Float32, 3000, 70), func(x *tensor.Tensor) *tensor.Tensor { return x.Sum(0) }, 1e-6},
			{"max-f16-nan", tensor.New(nan, 700, 40).Cast(tensor.Float16), func(x *tensor.Tensor) *tensor.Tensor { return x.Max(0) }, 0},
			{"mean-bf16-two-axes", tensor.RandUniform(2, tensor.BFloat16, 500, 3, 33), func(x *tensor.Tensor) *tensor.Tensor { return x.Mean(0, 1) }, 1e-2},
			{"min-f32-middle", tensor.RandNormal(3, tensor.Float32, 2, 900, 50), func(x *tensor.Tensor) *tensor.Tensor { return x.Min(1) }, 0},
		}},
		{2, "one workgroup of 32 lanes", []emuReduceCase{
			{"sum-squares-f32", tensor.RandNormal(4, tensor.Float32, 300, 1000), func(x *tensor.Tensor) *tensor.Tensor { return x.Mul(x).Sum(0) }, 1e-6},
			{"max-bf16", tensor.RandNormal(5, tensor.BFloat16, 260, 1100), func(x *tensor.Tensor) *tensor.Tensor { return x.Max(0) }, 0},
		}},
	} {
		arch := TypicalArch(90)
		arch.SMs = c.sms
		dev := &emuDevice{Device: cpu.New(), t: t, name: fmt.Sprintf("cuda-emulated-reduce-columns-%d", c.sms), arch: arch,
			selects: reductions, only: c.only}
		t.Run(fmt.Sprint(c.sms, "-SMs"), func(t *testing.T) {
			dev.t = t
			runEmuReductions(t, dev, c.cases)
		})
	}
}

// TestEmuReduceRows runs reductions over the rows of matrices with more rows than codegen
// gives a workgroup each by default (4096), which optionsFor gives a workgroup each all
// the same, in the emulator against the CPU; a reduction over columns keeps one thread an
// output.
func TestEmuReduceRows(t *testing.T) {
	emulatorTest(t)
	arch := TypicalArch(80)
	arch.SMs = 108
	dev := &emuDevice{Device: cpu.New(), t: t, name: "cuda-emulated-reduce-rows", arch: arch, selects: reductions,
		only: "4100 outputs of 260 elements, one workgroup"}
	runEmuReductions(t, dev, []emuReduceCase{
		{"sum-f32", tensor.RandNormal(1, tensor.Float32, 4100, 260), func(x *tensor.Tensor) *tensor.Tensor { return x.Sum(1) }, 1e-6},
		{"max-bf16", tensor.RandNormal(2, tensor.BFloat16, 4100, 260), func(x *tensor.Tensor) *tensor.Tensor { return x.Max(1) }, 0},
	})
	// Over columns, the outputs lie next to each other: one thread each keeps a warp's
	// loads on neighbouring elements.
	k := func(axis int) *graph.Kernel {
		x, err := graph.Host(graph.Float32, []int{4100, 260}, make([]byte, 4*4100*260))
		if err != nil {
			t.Fatal(err)
		}
		r, err := graph.Reduce(graph.OpSum, x, []int{axis})
		if err != nil {
			t.Fatal(err)
		}
		return lastKernel(t, r)
	}
	if o := optionsFor(k(0), arch, codegen.Options{}); o.GroupMaxOutputs != 0 {
		t.Errorf("a reduction over columns: GroupMaxOutputs %d, want codegen's default", o.GroupMaxOutputs)
	}
	if o := optionsFor(k(1), arch, codegen.Options{GroupMaxOutputs: 64}); o.GroupMaxOutputs != 64 {
		t.Errorf("a reduction over rows with GroupMaxOutputs 64 given: %d", o.GroupMaxOutputs)
	}
}
