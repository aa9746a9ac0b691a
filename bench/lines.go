package main

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/tensor"
)

func init() { register(linesSuite{}) }

// linesSuite measures the row operations that a device may compute in one kernel a line
// (Capabilities.Softmax, LayerNorm, ArgMax) against their decomposition into reductions and
// elementwise kernels on the same device, and against a negation of the same input (one read
// and one write of it: what any of them must at least cost). Rows of 4096 (a layer's
// activations), rows of 128 (attention scores) and one row of up to 128K (a vocabulary's
// logits for one token), -n float32 elements in all.
type linesSuite struct{}

func (linesSuite) Name() string { return "lines" }

func (linesSuite) Description() string {
	return "softmax, layer norm and argmax of float32 rows (of 4096, of 128, one of up to 128K; -n elements) in one kernel vs their decomposition and vs a negation (GB/s, ratios)"
}

// decomposed is a device with the one-kernel row operations hidden from its capabilities:
// tensor then builds their decomposition, which runs on the device's own kernels.
type decomposed struct{ backend.Device }

func (d decomposed) Name() string { return d.Device.Name() + " (decomposed)" }

func (d decomposed) Capabilities() backend.Capabilities {
	c := d.Device.Capabilities()
	c.Softmax, c.LayerNorm, c.ArgMax = false, false, false
	return c
}

// lineCase is one row operation of the suite.
type lineCase struct {
	name string
	// claimed reports whether the device computes it in one kernel.
	claimed func(backend.Capabilities) bool
	build   func(x, scale, bias *tensor.Tensor) *tensor.Tensor
	// bytes is what it reads and writes for rows × cols float32 inputs.
	bytes func(rows, cols int) float64
	check func(out *tensor.Tensor, x, scale, bias []float32, rows, cols int) error
}

var lineCases = []lineCase{
	{"negation", nil,
		func(x, _, _ *tensor.Tensor) *tensor.Tensor { return x.Neg() },
		func(r, c int) float64 { return float64(8 * r * c) },
		func(out *tensor.Tensor, x, _, _ []float32, _, _ int) error {
			return checkRows(out, len(x), func(i int) float64 { return -float64(x[i]) }, 0)
		}},
	{"softmax", func(c backend.Capabilities) bool { return c.Softmax },
		func(x, _, _ *tensor.Tensor) *tensor.Tensor { return x.Softmax(-1) },
		func(r, c int) float64 { return float64(8 * r * c) },
		func(out *tensor.Tensor, x, _, _ []float32, rows, cols int) error {
			want := make([]float64, len(x))
			for r := range rows {
				row, m, s := x[r*cols:(r+1)*cols], math.Inf(-1), 0.0
				for _, v := range row {
					m = math.Max(m, float64(v))
				}
				for _, v := range row {
					s += math.Exp(float64(v) - m)
				}
				for i, v := range row {
					want[r*cols+i] = math.Exp(float64(v)-m) / s
				}
			}
			return checkRows(out, len(x), func(i int) float64 { return want[i] }, 1e-5)
		}},
	{"layer norm", func(c backend.Capabilities) bool { return c.LayerNorm },
		func(x, scale, bias *tensor.Tensor) *tensor.Tensor { return x.LayerNorm(-1, scale, bias, 1e-5) },
		func(r, c int) float64 { return float64(8*r*c + 8*c) },
		func(out *tensor.Tensor, x, scale, bias []float32, rows, cols int) error {
			want := make([]float64, len(x))
			for r := range rows {
				row, mean, vr := x[r*cols:(r+1)*cols], 0.0, 0.0
				for _, v := range row {
					mean += float64(v)
				}
				mean /= float64(cols)
				for _, v := range row {
					vr += (float64(v) - mean) * (float64(v) - mean)
				}
				sd := math.Sqrt(vr/float64(cols) + 1e-5)
				for i, v := range row {
					want[r*cols+i] = (float64(v)-mean)/sd*float64(scale[i]) + float64(bias[i])
				}
			}
			return checkRows(out, len(x), func(i int) float64 { return want[i] }, 1e-4)
		}},
	{"argmax", func(c backend.Capabilities) bool { return c.ArgMax },
		func(x, _, _ *tensor.Tensor) *tensor.Tensor { return x.ArgMax(-1) },
		func(r, c int) float64 { return float64(4*r*c + 8*r) },
		func(out *tensor.Tensor, x, _, _ []float32, rows, cols int) error {
			got, err := tensor.Data[int64](out)
			if err != nil {
				return err
			}
			if len(got) != rows {
				return fmt.Errorf("%d indices for %d rows", len(got), rows)
			}
			for r := range rows {
				best := 0
				for i, v := range x[r*cols : (r+1)*cols] {
					if v > x[r*cols+best] {
						best = i
					}
				}
				if got[r] != int64(best) {
					return fmt.Errorf("wrong result: row %d's argmax is %d, want %d", r, got[r], best)
				}
			}
			return nil
		}},
}

