package backend_gl_test

import (
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	_ "github.com/crossbar-compute/crossbar/backend_gl"
)

// A software GL renderer is slower than the CPU device, so it is never the default.
func TestSoftwareIsNotDefault(t *testing.T) {
	t.Setenv("CROSSBAR_DEVICE", "")
	d, err := backend.Open("gl")
	if err != nil {
		t.Skip(err)
	}
	if d.Capabilities().Software && backend.Default().Name() != "cpu" {
		t.Errorf("Default() = %s with the software device %s present", backend.Default().Name(), d.Name())
	}
}
