package backend_cuda

import (
	"fmt"
	"os"
	"testing"

	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/tensor"
)

// TestEmuContractSpaces runs, in the emulator, products with configurations of the
// tuning spaces of the tensor-core and SIMT Contract templates that the device's own
// choice need not reach: a tuning on a GPU may pick any valid one, so each must compute the
// product. The configurations are a covering sample of each space (tensor cores on sm_80,
// and on sm_90a with warpgroup MMAs and tensor copies; SIMT on sm_80): every value of every
// knob that some valid configuration has (40 configurations, about 30 s), or with
// CROSSBAR_TEST_PAIRWISE=1 every pair of values of two knobs, in at least one
// configuration that Lower accepts for a product of 300 × 264 × 520 (partial tiles along M
// and N; B stored N × K in every other one), 16-bit products in Float16 and BFloat16 by
// turns. (On a GPU, kerneltune also checks each candidate's output against the untuned
// kernel's before timing it.)
func TestEmuContractSpaces(t *testing.T) {
	emulatorTest(t)
	gxx := emuCompiler(t)
	const m, n, k = 300, 264, 520
	pairwise := os.Getenv("CROSSBAR_TEST_PAIRWISE") == "1"
	sm80, sm90 := TypicalArch(80), TypicalArch(90)
	sm80.SMs, sm90.SMs = 132, 132
	sm90.WarpgroupMMA, sm90.TensorMaps = true, true
	var cases []emuProductCase
	var srcs []string
	for _, space := range []struct {
		name string
		arch Arch
		sp   autotune.Space
		with func(codegen.Options, autotune.Config) codegen.Options
		dts  []graph.DType
	}{
		{"sm_80 tensor cores", sm80, codegen.TensorContractSpace(sm80.Target()), codegen.Options.WithTensorContract, []graph.DType{graph.Float16, graph.BFloat16}},
		{"sm_90a tensor cores", sm90, codegen.TensorContractSpace(sm90.Target()), codegen.Options.WithTensorContract, []graph.DType{graph.Float16, graph.BFloat16}},
		{"sm_80 SIMT", sm80, codegen.ContractSpace(sm80.Target()), codegen.Options.WithContract, []graph.DType{graph.Float32}},
	} {
		arch, sp := space.arch, space.sp
		first := len(cases) // this space's cases follow
		taken, total, left := sp.Covering(pairwise, uint64(arch.CC), func(c autotune.Config) bool {
			i := len(cases) - first
			dt, trans := space.dts[i/2%len(space.dts)], i%2 == 1
			o := space.with(codegen.Options{}, c)
			kern, _ := splitProduct(t, dt, 1, m, n, k, false, trans, false,
				make([]byte, m*k*dt.Size()), make([]byte, k*n*dt.Size()), nil)
			p, err := codegen.Lower(kern, arch.Target(), optionsFor(kern, arch, o))
			if err != nil {
				return false // a configuration the template refuses for this product: a tuner's compile error
			}
			src, err := codegen.Render(p, codegen.CUDA{})
			if err != nil {
				t.Fatalf("%v: %v", c, err)
			}
			srcs = append(srcs, src)
			cases = append(cases, emuProductCase{name: fmt.Sprintf("%s/%v", space.name, c), arch: arch, dt: dt,
				batch: 1, m: m, n: n, k: k, trans: trans, o: o})
			return true
		})
		if left > 0 {
			t.Errorf("%s: %d knob values (or pairs) in no configuration that Lower accepts for %d×%d×%d", space.name, left, m, n, k)
		}
		t.Logf("%s: %d valid configurations, %d in the sample", space.name, total, len(taken))
	}
	// Built together first, on every CPU, rather than one at a time as each case starts.
	if _, err := emuBuild(gxx, srcs, "kernel"); err != nil {
		t.Fatal(err)
	}
	runEmuProducts(t, cases)
}

