package backend_cuda

import (
	"strings"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/randprog"
)

// randomKinds are what the kernels of the random programs are counted by: reductions,
// split or not, products by template, and with K split.
var randomKinds = []string{"// reduce ", " elements a workgroup,", "// contract simple", "// contract tiled", "// contract skinny",
	"xb_mma_", "wgmma.mma_async", "split K"}

// TestEmuRandomPrograms runs random programs (package randprog) on emulated devices, every
// kernel in the emulator, and compares each result with the CPU device's: on an sm_80
// device of two SMs with the options a device would choose (the large SIMT and
// tensor-core tiles), on an H200-like sm_90a device with tensor copies whose reductions
// and products all split (warpgroup MMAs, split K, split reductions, whatever the shapes),
// and on the sm_80 device with launches of at most 61 workgroups along a dimension, so
// that most take two (codegen allows a GPU 65,535; see TestEmuTwoDimensionalGrids).
// (TestEmuConformanceReductions forces the column template on reductions.)
func TestEmuRandomPrograms(t *testing.T) {
	emulatorTest(t)
	// 100 programs, and 50 more that multiply matrices, whose templates have the most to
	// get wrong.
	var progs []randprog.Program
	for seed, products := uint64(0), 0; products < 50; seed++ {
		p := randprog.New(seed)
		if seed < 100 {
			progs = append(progs, p)
		} else if strings.Contains(p.String(), "MatMul(") || strings.Contains(p.String(), "Conv(") {
			progs, products = append(progs, p), products+1
		}
	}
	all := func(*graph.Kernel) bool { return true }
	sm90 := TypicalArch(90)
	sm90.SMs, sm90.WarpgroupMMA, sm90.TensorMaps = 132, true, true
	sm80 := TypicalArch(80)
	sm80.SMs = 2
	small := sm80
	small.MaxGrid[0] = 61
	for _, c := range []struct {
		name string
		arch Arch
		opts codegen.Options
	}{
		{"sm_80", sm80, codegen.Options{}},
		{"sm_90a-splits", sm90, codegen.Options{ReduceSplit: 3, SplitK: 3}},
		{"sm_80-grid-61", small, codegen.Options{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srcs := emuRun(t, c.arch, c.opts, "-random-"+c.name, all, "",
				func(t *testing.T, dev backend.Device) { randprog.Check(t, dev, progs) })
			count := map[string]int{}
			for _, src := range srcs {
				for _, kind := range randomKinds {
					if strings.Contains(src, kind) {
						count[kind]++
					}
				}
			}
			t.Logf("%d programs, %d distinct kernels: %v", len(progs), len(srcs), count)
			for _, kind := range []string{"// reduce ", " elements a workgroup,", "// contract tiled", "xb_mma_"} {
				if count[kind] == 0 {
					t.Errorf("no kernel with %q", kind)
				}
			}
			if c.arch.WarpgroupMMA && (count["wgmma.mma_async"] == 0 || count["split K"] == 0) {
				t.Errorf("no kernel on warpgroup MMAs or with K split: %v", count)
			}
		})
	}
}
