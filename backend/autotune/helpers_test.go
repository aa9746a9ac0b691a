package autotune

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// fakeKernel is a deterministic stand-in for a kernel: its time is a convex function of the
// knobs, least at opt, computed in octaves so that every power-of-two step counts alike.
// Nothing real is timed anywhere in these tests.
type fakeKernel struct {
	opt map[string]int

	// fail, when it returns true, makes the configuration's every run fail; panics makes
	// them panic.
	fail   func(Config) bool
	panics func(Config) bool
	// onCall runs before each call with the number of calls so far, this one included.
	onCall func(n int)

	mu      sync.Mutex
	calls   int
	flushes int
	seen    []string
}

func (f *fakeKernel) cost(c Config) time.Duration {
	var s float64
	for n, v := range c {
		d := math.Log2(float64(v)) - math.Log2(float64(f.opt[n]))
		s += d * d
	}
	return time.Millisecond + time.Duration(s*float64(200*time.Microsecond))
}

func (f *fakeKernel) measure(ctx context.Context, c Config) (time.Duration, error) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.seen = append(f.seen, c.String())
	f.mu.Unlock()
	if f.onCall != nil {
		f.onCall(n)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if f.panics != nil && f.panics(c) {
		panic(fmt.Sprintf("kernel %s exploded", c))
	}
	if f.fail != nil && f.fail(c) {
		return 0, fmt.Errorf("compile: %s needs too much shared memory", c)
	}
	// A small deterministic wobble, so that the median has something to do.
	return f.cost(c) + time.Duration(n%3)*time.Microsecond, nil
}

func (f *fakeKernel) flush() {
	f.mu.Lock()
	f.flushes++
	f.mu.Unlock()
}

func (f *fakeKernel) counts() (calls, flushes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.flushes
}

func pow2(lo, hi int) []int {
	var v []int
	for x := lo; x <= hi; x *= 2 {
		v = append(v, x)
	}
	return v
}

// tileSpace is a GPU-tile-like space of 5·5·4·4 = 400 grid points with a shared-memory
// limit, and a prior away from the optimum.
func tileSpace() Space {
	return Space{
		Knobs: []Knob{
			{"BlockM", pow2(16, 256)},
			{"BlockN", pow2(16, 256)},
			{"BlockK", pow2(8, 64)},
			{"Unroll", pow2(1, 8)},
		},
		// Operand tiles of float32 in 48 KiB of shared memory.
		Valid: func(c Config) bool { return (c["BlockM"]+c["BlockN"])*c["BlockK"]*4 <= 48<<10 },
		Prior: Config{"BlockM": 64, "BlockN": 64, "BlockK": 16, "Unroll": 1},
	}
}

var tileOpt = map[string]int{"BlockM": 128, "BlockN": 32, "BlockK": 32, "Unroll": 4}

func testKey(kernel string) Key {
	return Key{Kernel: kernel, Shape: []int{1024, 1024, 1024}, DType: "f32",
		Device: Fingerprint{Model: "test device", Driver: "1.0", Compiler: "2.0"}}
}
