package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/tensor"
)

func init() { register(streamSuite{}) }

// streamScalar is STREAM's scalar q.
const streamScalar = 3

// streamSuite measures memory bandwidth with the STREAM kernels on float32 vectors.
type streamSuite struct{}

func (streamSuite) Name() string { return "stream" }

func (streamSuite) Description() string {
	return "STREAM copy, scale, add, triad and dot on float32 vectors (-n), and the sums of the vector's rows and columns as rows of 1024; GB/s of bytes read + written"
}

// streamCase is one STREAM kernel.
type streamCase struct {
	name string
	// vectors is the number of n-element float32 vectors the kernel reads and writes;
	// extra is more bytes (dot's scalar result).
	vectors, extra int
	// build returns the kernel's expression of the realized inputs x and y.
	build func(x, y *tensor.Tensor) *tensor.Tensor
	// check compares the kernel's output with the host inputs hx and hy.
	check func(out *tensor.Tensor, hx, hy []float32) error
	// matrix says that the kernel reads x as rows of streamWidth: its whole rows, the
	// first n/streamWidth·streamWidth elements (streamRows).
	matrix bool
}

// streamWidth is the length of the rows of the row and column sums: a softmax's sums over
// rows of 1024, a bias's gradient over columns of a batch. The sums they write (n/1024 or
// 1024 values) are not counted in their bytes.
const streamWidth = 1024

// streamRows is the whole rows of streamWidth in x, a vector.
func streamRows(x *tensor.Tensor) *tensor.Tensor {
	rows := x.Shape()[0] / streamWidth
	return x.Slice(0, 0, rows*streamWidth, 1).Reshape(rows, streamWidth)
}

// The constants are rank-0 tensors made anew for each expression: they fuse into the kernel.
func streamZero() *tensor.Tensor { return tensor.Full(0, tensor.Float32) }
func streamA() *tensor.Tensor    { return tensor.Full(streamScalar, tensor.Float32) }

var streamCases = []streamCase{
	{
		name: "copy", vectors: 2,
		// x+0 forces a kernel that reads x and writes a new buffer.
		build: func(x, _ *tensor.Tensor) *tensor.Tensor { return x.Add(streamZero()) },
		check: elementwiseCheck(func(x, _ float64) (float64, float64) { return x, math.Abs(x) }),
	},
	{
		name: "scale", vectors: 2,
		build: func(x, _ *tensor.Tensor) *tensor.Tensor { return x.Mul(streamA()) },
		check: elementwiseCheck(func(x, _ float64) (float64, float64) {
			return streamScalar * x, math.Abs(streamScalar * x)
		}),
	},
	{
		name: "add", vectors: 3,
		build: func(x, y *tensor.Tensor) *tensor.Tensor { return x.Add(y) },
		check: elementwiseCheck(func(x, y float64) (float64, float64) { return x + y, math.Abs(x) + math.Abs(y) }),
	},
	{
		name: "triad", vectors: 3,
		build: func(x, y *tensor.Tensor) *tensor.Tensor { return x.Add(y.Mul(streamA())) },
		check: elementwiseCheck(func(x, y float64) (float64, float64) {
			return x + streamScalar*y, math.Abs(x) + math.Abs(streamScalar*y)
		}),
	},
	{
		name: "dot", vectors: 2, extra: 4,
		build: func(x, y *tensor.Tensor) *tensor.Tensor { return x.Mul(y).Sum() },
		check: func(out *tensor.Tensor, hx, hy []float32) error {
			got, err := tensor.Data[float32](out)
			if err != nil {
				return err
			}
			if len(got) != 1 {
				return fmt.Errorf("dot gave %d values, want 1", len(got))
			}
			return checkDot(got[0], hx, hy)
		},
	},
	{
		name: "row-sums", vectors: 1, matrix: true,
		build: func(x, _ *tensor.Tensor) *tensor.Tensor { return streamRows(x).Sum(1) },
		check: func(out *tensor.Tensor, hx, _ []float32) error { return checkSums(out, hx, 1) },
	},
	{
		name: "column-sums", vectors: 1, matrix: true,
		build: func(x, _ *tensor.Tensor) *tensor.Tensor { return streamRows(x).Sum(0) },
		check: func(out *tensor.Tensor, hx, _ []float32) error { return checkSums(out, hx, 0) },
	},
}

