package backend_tpu

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/half"
)

// A small interpreter of the emitted StableHLO (constants, views, elementwise ops,
// compare, select, convert, dot_general, gather, reduce), to check numerically against the
// CPU device what mlir-opt only parses. It computes in float64 and rounds each op's result
// to its element type (float32, float16, bfloat16; int32 wraps); integer arithmetic whose
// values float64 cannot hold exactly, and ops it lacks, are errors, which the checks count
// as skipped.

type arr struct {
	shape []int
	data  []float64
}

var (
	opLine  = regexp.MustCompile(`^\s*(%\w+) = "([\w.]+)"\(([^)]*)\)(?: \{(.*)\})? : \(.*\) -> tensor<([^>]*)>$`)
	retLine = regexp.MustCompile(`^\s*"func.return"\(([^)]*)\)`)
	arrAttr = regexp.MustCompile(`(\w+) = array<i64(?:: ([-0-9, ]*))?>`)
	valAttr = regexp.MustCompile(`value = dense<([^>]*)>`)
	// resultType is the type of a line's last result.
	resultType = regexp.MustCompile(`-> tensor<([^>]*)>$`)
	compareDir = regexp.MustCompile(`comparison_direction (\w+)`)
	gatherAxis = regexp.MustCompile(`collapsed_slice_dims = \[(\d+)\]`)
)

func parseShape(t string) []int {
	parts := strings.Split(t, "x")
	var s []int
	for _, p := range parts[:len(parts)-1] {
		n, _ := strconv.Atoi(p)
		s = append(s, n)
	}
	return s
}

func unflatten(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		if shape[k] > 0 {
			idx[k] = i % shape[k]
			i /= shape[k]
		}
	}
	return idx
}

func flat(idx, shape []int) int {
	o, s := 0, 1
	for k := len(shape) - 1; k >= 0; k-- {
		o += idx[k] * s
		s *= shape[k]
	}
	return o
}

// interpret runs a module of one result.
func interpret(text string, args []arr) (arr, error) {
	res, err := interpretAll(text, args)
	if err != nil {
		return arr{}, err
	}
	return res[0], nil
}

