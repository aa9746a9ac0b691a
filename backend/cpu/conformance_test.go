package cpu_test

import (
	"testing"

	"github.com/crossbar-compute/crossbar/asm"
	"github.com/crossbar-compute/crossbar/backend/backendtest"
	"github.com/crossbar-compute/crossbar/backend/cpu"
)

// TestConformance runs the conformance suite that every device must pass on the CPU device,
// once for every kernel level this machine can run (what CROSSBAR_CPU forces), so that no
// fast path hides a wrong answer.
func TestConformance(t *testing.T) {
	defer func(l string) { _ = asm.SetLevel(l) }(asm.Level())
	for _, l := range asm.Levels() {
		t.Run(l, func(t *testing.T) {
			if err := asm.SetLevel(l); err != nil {
				t.Fatal(err)
			}
			backendtest.Run(t, cpu.New())
		})
	}
}
