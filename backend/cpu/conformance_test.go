package cpu_test

import (
	"testing"

	"github.com/crossbar-compute/crossbar/backend/backendtest"
	"github.com/crossbar-compute/crossbar/backend/cpu"
)

// TestConformance runs the conformance suite that every device must pass on the CPU device.
func TestConformance(t *testing.T) { backendtest.Run(t, cpu.New()) }