// interpretAll runs a module and returns all its results, in order.
func interpretAll(text string, args []arr) ([]arr, error) {
	vals := map[string]arr{}
	for i, a := range args {
		vals["%arg"+strconv.Itoa(i)] = a
	}
	var red []string // a reduce being read: result name, operand, init, body op
	for _, line := range strings.Split(text, "\n") {
		if m := retLine.FindStringSubmatch(line); m != nil {
			var res []arr
			for _, name := range strings.Split(m[1], ",") {
				v, ok := vals[strings.TrimSpace(name)]
				if !ok {
					return nil, fmt.Errorf("return of undefined %s", name)
				}
				res = append(res, v)
			}
			return res, nil
		}
		if m := reduceStart.FindStringSubmatch(line); m != nil {
			red = m[1:4]
			continue
		}
		if red != nil {
			if m := reduceEnd.FindStringSubmatch(line); m != nil {
				out, err := reduce(vals[red[1]], vals[red[2]].data[0], red[3], m[1])
				if err != nil {
					return nil, err
				}
				if t := resultType.FindStringSubmatch(line); t != nil {
					elem := t[1][strings.LastIndexByte(t[1], 'x')+1:]
					if err := exactInts(elem, out); err != nil {
						return nil, err
					}
					out = roundTo(elem, out)
				}
				vals[red[0]] = out
				red = nil
			} else if m := opLine.FindStringSubmatch(line); m != nil {
				red = append(red[:3], m[2])
			}
			continue
		}
		m := opLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name, op, attrs := m[1], m[2], m[4]
		shape := parseShape(m[5])
		ints := map[string][]int{}
		for _, a := range arrAttr.FindAllStringSubmatch(attrs, -1) {
			var xs []int
			for _, f := range strings.Split(a[2], ",") {
				if f = strings.TrimSpace(f); f != "" {
					n, _ := strconv.Atoi(f)
					xs = append(xs, n)
				}
			}
			ints[a[1]] = xs
		}
		var src []arr
		for _, o := range strings.Split(m[3], ",") {
			if o = strings.TrimSpace(o); o != "" {
				src = append(src, vals[o])
			}
		}
		out := arr{shape: shape, data: make([]float64, graph.NumElements(shape))}
		elem := m[5][strings.LastIndexByte(m[5], 'x')+1:]
		if f, ok := elementwiseFns[op]; ok {
			if g, ok := bitwiseFns[op]; ok && elem != "i1" {
				f = g
			}
			for i := range out.data {
				var xs []float64
				for _, a := range src {
					xs = append(xs, a.data[i])
				}
				out.data[i] = f(xs)
			}
			if err := exactInts(elem, out); err != nil {
				return nil, err
			}
			vals[name] = roundTo(elem, out)
			continue
		}
		switch op {
		case "stablehlo.compare":
			dir := compareDir.FindStringSubmatch(attrs)[1]
			for i := range out.data {
				a, b := src[0].data[i], src[1].data[i]
				r := map[string]bool{"LT": a < b, "LE": a <= b, "EQ": a == b, "NE": a != b, "GE": a >= b, "GT": a > b}[dir]
				out.data[i] = b2f(r)
			}
			vals[name] = roundTo(elem, out)
			continue
		case "stablehlo.convert":
			for i, v := range src[0].data {
				switch {
				case elem == "i1":
					out.data[i] = b2f(v != 0)
				case elem == "f32":
					out.data[i] = float64(float32(v))
				case elem == "f16":
					out.data[i] = float64(half.Float16To(half.Float16From(float32(v))))
				case elem == "bf16":
					out.data[i] = float64(half.BFloat16To(half.BFloat16From(float32(v))))
				case strings.HasPrefix(elem, "f"):
					out.data[i] = v
				default:
					out.data[i] = math.Trunc(v)
				}
			}
			vals[name] = roundTo(elem, out)
			continue
		case "stablehlo.divide":
			for i := range out.data {
				q := src[0].data[i] / src[1].data[i]
				if !strings.HasPrefix(elem, "f") && !strings.HasPrefix(elem, "bf") {
					q = math.Trunc(q)
				}
				out.data[i] = q
			}
			vals[name] = roundTo(elem, out)
			continue
		case "stablehlo.dot_general":
			a, b := src[0], src[1]
			r := len(shape)
			kk := a.shape[r-1]
			ka, kb := 1, b.shape[r-1] // the steps along K in a and b
			for i := range out.data {
				idx := unflatten(i, shape)
				ai, bi := append([]int(nil), idx...), append([]int(nil), idx...)
				ai[r-1], bi[r-2] = 0, 0
				oa, ob := flat(ai, a.shape), flat(bi, b.shape)
				sum := 0.0
				for k := range kk {
					sum += a.data[oa+k*ka] * b.data[ob+k*kb]
				}
				out.data[i] = sum
			}
			if err := exactInts(elem, out); err != nil {
				return nil, err
			}
			vals[name] = roundTo(elem, out)
			continue
		case "stablehlo.constant":
			// A splat: one value for every element.
			v := valAttr.FindStringSubmatch(attrs)[1]
			f, err := parseConstant(v, elem)
			if err != nil {
				return nil, fmt.Errorf("constant %q", v)
			}
			for i := range out.data {
				out.data[i] = f
			}
			vals[name] = roundTo(elem, out)
			continue
		case "stablehlo.gather":
			axis, _ := strconv.Atoi(gatherAxis.FindStringSubmatch(attrs)[1])
			sh, ix := src[0], src[1]
			q := len(ix.shape) - 1
			for i := range out.data {
				idx := unflatten(i, shape)
				si := append(append([]int(nil), idx[:axis]...), 0)
				si = append(si, idx[axis+q:]...)
				ii := append(append([]int(nil), idx[axis:axis+q]...), 0)
				si[axis] = int(ix.data[flat(ii, ix.shape)])
				out.data[i] = sh.data[flat(si, sh.shape)]
			}
			vals[name] = roundTo(elem, out)
			continue
		}
		for i := range out.data {
			idx := unflatten(i, shape)
			switch op {
			case "stablehlo.broadcast_in_dim":
				si := make([]int, len(src[0].shape))
				for k, d := range ints["broadcast_dimensions"] {
					if src[0].shape[k] != 1 {
						si[k] = idx[d]
					}
				}
				out.data[i] = src[0].data[flat(si, src[0].shape)]
			case "stablehlo.reshape":
				out.data[i] = src[0].data[i]
			case "stablehlo.slice":
				si := make([]int, len(idx))
				for k := range idx {
					si[k] = ints["start_indices"][k] + idx[k]*ints["strides"][k]
				}
				out.data[i] = src[0].data[flat(si, src[0].shape)]
			case "stablehlo.pad":
				si := make([]int, len(idx))
				ok := true
				for k := range idx {
					si[k] = idx[k] - ints["edge_padding_low"][k]
					if si[k] < 0 || si[k] >= src[0].shape[k] {
						ok = false
					}
				}
				if ok {
					out.data[i] = src[0].data[flat(si, src[0].shape)]
				} else {
					out.data[i] = src[1].data[0]
				}
			case "stablehlo.transpose":
				si := make([]int, len(idx))
				for k, p := range ints["permutation"] {
					si[p] = idx[k]
				}
				out.data[i] = src[0].data[flat(si, src[0].shape)]
			case "stablehlo.reverse":
				si := append([]int(nil), idx...)
				for _, d := range ints["dimensions"] {
					si[d] = shape[d] - 1 - idx[d]
				}
				out.data[i] = src[0].data[flat(si, src[0].shape)]
			default:
				return nil, fmt.Errorf("interpreter has no %s", op)
			}
		}
		vals[name] = roundTo(elem, out)
	}
	return nil, fmt.Errorf("no func.return")
}