// TestEmuReduceSpace runs reductions with a covering sample of the reduction tuning space
// (on 132 SMs, where reductions split among workgroups) in the emulator against the CPU: a
// sum of a whole tensor, sums of long rows, maxima of float16 columns and sums of int32
// columns (18 configurations; every pair of values with CROSSBAR_TEST_PAIRWISE=1).
func TestEmuReduceSpace(t *testing.T) {
	emulatorTest(t)
	runEmuSpace(t, "reduce", codegen.ReduceSpace, codegen.Options.WithReduce, reductions, []emuReduceCase{
		{"sum-f32-all", tensor.RandNormal(1, tensor.Float32, 70001), func(x *tensor.Tensor) *tensor.Tensor { return x.Sum() }, 1e-6},
		{"sum-f32-rows", tensor.RandNormal(2, tensor.Float32, 3, 20000), func(x *tensor.Tensor) *tensor.Tensor { return x.Sum(1) }, 1e-6},
		{"max-f16-columns", tensor.RandNormal(3, tensor.Float16, 700, 40), func(x *tensor.Tensor) *tensor.Tensor { return x.Max(0) }, 0},
		{"sum-i32-columns", tensor.New(ints[int32](3000*40, 9), 3000, 40), func(x *tensor.Tensor) *tensor.Tensor { return x.Sum(0) }, 0},
	})
}

// TestEmuElementwiseSpace runs elementwise kernels with every configuration of the
// elementwise tuning space in the emulator against the CPU: relu(a·a + 1) over 70001
// float32 (grids of partial workgroups, elements a thread past the end), a float16 sum of a
// matrix and its transpose (a view read across rows), and int32 arithmetic.
func TestEmuElementwiseSpace(t *testing.T) {
	emulatorTest(t)
	elementwise := func(k *graph.Kernel) bool { return k.Core == nil }
	runEmuSpace(t, "elementwise", codegen.ElementwiseSpace, codegen.Options.WithElementwise, elementwise, []emuReduceCase{
		{"relu-f32", tensor.RandNormal(4, tensor.Float32, 70001), func(x *tensor.Tensor) *tensor.Tensor {
			return x.Mul(x).Add(tensor.Scalar[float32](1)).ReLU()
		}, 1e-6},
		{"transpose-f16", tensor.RandNormal(5, tensor.Float16, 333, 333), func(x *tensor.Tensor) *tensor.Tensor {
			return x.Add(x.Transpose())
		}, 1e-3},
		{"i32", tensor.New(ints[int32](50001, 10), 50001), func(x *tensor.Tensor) *tensor.Tensor {
			return x.Mul(x).Sub(x.Abs())
		}, 0},
	})
}

// runEmuSpace runs cases (any kernels; compared as runEmuReductions does) on emulated
// sm_90 devices of 132 SMs with a covering sample of the tuning space space (every knob
// value, or with CROSSBAR_TEST_PAIRWISE=1 every pair of values), set by with, each
// configuration on its own device; the kernels selects takes are emulated.
func runEmuSpace(t *testing.T, name string, space func(codegen.Target) autotune.Space,
	with func(codegen.Options, autotune.Config) codegen.Options, selects func(*graph.Kernel) bool, cases []emuReduceCase) {
	arch := TypicalArch(90)
	arch.SMs = 132
	sp := space(arch.Target())
	configs, total, left := sp.Covering(os.Getenv("CROSSBAR_TEST_PAIRWISE") == "1", 1, func(autotune.Config) bool { return true })
	t.Logf("%d valid configurations, %d in the sample (%d values left)", total, len(configs), left)
	// The kernels of every configuration are collected first (the collecting devices run
	// them on the CPU) and built together, on every CPU, in batches.
	var srcs []string
	for _, c := range configs {
		dev := &emuDevice{Device: cpu.New(), t: t, name: "cuda-emulated-" + name + "-space-collect-" + c.String(), arch: arch,
			selects: selects, opts: with(codegen.Options{}, c), collect: func(src string) { srcs = append(srcs, src) }}
		for _, rc := range cases {
			if err := rc.reduce(rc.x.To(dev)).Realize(); err != nil {
				t.Fatalf("%v: %s: %v", c, rc.name, err)
			}
		}
	}
	if _, err := emuBuild(emuCompiler(t), srcs, "kernel"); err != nil {
		t.Fatal(err)
	}
	for _, c := range configs {
		dev := &emuDevice{Device: cpu.New(), t: t, name: "cuda-emulated-" + name + "-space-" + c.String(), arch: arch,
			selects: selects, opts: with(codegen.Options{}, c)}
		t.Run(c.String(), func(t *testing.T) {
			dev.t = t
			runEmuReductions(t, dev, cases)
		})
	}
}