// checkSums checks out, the sums over axis (0: of each column, 1: of each row) of x as rows
// of streamWidth, within the rounding that float32 sums of that length may carry (as
// checkDot).
func checkSums(out *tensor.Tensor, x []float32, axis int) error {
	got, err := tensor.Data[float32](out)
	if err != nil {
		return err
	}
	rows := len(x) / streamWidth
	// Sum j of length terms reads x[j*step + i*stride].
	n, length, step, stride := streamWidth, rows, 1, streamWidth
	if axis == 1 {
		n, length, step, stride = rows, streamWidth, streamWidth, 1
	}
	if len(got) != n {
		return fmt.Errorf("%d sums, want %d", len(got), n)
	}
	for j := range n {
		var want, mag float64
		for i := range length {
			v := float64(x[j*step+i*stride])
			want += v
			mag += math.Abs(v)
		}
		tol := sumTolerance(length, mag)
		if d := math.Abs(float64(got[j]) - want); !(d <= tol) {
			return fmt.Errorf("sum %d of %d: got %v, want %v (error %.3g > tolerance %.3g)", j, n, got[j], want, d, tol)
		}
	}
	return nil
}

// elementwiseCheck makes the check of a kernel whose output element i is f(x[i], y[i]).
// f returns the exact value and the magnitude its rounding error scales with; a float32
// kernel may be off by a few roundings of that magnitude (fused multiply-add or not).
func elementwiseCheck(f func(x, y float64) (want, mag float64)) func(*tensor.Tensor, []float32, []float32) error {
	return func(out *tensor.Tensor, hx, hy []float32) error {
		got, err := tensor.Data[float32](out)
		if err != nil {
			return err
		}
		if len(got) != len(hx) {
			return fmt.Errorf("output has %d elements, want %d", len(got), len(hx))
		}
		const eps = 0x1p-23 // float32 machine epsilon
		for i, g := range got {
			want, mag := f(float64(hx[i]), float64(hy[i]))
			if d := math.Abs(float64(g) - want); !(d <= 4*eps*mag) {
				return fmt.Errorf("wrong result: element %d is %v, want %v", i, g, want)
			}
		}
		return nil
	}
}

// checkDot compares a float32 dot product with the exact one of x and y. A float32 reduction
// in any reasonable order (pairwise, blocked, tree) errs by about eps·sqrt(n) relative to
// sum |x_i·y_i|; the bound allows four times that. Dropping or doubling one term of a few
// thousand breaks it.
func checkDot(got float32, x, y []float32) error {
	if len(x) != len(y) {
		return fmt.Errorf("dot of %d and %d elements", len(x), len(y))
	}
	var want, mag float64
	for i := range x {
		p := float64(x[i]) * float64(y[i])
		want += p
		mag += math.Abs(p)
	}
	tol := sumTolerance(len(x), mag)
	if d := math.Abs(float64(got) - want); !(d <= tol) {
		return fmt.Errorf("wrong dot: got %v, want %v (error %.3g > tolerance %.3g)", got, want, d, tol)
	}
	return nil
}

// sumTolerance is how far a float32 sum of terms values whose magnitudes sum to mag may
// lie from the exact sum: four times eps·sqrt(terms)·mag (see checkDot).
func sumTolerance(terms int, mag float64) float64 {
	const eps = 0x1p-23 // float32 machine epsilon
	return 4 * eps * math.Sqrt(float64(max(terms, 1))) * mag
}

// randomVector returns n deterministic pseudo-random values in [-1, 1).
func randomVector(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	v := make([]float32, n)
	for i := range v {
		v[i] = 2*r.Float32() - 1
	}
	return v
}