// roundTo rounds the values of a to the floating-point element type elem (f32, f16,
// bf16), or wraps them to i32, as a device stores each op's result; other types are left
// as they are.
func roundTo(elem string, a arr) arr {
	var r func(float64) float64
	switch elem {
	case "i32":
		r = func(v float64) float64 { return float64(int32(uint32(int64(v)))) } // two's complement
	case "f32":
		r = func(v float64) float64 { return float64(float32(v)) }
	case "f16":
		r = func(v float64) float64 { return float64(half.Float16To(half.Float16From(float32(v)))) }
	case "bf16":
		r = func(v float64) float64 { return float64(half.BFloat16To(half.BFloat16From(float32(v)))) }
	default:
		return a
	}
	for i, v := range a.data {
		a.data[i] = r(v)
	}
	return a
}

// exactInts fails where arithmetic on integers (elem i32 or i64) gave a value that float64
// cannot hold exactly: the interpreter cannot tell what it wraps to.
func exactInts(elem string, a arr) error {
	if elem != "i32" && elem != "i64" {
		return nil
	}
	for _, v := range a.data {
		if math.Abs(v) >= 0x1p53 {
			return fmt.Errorf("%s value %v past float64's integers", elem, v)
		}
	}
	return nil
}

// parseConstant parses a dense element of type elem: true or false (as 1 and 0), a
// number, or the bits of a float in hex (MLIR's spelling of infinities and NaNs, and of
// every f16 and bf16), 16 digits for f64, 8 for f32, 4 for f16 and bf16.
func parseConstant(v, elem string) (float64, error) {
	switch v {
	case "true":
		return 1, nil
	case "false":
		return 0, nil
	}
	if !strings.HasPrefix(v, "0x") {
		return strconv.ParseFloat(v, 64)
	}
	bits, err := strconv.ParseUint(v[2:], 16, 64)
	switch {
	case err != nil:
		return 0, err
	case len(v) == 18:
		return math.Float64frombits(bits), nil
	case len(v) == 10:
		return float64(math.Float32frombits(uint32(bits))), nil
	case len(v) == 6 && elem == "f16":
		return float64(half.Float16To(uint16(bits))), nil
	case len(v) == 6 && elem == "bf16":
		return float64(half.BFloat16To(uint16(bits))), nil
	}
	return 0, fmt.Errorf("hex constant %s", v)
}

