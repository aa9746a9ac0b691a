package backend_cuda

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
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
		picked, total, left := coveringSample(sp, pairwise, uint64(arch.CC), func(c autotune.Config, i int) bool {
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
		t.Logf("%s: %d valid configurations, %d in the sample", space.name, total, picked)
	}
	// Built together first, on every CPU, rather than one at a time as each case starts.
	if _, err := emuBuild(gxx, srcs, "kernel"); err != nil {
		t.Fatal(err)
	}
	runEmuProducts(t, cases)
}

// validConfigs returns every configuration of sp's knobs that sp.Valid accepts.
func validConfigs(sp autotune.Space) []autotune.Config {
	var out []autotune.Config
	c := autotune.Config{}
	var walk func(i int)
	walk = func(i int) {
		if i == len(sp.Knobs) {
			if sp.Valid == nil || sp.Valid(c) {
				out = append(out, c.Clone())
			}
			return
		}
		for _, v := range sp.Knobs[i].Values {
			c[sp.Knobs[i].Name] = v
			walk(i + 1)
		}
	}
	walk(0)
	return out
}

// coveringSample picks configurations of sp until every value of every knob (with
// pairwise, every pair of values of two knobs) that some valid configuration has is in a
// picked one: it goes through the valid configurations in an order drawn from seed, and
// offers take each that has something not yet covered, with the number taken so far; take
// reports whether it took it (false: the configuration cannot run the test's case). It
// returns the number taken, the number of valid configurations, and the number of values
// (or pairs) left uncovered.
func coveringSample(sp autotune.Space, pairwise bool, seed uint64, take func(c autotune.Config, taken int) bool) (taken, valid, left int) {
	configs := validConfigs(sp)
	rand.New(rand.NewPCG(seed, uint64(len(sp.Knobs)))).Shuffle(len(configs), func(i, j int) { configs[i], configs[j] = configs[j], configs[i] })
	pairs := func(c autotune.Config) [][4]int {
		var ps [][4]int
		for i, a := range sp.Knobs {
			if !pairwise {
				ps = append(ps, [4]int{i, c[a.Name], -1, 0})
				continue
			}
			for j, b := range sp.Knobs[i+1:] {
				ps = append(ps, [4]int{i, c[a.Name], i + 1 + j, c[b.Name]})
			}
		}
		return ps
	}
	todo := map[[4]int]bool{}
	for _, c := range configs {
		for _, p := range pairs(c) {
			todo[p] = true
		}
	}
	for _, c := range configs {
		if len(todo) == 0 {
			break
		}
		if !slices.ContainsFunc(pairs(c), func(p [4]int) bool { return todo[p] }) || !take(c, taken) {
			continue
		}
		for _, p := range pairs(c) {
			delete(todo, p)
		}
		taken++
	}
	return taken, len(configs), len(todo)
}

// TestEmuReduceSpace runs reductions with a covering sample of the reduction tuning space
// (on 132 SMs, where reductions split among workgroups) in the emulator against the CPU: a
// sum of a whole tensor, sums of long rows, maxima of float16 columns and sums of int32
// columns, each configuration on its own device (18 configurations; every pair of values
// with CROSSBAR_TEST_PAIRWISE=1).
func TestEmuReduceSpace(t *testing.T) {
	emulatorTest(t)
	arch := TypicalArch(90)
	arch.SMs = 132
	cases := []emuReduceCase{
		{"sum-f32-all", tensor.RandNormal(1, tensor.Float32, 70001), func(x *tensor.Tensor) *tensor.Tensor { return x.Sum() }, 1e-6},
		{"sum-f32-rows", tensor.RandNormal(2, tensor.Float32, 3, 20000), func(x *tensor.Tensor) *tensor.Tensor { return x.Sum(1) }, 1e-6},
		{"max-f16-columns", tensor.RandNormal(3, tensor.Float16, 700, 40), func(x *tensor.Tensor) *tensor.Tensor { return x.Max(0) }, 0},
		{"sum-i32-columns", tensor.New(ints[int32](3000*40, 9), 3000, 40), func(x *tensor.Tensor) *tensor.Tensor { return x.Sum(0) }, 0},
	}
	var configs []autotune.Config
	picked, total, left := coveringSample(codegen.ReduceSpace(arch.Target()), os.Getenv("CROSSBAR_TEST_PAIRWISE") == "1", 1,
		func(c autotune.Config, _ int) bool { configs = append(configs, c); return true })
	t.Logf("%d valid configurations, %d in the sample (%d values left)", total, picked, left)
	// The kernels of every configuration are collected first (the collecting devices run
	// them on the CPU) and built together, on every CPU, in batches.
	var srcs []string
	for _, c := range configs {
		dev := &emuDevice{Device: cpu.New(), t: t, name: "cuda-emulated-reduce-space-collect-" + c.String(), arch: arch,
			selects: reductions, opts: codegen.Options{}.WithReduce(c), collect: func(src string) { srcs = append(srcs, src) }}
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
		dev := &emuDevice{Device: cpu.New(), t: t, name: "cuda-emulated-reduce-space-" + c.String(), arch: arch,
			selects: reductions, opts: codegen.Options{}.WithReduce(c)}
		t.Run(c.String(), func(t *testing.T) {
			dev.t = t
			runEmuReductions(t, dev, cases)
		})
	}
}
