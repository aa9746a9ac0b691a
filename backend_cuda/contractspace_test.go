package backend_cuda

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/graph"
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
		configs := validConfigs(sp)
		rand.New(rand.NewPCG(uint64(arch.CC), uint64(len(sp.Knobs)))).Shuffle(len(configs), func(i, j int) { configs[i], configs[j] = configs[j], configs[i] })
		// Every value of a knob, or with pairwise every pair of values of two knobs, that
		// some valid configuration has.
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
		left := map[[4]int]bool{}
		for _, c := range configs {
			for _, p := range pairs(c) {
				left[p] = true
			}
		}
		covers := func(c autotune.Config) bool {
			for _, p := range pairs(c) {
				if left[p] {
					return true
				}
			}
			return false
		}
		picked := 0
		for _, c := range configs {
			if len(left) == 0 {
				break
			}
			if !covers(c) {
				continue
			}
			dt, trans := space.dts[picked/2%len(space.dts)], picked%2 == 1
			o := space.with(codegen.Options{}, c)
			kern, _ := splitProduct(t, dt, 1, m, n, k, false, trans, false,
				make([]byte, m*k*dt.Size()), make([]byte, k*n*dt.Size()), nil)
			p, err := codegen.Lower(kern, arch.Target(), optionsFor(kern, arch, o))
			if err != nil {
				continue // a configuration the template refuses for this product: a tuner's compile error
			}
			src, err := codegen.Render(p, codegen.CUDA{})
			if err != nil {
				t.Fatalf("%v: %v", c, err)
			}
			for _, p := range pairs(c) {
				delete(left, p)
			}
			srcs = append(srcs, src)
			cases = append(cases, emuProductCase{name: fmt.Sprintf("%s/%v", space.name, c), arch: arch, dt: dt,
				batch: 1, m: m, n: n, k: k, trans: trans, o: o})
			picked++
		}
		if len(left) > 0 {
			t.Errorf("%s: %d knob values (or pairs) in no configuration that Lower accepts for %d×%d×%d", space.name, len(left), m, n, k)
		}
		t.Logf("%s: %d valid configurations, %d in the sample", space.name, len(configs), picked)
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