var (
	reduceStart = regexp.MustCompile(`^\s*(%\w+) = "stablehlo.reduce"\((%\w+), (%\w+)\) \(\{$`)
	reduceEnd   = regexp.MustCompile(`^\s*\}\) \{dimensions = array<i64(?:: ([-0-9, ]*))?>\}`)
)

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var elementwiseFns = map[string]func([]float64) float64{
	"stablehlo.add":                func(x []float64) float64 { return x[0] + x[1] },
	"stablehlo.subtract":           func(x []float64) float64 { return x[0] - x[1] },
	"stablehlo.multiply":           func(x []float64) float64 { return x[0] * x[1] },
	"stablehlo.maximum":            func(x []float64) float64 { return max(x[0], x[1]) },
	"stablehlo.minimum":            func(x []float64) float64 { return min(x[0], x[1]) },
	"stablehlo.remainder":          func(x []float64) float64 { return math.Mod(x[0], x[1]) },
	"stablehlo.exponential":        func(x []float64) float64 { return math.Exp(x[0]) },
	"stablehlo.negate":             func(x []float64) float64 { return -x[0] },
	"stablehlo.abs":                func(x []float64) float64 { return math.Abs(x[0]) },
	"stablehlo.sqrt":               func(x []float64) float64 { return math.Sqrt(x[0]) },
	"stablehlo.log":                func(x []float64) float64 { return math.Log(x[0]) },
	"stablehlo.sine":               func(x []float64) float64 { return math.Sin(x[0]) },
	"stablehlo.cosine":             func(x []float64) float64 { return math.Cos(x[0]) },
	"stablehlo.tan":                func(x []float64) float64 { return math.Tan(x[0]) },
	"stablehlo.tanh":               func(x []float64) float64 { return math.Tanh(x[0]) },
	"stablehlo.floor":              func(x []float64) float64 { return math.Floor(x[0]) },
	"stablehlo.ceil":               func(x []float64) float64 { return math.Ceil(x[0]) },
	"stablehlo.power":              func(x []float64) float64 { return math.Pow(x[0], x[1]) },
	"chlo.asin":                    func(x []float64) float64 { return math.Asin(x[0]) },
	"chlo.acos":                    func(x []float64) float64 { return math.Acos(x[0]) },
	"chlo.atan":                    func(x []float64) float64 { return math.Atan(x[0]) },
	"chlo.sinh":                    func(x []float64) float64 { return math.Sinh(x[0]) },
	"chlo.cosh":                    func(x []float64) float64 { return math.Cosh(x[0]) },
	"chlo.erf":                     func(x []float64) float64 { return math.Erf(x[0]) },
	"stablehlo.round_nearest_even": func(x []float64) float64 { return math.RoundToEven(x[0]) },
	"stablehlo.select": func(x []float64) float64 {
		if x[0] != 0 {
			return x[1]
		}
		return x[2]
	},
	"stablehlo.and": func(x []float64) float64 { return b2f(x[0] != 0 && x[1] != 0) }, // on i1; bitwiseFns on integers
	"stablehlo.or":  func(x []float64) float64 { return b2f(x[0] != 0 || x[1] != 0) },
	"stablehlo.xor": func(x []float64) float64 { return b2f((x[0] != 0) != (x[1] != 0)) },
}

// bitwiseFns are and, or and xor on integers (two's complement).
var bitwiseFns = map[string]func([]float64) float64{
	"stablehlo.and": func(x []float64) float64 { return float64(int64(x[0]) & int64(x[1])) },
	"stablehlo.or":  func(x []float64) float64 { return float64(int64(x[0]) | int64(x[1])) },
	"stablehlo.xor": func(x []float64) float64 { return float64(int64(x[0]) ^ int64(x[1])) },
}

func reduce(x arr, init float64, body, dims string) (arr, error) {
	f, ok := elementwiseFns[body]
	if !ok {
		return arr{}, fmt.Errorf("reduce body %s", body)
	}
	red := map[int]bool{}
	for _, d := range strings.Split(dims, ",") {
		if d = strings.TrimSpace(d); d != "" {
			n, _ := strconv.Atoi(d)
			red[n] = true
		}
	}
	var shape []int
	for k, d := range x.shape {
		if !red[k] {
			shape = append(shape, d)
		}
	}
	out := arr{shape: shape, data: make([]float64, graph.NumElements(shape))}
	for i := range out.data {
		out.data[i] = init
	}
	for i, v := range x.data {
		idx := unflatten(i, x.shape)
		var oi []int
		for k, j := range idx {
			if !red[k] {
				oi = append(oi, j)
			}
		}
		o := flat(oi, shape)
		out.data[o] = f([]float64{out.data[o], v})
	}
	return out, nil
}