// checkRows compares out's n float32 values with want within tol relative to
// max(1, |want|) (tol 0: exactly).
func checkRows(out *tensor.Tensor, n int, want func(i int) float64, tol float64) error {
	got, err := tensor.Data[float32](out)
	if err != nil {
		return err
	}
	if len(got) != n {
		return fmt.Errorf("%d values, want %d", len(got), n)
	}
	for i, g := range got {
		w := want(i)
		if d := math.Abs(float64(g) - w); !(d <= tol*math.Max(1, math.Abs(w))) {
			return fmt.Errorf("wrong result: element %d is %v, want %v", i, g, w)
		}
	}
	return nil
}

func (s linesSuite) Run(ctx context.Context, dev backend.Device, opts Options) ([]Row, error) {
	caps := dev.Capabilities()
	var rows []Row
	for _, sh := range []struct {
		name       string
		rows, cols int
	}{
		{"rows of 4096", max(1, opts.N/4096), 4096},
		{"rows of 128", max(1, opts.N/128), 128},
		{"one row", 1, min(opts.N, 1<<17)},
	} {
		hx := randomVector(21, sh.rows*sh.cols)
		hs, hb := randomVector(22, sh.cols), randomVector(23, sh.cols)
		size := fmt.Sprintf("%dx%d", sh.rows, sh.cols)
		var neg float64 // the negation's best time, seconds
		for _, lc := range lineCases {
			devs := []backend.Device{dev}
			// A graph-level device compiles whole subgraphs, which the wrapper would hide;
			// none of them computes these in one kernel.
			if lc.claimed != nil && lc.claimed(caps) && !caps.GraphLevel {
				devs = append(devs, decomposed{dev})
			}
			var one float64
			for i, d := range devs {
				if err := ctx.Err(); err != nil {
					return rows, err
				}
				name := sh.name + ": " + lc.name
				if i == 1 {
					name += " (decomposed)"
				} else if lc.claimed != nil && !lc.claimed(caps) {
					name += " (decomposed: no one-kernel form)"
				}
				opts.progress("%s: %s %s", dev.Name(), s.Name(), name)
				row := Row{Device: dev.Name(), Suite: s.Name(), Case: name, Size: size}
				tm, err := s.measure(ctx, d, opts.Reps, lc, hx, hs, hb, sh.rows, sh.cols)
				if err != nil {
					row.fail(err)
					rows = append(rows, row)
					continue
				}
				row.setTiming(tm, lc.bytes(sh.rows, sh.cols), "bytes", 1e9, "GB/s", tm.kernels)
				t := row.Time.Seconds()
				note := []string{fmt.Sprintf("%d kernels", tm.kernels)}
				if tm.kernels == 1 {
					note[0] = "1 kernel"
				}
				switch {
				case lc.claimed == nil:
					neg = t
				case neg > 0:
					note = append(note, fmt.Sprintf("%.2fx the negation's time", t/neg))
				}
				if i == 0 {
					one = t
				} else if one > 0 {
					note = append(note, fmt.Sprintf("%.2fx the one kernel's", t/one))
				}
				row.Note = strings.Join(note, ", ")
				rows = append(rows, row)
			}
		}
	}
	return rows, nil
}

// measure times lc on d for inputs made there from hx (rows × cols), hs and hb (cols), and
// checks the last result against the host's.
func (linesSuite) measure(ctx context.Context, d backend.Device, reps int, lc lineCase, hx, hs, hb []float32, rows, cols int) (timing, error) {
	var ins []*tensor.Tensor
	defer func() {
		for _, t := range ins {
			freeTensor(t)
		}
	}()
	for _, in := range []struct {
		data  []float32
		shape []int
	}{{hx, []int{rows, cols}}, {hs, []int{cols}}, {hb, []int{cols}}} {
		t, err := onDevice(d, in.data, in.shape...)
		if err != nil {
			return timing{}, err
		}
		ins = append(ins, t)
	}
	tm, out, err := measure(ctx, d, reps, func() *tensor.Tensor { return lc.build(ins[0], ins[1], ins[2]) })
	if err != nil {
		return tm, err
	}
	defer freeTensor(out)
	return tm, lc.check(out, hx, hs, hb, rows, cols)
}