func (s streamSuite) Run(ctx context.Context, dev backend.Device, opts Options) ([]Row, error) {
	n := opts.N
	hx, hy := randomVector(1, n), randomVector(2, n)
	x, err := onDevice(dev, hx, n)
	if err != nil {
		return nil, err
	}
	defer freeTensor(x)
	y, err := onDevice(dev, hy, n)
	if err != nil {
		return nil, err
	}
	defer freeTensor(y)
	var rows []Row
	// On a device with its own copy (cuda's cuMemcpyDtoD) the kernels' rates are also
	// given as a ratio to its rate, the bandwidth the device can reach.
	var memcpyRate float64
	if cp, ok := dev.(bufferCopier); ok {
		opts.progress("%s: %s memcpy n=%d", dev.Name(), s.Name(), n)
		row := Row{Device: dev.Name(), Suite: s.Name(), Case: "memcpy", Size: strconv.Itoa(n)}
		if err := measureMemcpy(ctx, dev, cp, opts, hx, &row); err != nil {
			row.fail(err)
		}
		memcpyRate = row.Rate
		rows = append(rows, row)
	}
	for _, c := range streamCases {
		if err := ctx.Err(); err != nil {
			return rows, err
		}
		opts.progress("%s: %s %s n=%d", dev.Name(), s.Name(), c.name, n)
		row := Row{Device: dev.Name(), Suite: s.Name(), Case: c.name, Size: strconv.Itoa(n)}
		used := n // elements read from each vector
		if c.matrix {
			if used = n / streamWidth * streamWidth; used == 0 {
				row.Skip = fmt.Sprintf("n=%d is less than a row of %d", n, streamWidth)
				rows = append(rows, row)
				continue
			}
			row.Size = fmt.Sprintf("%dx%d", n/streamWidth, streamWidth)
		}
		tm, out, err := measure(ctx, dev, opts.Reps, func() *tensor.Tensor { return c.build(x, y) })
		if err == nil {
			bytes := float64(c.vectors*4*used + c.extra)
			row.setTiming(tm, bytes, "bytes", 1e9, "GB/s", 1)
			if memcpyRate > 0 {
				note := fmt.Sprintf("%.2fx memcpy", row.Rate/memcpyRate)
				if row.Note != "" {
					note += "; " + row.Note
				}
				row.Note = note
			}
			err = c.check(out, hx[:used], hy[:used])
			freeTensor(out)
		}
		if err != nil {
			row.fail(err)
		}
		rows = append(rows, row)
		if ctx.Err() != nil {
			return rows, ctx.Err()
		}
	}
	return rows, nil
}

// bufferCopier is a device that copies between its buffers itself (backend_cuda.Device).
type bufferCopier interface {
	CopyBuffer(dst, src backend.Buffer) error
}

// measureMemcpy times the device's own copy of an n-element float32 vector (2n·4 bytes
// read and written) with the device's timer, -reps times after a warm-up, and checks the
// copy.
func measureMemcpy(ctx context.Context, dev backend.Device, cp bufferCopier, opts Options, hx []float32, row *Row) error {
	var bufs [2]backend.Buffer
	for i := range bufs {
		b, err := dev.Alloc(graph.Float32, len(hx))
		if err != nil {
			return err
		}
		defer dev.Free(b)
		bufs[i] = b
	}
	src := deviceBytes(graph.Float32, hx)
	if err := dev.CopyIn(bufs[0], src); err != nil {
		return err
	}
	call := func() error { return cp.CopyBuffer(bufs[1], bufs[0]) }
	tm, err := measureCalls(ctx, dev, opts.Reps, call)
	if err != nil {
		return err
	}
	row.setTiming(tm, float64(2*4*len(hx)), "bytes", 1e9, "GB/s", 0)
	got := make([]byte, len(src))
	if err := dev.CopyOut(got, bufs[1]); err != nil {
		return err
	}
	if !bytes.Equal(got, src) {
		return fmt.Errorf("memcpy: the copy differs from its source")
	}
	return nil
}