// randomView applies random movement ops to a host tensor of iota values.
func randomView(r *rand.Rand) *graph.Node {
	rank := 1 + r.IntN(3)
	shape := make([]int, rank)
	for k := range shape {
		shape[k] = 1 + r.IntN(5)
	}
	n := graph.NumElements(shape)
	data := make([]byte, 4*n)
	for i := range n {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(float32(i+1)))
	}
	x := must(graph.Host(graph.Float32, shape, data))
	for range 1 + r.IntN(5) {
		s := x.Shape
		var y *graph.Node
		var err error
		switch r.IntN(6) {
		case 0:
			y, err = graph.Permute(x, r.Perm(len(s)))
		case 1:
			start, count, step := make([]int, len(s)), make([]int, len(s)), make([]int, len(s))
			for k, d := range s {
				if d == 0 {
					continue
				}
				start[k] = r.IntN(d)
				step[k] = 1 + r.IntN(3)
				count[k] = (d - start[k] + step[k] - 1) / step[k]
				count[k] = 1 + r.IntN(count[k])
			}
			y, err = graph.Slice(x, start, count, step)
		case 2:
			f := make([]bool, len(s))
			for k := range f {
				f[k] = r.IntN(2) == 0
			}
			y, err = graph.Flip(x, f)
		case 3:
			p := make([][2]int, len(s))
			for k := range p {
				p[k] = [2]int{r.IntN(3), r.IntN(3)}
			}
			y, err = graph.Pad(x, p)
		case 4:
			e := append([]int{1}, s...)
			y, err = graph.Reshape(x, e)
			if err == nil {
				e[0] = 1 + r.IntN(3)
				y, err = graph.Expand(y, e)
			}
		case 5:
			if len(s) >= 2 {
				m := append([]int{s[0] * s[1]}, s[2:]...)
				y, err = graph.Reshape(x, m)
			}
		}
		if err == nil && y != nil && len(y.Shape) <= 4 {
			x = y
		}
	}
	return x
}

// Every view built from random movement ops reads the same elements through the emitted
// StableHLO as through View.Index.
func TestViewsNumerically(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	checked := 0
	kinds := map[string]int{}
	for trial := range 400 {
		root := randomView(r)
		ks, err := graph.Schedule([]*graph.Node{root})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range ks {
			if k.Core != nil || k.Expr.Op != graph.OpLoad || len(k.Inputs) != 1 || k.Inputs[0].Op != graph.OpHost {
				continue
			}
			in := k.Inputs[0]
			m, err := EmitKernel(k)
			if err != nil {
				t.Fatalf("trial %d: %v", trial, err)
			}
			a := arr{shape: []int{in.Numel()}, data: make([]float64, in.Numel())}
			for i := range a.data {
				a.data[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(in.Host[4*i:])))
			}
			got, err := interpret(m.Text, []arr{a})
			if err != nil {
				t.Fatalf("trial %d: %v\n%s", trial, err, m.Text)
			}
			v := k.Expr.View
			for i := range graph.NumElements(v.Shape) {
				idx := unflatten(i, v.Shape)
				want := 0.0
				if v.Valid(idx) {
					want = a.data[v.Index(idx)]
				}
				if got.data[i] != want {
					t.Fatalf("trial %d: view %v element %v = %v, want %v\n%s", trial, v, idx, got.data[i], want, m.Text)
				}
			}
			checked++
			for k, st := range v.Strides {
				switch {
				case st < 0:
					kinds["negative stride"]++
				case st == 0 && v.Shape[k] > 1:
					kinds["broadcast"]++
				}
			}
			if v.Mask != nil {
				kinds["mask"]++
			}
		}
	}
	if checked < 100 || len(kinds) < 3 {
		t.Errorf("only %d views checked (%v)", checked, kinds)
	}
	t.Logf("%d views checked; axes/views with %v", checked, kinds)
}

// TestParseConstant checks the interpreter's reading of dense elements, which the
// numeric checks rest on.
func TestParseConstant(t *testing.T) {
	for _, c := range []struct {
		v, elem string
		want    float64
	}{
		{"true", "i1", 1}, {"false", "i1", 0}, {"-2.5", "f64", -2.5}, {"0x7FF0000000000000", "f64", math.Inf(1)},
		{"0xFF800000", "f32", math.Inf(-1)}, {"0x3FF8000000000000", "f64", 1.5}, {"0x3E00", "f16", 1.5}, {"0x3FC0", "bf16", 1.5},
	} {
		if got, err := parseConstant(c.v, c.elem); err != nil || got != c.want {
			t.Errorf("parseConstant(%q, %s) = %v, %v; want %v", c.v, c.elem, got, err, c.want)
		}
	}
	for _, v := range []string{"True", "0x7FF", "x", "0x3E00"} {
		if got, err := parseConstant(v, "f32"); err == nil {
			t.Errorf("parseConstant(%q, f32) = %v, want an error", v, got)
		}
	}
}
