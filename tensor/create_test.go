package tensor

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/crossbar-compute/crossbar/internal/half"
	"github.com/crossbar-compute/crossbar/internal/philox"
)

// asDType is v rounded to dt as the constructors round it: through float32 for the 16-bit
// dtypes, integers truncated.
func asDType(v float64, dt DType) float64 {
	switch dt {
	case Float32:
		return float64(float32(v))
	case Float16:
		return float64(half.Float16To(half.Float16From(float32(v))))
	case BFloat16:
		return float64(half.BFloat16To(half.BFloat16From(float32(v))))
	case Int32:
		return float64(int32(v))
	case Int64:
		return float64(int64(v))
	}
	return v
}

// TestRandomValues checks that element i of a random tensor is the generator's value i
// rounded to the dtype, in tensors of one chunk and of many (filled by several goroutines,
// the last chunk partial), whatever GOMAXPROCS is.
func TestRandomValues(t *testing.T) {
	sizes := []int{0, 1, 7, hostChunk, 3*hostChunk + 17}
	for _, procs := range []int{1, 3} {
		prev := runtime.GOMAXPROCS(procs)
		for _, dt := range []DType{Float16, BFloat16, Float32, Float64} {
			for _, n := range sizes {
				const seed = 0x5eed_0000_0001
				normal, err := float64s(RandNormal(seed, dt, n))
				if err != nil {
					t.Fatalf("RandNormal %v [%d]: %v", dt, n, err)
				}
				uniform, err := float64s(RandUniform(seed, dt, n))
				if err != nil {
					t.Fatalf("RandUniform %v [%d]: %v", dt, n, err)
				}
				if len(normal) != n || len(uniform) != n {
					t.Fatalf("%v [%d]: %d and %d elements", dt, n, len(normal), len(uniform))
				}
				scale := float64(uint64(1) << mantissaBits(dt))
				for i := range n {
					if want := asDType(philox.Normal(seed, uint64(i)), dt); normal[i] != want {
						t.Fatalf("GOMAXPROCS %d, RandNormal %v [%d]: element %d is %v, want %v", procs, dt, n, i, normal[i], want)
					}
					want := math.Floor(philox.Uniform(seed, uint64(i))*scale) / scale
					if u := uniform[i]; u != want || u < 0 || u >= 1 {
						t.Fatalf("GOMAXPROCS %d, RandUniform %v [%d]: element %d is %v, want %v in [0, 1)", procs, dt, n, i, u, want)
					}
				}
			}
		}
		runtime.GOMAXPROCS(prev)
	}
}

// TestArangeChunks checks Arange over many chunks in every dtype.
// TestArangeRounding pins values of start + i·step where rounding the product before the sum
// and fusing the two differ (numpy gives the former): the same on every host.
func TestArangeRounding(t *testing.T) {
	got, err := Data[float64](Arange(0.1, 4, 0.1, Float64))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		i    int
		want float64
	}{{5, 0.6}, {12, 1.3000000000000003}, {29, 3.0000000000000004}} {
		if got[c.i] != c.want {
			t.Errorf("Arange(0.1, 4, 0.1)[%d] = %v, want %v", c.i, got[c.i], c.want)
		}
	}
}

func TestArangeChunks(t *testing.T) {
	const n = 2*hostChunk + 5
	for _, dt := range []DType{Uint8, Int32, Int64, Float16, BFloat16, Float32, Float64} {
		start, step := -3.5, 0.25
		if dt == Uint8 {
			start, step = 0, 1.0/1024 // every value below 256
		}
		got, err := float64s(Arange(start, start+n*step, step, dt))
		if err != nil {
			t.Fatalf("%v: %v", dt, err)
		}
		if len(got) != n {
			t.Fatalf("%v: %d elements, want %d", dt, len(got), n)
		}
		for i, g := range got {
			v := start + float64(float64(i)*step) // not fused on arm64
			want := asDType(v, dt)
			if dt == Uint8 {
				want = math.Trunc(v)
			}
			if g != want {
				t.Fatalf("%v: element %d is %v, want %v", dt, i, g, want)
			}
		}
	}
}

// TestHugeShapes checks that shapes of more than graph.MaxElements elements are errors that
// name the operation, never a panic or an integer overflow: the element count of
// [1<<32, 1<<32] wraps to 0, and 4·(1<<62 + 1) to 4.
func TestHugeShapes(t *testing.T) {
	cases := []struct {
		name string
		f    func() *Tensor
	}{
		{"New", func() *Tensor { return New([]float32{}, 1<<32, 1<<32) }},
		{"Zeros", func() *Tensor { return Zeros(Float32, 1<<40, 1<<40) }},
		{"Full", func() *Tensor { return Full(2, Int32, 1<<20, 1<<20, 1<<20) }},
		{"RandNormal", func() *Tensor { return RandNormal(1, Float32, 1<<31, 1<<31) }},
		{"RandUniform", func() *Tensor { return RandUniform(1, Float16, 1<<32, 1<<32) }},
		// Within the bound of shapes, beyond what the host makes values for.
		{"RandNormal", func() *Tensor { return RandNormal(1, Float32, 1<<24, 1<<24) }},
		{"RandUniform", func() *Tensor { return RandUniform(1, Float64, 1<<35) }},
		{"Arange", func() *Tensor { return Arange(0, 1<<35, 1, Float32) }},
		{"Reshape", func() *Tensor { return ar(Float32, 4).Reshape(4, 1<<62+1) }},
		{"Expand", func() *Tensor { return ar(Float32, 1, 1).Expand(1<<40, 1<<40) }},
		{"MatMul", func() *Tensor { return Zeros(Float32, 1<<30, 1).MatMul(Zeros(Float32, 1, 1<<30)) }},
		{"Gather", func() *Tensor { return Zeros(Float32, 1<<24, 1<<24).Gather(0, Zeros(Int64, 1<<25)) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panic: %v", r)
				}
			}()
			err := c.f().Err()
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q does not wrap ErrInvalid", err)
			}
			if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(c.name)) {
				t.Errorf("error %q does not name %s", err, c.name)
			}
		})
	}
	// Just below the bound is a valid (lazy) shape.
	if err := Zeros(Float32, 1<<24, 1<<24).Err(); err != nil {
		t.Errorf("[1<<24, 1<<24]: %v", err)
	}
}

// TestDataHalf checks that Data reads Float16 and BFloat16 tensors as their float32 values
// (the vector kernels' widening), tails of every length, subnormals, infinities, -0 and
// NaN included.
func TestDataHalf(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -2.5, 65504, 1e-7, 6e-8, -3e-5,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 3.3e38, 1e-40, 0.1}
	for _, n := range []int{0, 1, 7, 16, 33, 100} {
		vals := make([]float32, n)
		for i := range vals {
			vals[i] = special[i%len(special)] * float32(1+i/len(special))
		}
		for _, dt := range []DType{Float16, BFloat16} {
			got, err := Data[float32](New(vals).Cast(dt))
			if err != nil {
				t.Fatalf("%v [%d]: %v", dt, n, err)
			}
			for i, v := range vals {
				want := half.Float16To(half.Float16From(v))
				if dt == BFloat16 {
					want = half.BFloat16To(half.BFloat16From(v))
				}
				if got[i] != want && !(got[i] != got[i] && want != want) || math.Signbit(float64(got[i])) != math.Signbit(float64(want)) && want == want {
					t.Fatalf("%v [%d]: element %d (%v) reads %v, want %v", dt, n, i, v, got[i], want)
				}
			}
		}
	}
}
