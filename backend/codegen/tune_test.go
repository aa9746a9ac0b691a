package codegen

import (
	"testing"

	"github.com/crossbar-compute/crossbar/backend/autotune"
)

// TestTuningSpaces checks that every space is well formed, that its prior is the defaults
// and allowed, that the target's limits are applied, and that a configuration sets what it
// names.
func TestTuningSpaces(t *testing.T) {
	big := Target{MaxWorkgroup: 1024, SharedMemory: 32768}
	small := Target{MaxWorkgroup: 128, SharedMemory: 512}
	for _, c := range []struct {
		name  string
		space func(Target) autotune.Space
		prior autotune.Config
	}{
		{"contract", ContractSpace, ContractConfig(Options{})},
		{"elementwise", ElementwiseSpace, ElementwiseConfig(Options{})},
		{"reduce", ReduceSpace, ReduceConfig(Options{})},
	} {
		sp := c.space(big)
		if err := sp.Validate(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if !sp.Prior.Equal(c.prior) || !sp.Allows(sp.Prior) {
			t.Errorf("%s: prior %v (allowed %v), want the defaults %v", c.name, sp.Prior, sp.Allows(sp.Prior), c.prior)
		}
	}
	if sp := ElementwiseSpace(small); sp.Allows(autotune.Config{"Local": 256, "Elems": 1}) || !sp.Allows(autotune.Config{"Local": 128, "Elems": 4}) {
		t.Errorf("elementwise: the workgroup limit of 128 is not applied")
	}
	rs := ReduceSpace(small)
	if rs.Allows(autotune.Config{"Reduce": int(ReduceGroup), "Local": 256, "ReduceLocal": 128}) {
		t.Errorf("reduce: a group of 128 x 8 bytes allowed in 512 bytes of shared memory")
	}
	if !rs.Allows(autotune.Config{"Reduce": int(ReduceGroup), "Local": 256, "ReduceLocal": 64}) {
		t.Errorf("reduce: a group of 64 refused")
	}
	// Each strategy varies only the knob it reads: one auto, four serial, five group, five
	// columns.
	n := 0
	sp := ReduceSpace(big)
	for _, s := range sp.Knobs[0].Values {
		for _, l := range sp.Knobs[1].Values {
			for _, rl := range sp.Knobs[2].Values {
				if sp.Allows(autotune.Config{"Reduce": s, "Local": l, "ReduceLocal": rl}) {
					n++
				}
			}
		}
	}
	if n != 15 {
		t.Errorf("reduce: %d valid configurations, want 15", n)
	}
	o := Options{}.WithReduce(autotune.Config{"Reduce": int(ReduceSerial), "Local": 64, "ReduceLocal": 512})
	if o.Reduce != ReduceSerial || o.Local != 64 || o.ReduceLocal != 512 {
		t.Errorf("WithReduce: %+v", o)
	}
	if o := (Options{}).WithElementwise(autotune.Config{"Local": 32}); o.Local != 32 || o.String() == (Options{}).String() {
		t.Errorf("WithElementwise: %v", o)
	}
	if err := (Options{Reduce: 7}).withDefaults().validate(big); err == nil {
		t.Errorf("an unknown reduction strategy validated")
	}
}
