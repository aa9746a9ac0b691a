package backend_tpu

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	_ "github.com/crossbar-compute/crossbar/backend/cpu"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/half"
)

func decodeAny(dt graph.DType, b []byte) []float64 { return decode(dt, b) }

func decode(dt graph.DType, b []byte) []float64 {
	out := make([]float64, len(b)/dt.Size())
	for i := range out {
		switch dt {
		case graph.Float32:
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		case graph.Float64:
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		case graph.Int32:
			out[i] = float64(int32(binary.LittleEndian.Uint32(b[4*i:])))
		case graph.Int64:
			out[i] = float64(int64(binary.LittleEndian.Uint64(b[8*i:])))
		case graph.Bool, graph.Uint8:
			out[i] = float64(b[i])
		case graph.Float16:
			out[i] = float64(half.Float16To(binary.LittleEndian.Uint16(b[2*i:])))
		case graph.BFloat16:
			out[i] = float64(half.BFloat16To(binary.LittleEndian.Uint16(b[2*i:])))
		}
	}
	return out
}

// fillRandom gives the host leaves under root random data: small integers (some zero, some
// negative: divisors and gather indices included) and floats in [-2, 2).
func fillRandom(r *rand.Rand, root *graph.Node) {
	seen := map[*graph.Node]bool{}
	var walk func(n *graph.Node)
	walk = func(n *graph.Node) {
		if seen[n] {
			return
		}
		seen[n] = true
		if n.Op == graph.OpHost {
			for i := range n.Numel() {
				switch n.DType {
				case graph.Float32:
					binary.LittleEndian.PutUint32(n.Host[4*i:], math.Float32bits(float32(r.Float64()*4-2)))
				case graph.Float64:
					binary.LittleEndian.PutUint64(n.Host[8*i:], math.Float64bits(r.Float64()*4-2))
				case graph.Int32:
					binary.LittleEndian.PutUint32(n.Host[4*i:], uint32(int32(r.IntN(9)-4)))
				}
			}
		}
		for _, s := range n.Src {
			walk(s)
		}
	}
	walk(root)
}

// The golden graphs, run through the interpreter of the emitted StableHLO, give what the
// CPU device gives: reduction dimensions, dot_general and gather dimension numbers, and the
// integer division and floored-modulo selects are checked, not only parsed.
func TestGoldenNumerically(t *testing.T) {
	cpu, err := backend.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, g := range goldenGraphs {
		t.Run(g.name, func(t *testing.T) {
			root := g.build()
			fillRandom(r, root)
			m := emitGraph(t, root)
			var args []arr
			for _, in := range m.Inputs {
				args = append(args, arr{shape: []int{in.Numel()}, data: decode(in.DType, in.Host)})
			}
			got, err := interpret(m.Text, args)
			if err != nil {
				t.Fatalf("%v\n%s", err, m.Text)
			}
			b, err := backend.Read(cpu, root)
			if err != nil {
				t.Fatal(err)
			}
			want := decode(root.DType, b)
			if len(got.data) != len(want) {
				t.Fatalf("%d elements, want %d", len(got.data), len(want))
			}
			for i := range want {
				if d := math.Abs(got.data[i] - want[i]); d > 1e-5*math.Max(1, math.Abs(want[i])) {
					t.Fatalf("element %d = %v, want %v (cpu)\n%s", i, got.data[i], want[i], m.Text)
				}
			}
		})
	}
}
