package tensor

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/crossbar-compute/crossbar/graph"
	"github.com/crossbar-compute/crossbar/internal/half"
)

// NumPy's print options, which String follows.
const (
	printLineWidth = 75   // characters per line before elements wrap
	printThreshold = 1000 // tensors with more elements are summarized
	printEdgeItems = 3    // elements shown at each end of a summarized axis
	printPrecision = 8    // at most this many fractional digits
	maxPrintBlocks = 6    // summarized axes whose corner blocks are read one by one
)

// String realizes t and prints it like NumPy's str() of an array, followed by the shape and
// the dtype:
//
//	tensor([[1 2 3]
//	 [4 5 6]], shape=[2 3], dtype=int32)
//
// Floats print with the shortest digits that identify them (at most 8 after the point),
// aligned on the point, in scientific notation when the magnitudes call for it. A tensor of
// more than 1000 elements shows 3 items at each end of every longer axis, with "..."
// between. An invalid tensor (or one whose computation fails) prints its error. String never
// panics.
func (t *Tensor) String() (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("tensor(error: String: %v)", r)
		}
	}()
	if err := check("String", t); err != nil {
		return "tensor(error: " + err.Error() + ")"
	}
	p, err := newPrinter(t)
	if err != nil {
		return "tensor(error: " + err.Error() + ")"
	}
	return fmt.Sprintf("tensor(%s, shape=%v, dtype=%v)", p.format(), t.node.Shape, t.node.DType)
}

// printer formats one tensor's elements.
type printer struct {
	shape   []int  // the shape of the elements read: summarized axes keep only their ends
	elided  []bool // axes whose middle is left out (shown as "...")
	strides []int
	floats  []float64 // float dtypes
	ints    []int64   // integer and Bool dtypes
	isBool  bool
	elem    func(i int) string // the element at flat index i, padded to the common width
}

func newPrinter(t *Tensor) (*printer, error) {
	shape := t.node.Shape
	p := &printer{elided: make([]bool, len(shape)), shape: slices.Clone(shape), isBool: t.node.DType == Bool}
	var elided []int
	if !graph.NumElementsFit(shape) || graph.NumElements(shape) > printThreshold {
		for k, n := range shape {
			if n > 2*printEdgeItems {
				p.elided[k] = true
				p.shape[k] = 2 * printEdgeItems
				elided = append(elided, k)
			}
		}
	}
	p.strides = graph.ContiguousStrides(p.shape)
	// Read only the items shown: each corner block of a summarized tensor is a view, so
	// nothing else is computed or copied. Beyond maxPrintBlocks summarized axes, the first
	// ones are cut out on the device instead (one lazy Concat each) to bound the number of
	// blocks.
	x := t
	for len(elided) > maxPrintBlocks {
		k := elided[0]
		n := shape[k]
		x = Concat(k, x.Slice(k, 0, printEdgeItems, 1), x.Slice(k, n-printEdgeItems, n, 1))
		elided = elided[1:]
	}
	numel := graph.NumElements(p.shape)
	if t.node.DType.IsFloat() {
		p.floats = make([]float64, numel)
	} else {
		p.ints = make([]int64, numel)
	}
	for corner := range 1 << len(elided) {
		block, offset := x, make([]int, len(shape))
		for j, k := range elided {
			n := shape[k]
			if corner>>j&1 == 0 {
				block = block.Slice(k, 0, printEdgeItems, 1)
			} else {
				block = block.Slice(k, n-printEdgeItems, n, 1)
				offset[k] = printEdgeItems
			}
		}
		if err := p.place(block, offset); err != nil {
			return nil, err
		}
	}
	dt := t.node.DType
	if len(p.ints)+len(p.floats) == 0 {
		return p, nil
	}
	switch {
	case p.isBool:
		scalar := len(p.shape) == 0
		p.elem = func(i int) string {
			switch {
			case p.ints[i] == 0:
				return "False"
			case scalar:
				return "True"
			}
			return " True"
		}
	case p.floats == nil:
		width := 0
		for _, v := range p.ints {
			width = max(width, len(strconv.FormatInt(v, 10)))
		}
		p.elem = func(i int) string {
			s := strconv.FormatInt(p.ints[i], 10)
			return strings.Repeat(" ", width-len(s)) + s
		}
	default:
		f := newFloatFormat(p.floats, dt)
		p.elem = func(i int) string { return f.format(p.floats[i]) }
	}
	return p, nil
}

// place reads block and stores its elements at offset in p's elements.
func (p *printer) place(block *Tensor, offset []int) error {
	fs, is, err := readValues(block)
	if err != nil {
		return err
	}
	shape := block.node.Shape
	idx := make([]int, len(shape))
	for b := range len(fs) + len(is) {
		dst := 0
		for k := range shape {
			dst += (idx[k] + offset[k]) * p.strides[k]
		}
		if fs != nil {
			p.floats[dst] = fs[b]
		} else {
			p.ints[dst] = is[b]
		}
		for k := len(shape) - 1; k >= 0; k-- {
			if idx[k]++; idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return nil
}

// readValues realizes x and returns its elements: floats for float dtypes, else ints
// (Bool as 0 and 1).
func readValues(x *Tensor) ([]float64, []int64, error) {
	if err := x.Err(); err != nil {
		return nil, nil, err
	}
	var ints []int64
	switch x.node.DType {
	case Bool, Uint8:
		b, err := Data[uint8](x.Cast(Uint8))
		if err != nil {
			return nil, nil, err
		}
		ints = make([]int64, len(b))
		for i, v := range b {
			ints[i] = int64(v)
		}
	case Int32:
		u, err := Data[int32](x)
		if err != nil {
			return nil, nil, err
		}
		ints = make([]int64, len(u))
		for i, v := range u {
			ints[i] = int64(v)
		}
	case Int64:
		u, err := Data[int64](x)
		if err != nil {
			return nil, nil, err
		}
		ints = u
	default:
		f, err := float64s(x)
		return f, nil, err
	}
	return nil, ints, nil
}

// format is NumPy's _formatArray with str()'s settings: a one-space hanging indent, lines of
// at most 75 characters, and a space between elements.
func (p *printer) format() string {
	if p.elem == nil {
		return "[]"
	}
	return p.recurse(0, 0, " ", printLineWidth)
}

func (p *printer) recurse(axis, off int, hanging string, width int) string {
	left := len(p.shape) - axis
	if left == 0 {
		return p.elem(off)
	}
	nextHanging := hanging + " "
	nextWidth := width - 1 // room for the closing bracket
	n := p.shape[axis]
	st := p.strides[axis]
	summary := p.elided[axis]
	lead, trail := 0, n
	if summary {
		lead, trail = printEdgeItems, printEdgeItems
	}
	var s strings.Builder
	if left == 1 {
		elemWidth := width - 1
		line := hanging
		add := func(word string) {
			// Wrap when the word does not fit, unless wrapping would not help.
			if len(line)+len(word) > elemWidth && len(line) > len(hanging) {
				s.WriteString(strings.TrimRight(line, " "))
				s.WriteString("\n")
				line = hanging
			}
			line += word
		}
		for i := range lead {
			add(p.recurse(axis+1, off+i*st, nextHanging, nextWidth))
			line += " "
		}
		if summary {
			add("...")
			line += " "
		}
		for i := trail; i > 1; i-- {
			add(p.recurse(axis+1, off+(n-i)*st, nextHanging, nextWidth))
			line += " "
		}
		add(p.recurse(axis+1, off+(n-1)*st, nextHanging, nextWidth))
		s.WriteString(line)
	} else {
		sep := strings.Repeat("\n", left-1)
		for i := range lead {
			s.WriteString(hanging + p.recurse(axis+1, off+i*st, nextHanging, nextWidth) + sep)
		}
		if summary {
			s.WriteString(hanging + "..." + sep)
		}
		for i := trail; i > 1; i-- {
			s.WriteString(hanging + p.recurse(axis+1, off+(n-i)*st, nextHanging, nextWidth) + sep)
		}
		s.WriteString(hanging + p.recurse(axis+1, off+(n-1)*st, nextHanging, nextWidth))
	}
	return "[" + s.String()[len(hanging):] + "]"
}

// floatFormat is NumPy's FloatingFormat in its default mode ("maxprec", precision 8): every
// element gets the same width, positional or scientific for the whole tensor.
type floatFormat struct {
	dt                DType
	exp               bool
	padLeft, padRight int // positional: widths of the integer and fractional parts
	precision         int // scientific: fractional digits of the mantissa
	expDigits         int // scientific: digits of the exponent
}

func newFloatFormat(vals []float64, dt DType) *floatFormat {
	f := &floatFormat{dt: dt}
	var finite []float64
	maxAbs, minAbs := 0.0, math.Inf(1)
	negInf := false
	for _, v := range vals {
		switch {
		case math.IsNaN(v):
		case math.IsInf(v, 0):
			negInf = negInf || v < 0
		default:
			finite = append(finite, v)
			if a := math.Abs(v); a != 0 {
				maxAbs = max(maxAbs, a)
				minAbs = min(minAbs, a)
			}
		}
	}
	if maxAbs > 0 {
		f.exp = maxAbs >= 1e8 || minAbs < 1e-4 || maxAbs/minAbs > 1e3
	}
	for _, v := range finite {
		if f.exp {
			mant, ex := f.scientific(v)
			ip, fp, _ := strings.Cut(mant, ".")
			f.padLeft = max(f.padLeft, len(ip))
			f.precision = max(f.precision, len(fp))
			f.expDigits = max(f.expDigits, len(ex)-1)
		} else {
			ip, fp, _ := strings.Cut(f.positional(v), ".")
			f.padLeft = max(f.padLeft, len(ip))
			f.padRight = max(f.padRight, len(fp))
		}
	}
	if f.exp {
		f.padRight = f.expDigits + 2 + f.precision
	}
	if len(finite) != len(vals) {
		inf := 3
		if negInf {
			inf++
		}
		f.padLeft = max(f.padLeft, 3-(f.padRight+1), inf-(f.padRight+1))
	}
	return f
}

// shortest is strconv.FormatFloat(v, fmt, -1, bits) for v's dtype: the fewest digits that
// read back as v in that dtype.
func (f *floatFormat) shortest(v float64, format byte) string {
	switch f.dt {
	case Float64:
		return strconv.FormatFloat(v, format, -1, 64)
	case Float32:
		return strconv.FormatFloat(v, format, -1, 32)
	}
	// Float16 and BFloat16: try more digits until they round back to v.
	for prec := 0; prec < 17; prec++ {
		s := strconv.FormatFloat(v, format, prec, 32)
		back, err := strconv.ParseFloat(s, 32)
		if err == nil && f.round16(back) == v {
			return s
		}
	}
	return strconv.FormatFloat(v, format, -1, 32)
}

func (f *floatFormat) round16(v float64) float64 {
	if f.dt == BFloat16 {
		return float64(half.BFloat16To(half.BFloat16From(float32(v))))
	}
	return float64(half.Float16To(half.Float16From(float32(v))))
}

// positional is v with the shortest digits, at most printPrecision after the point, with
// trailing zeros trimmed but the point kept ("1.", "0.25").
func (f *floatFormat) positional(v float64) string {
	s := f.shortest(v, 'f')
	if _, fp, _ := strings.Cut(s, "."); len(fp) > printPrecision {
		s = strings.TrimRight(strconv.FormatFloat(v, 'f', printPrecision, 64), "0")
	}
	if !strings.Contains(s, ".") {
		s += "."
	}
	return s
}

// scientific is v in scientific notation with the shortest mantissa (at most
// printPrecision fractional digits, trailing zeros trimmed, the point kept), split into
// mantissa and signed exponent ("1.5", "+10").
func (f *floatFormat) scientific(v float64) (mant, exp string) {
	s := f.shortest(v, 'e')
	mant, exp, _ = strings.Cut(s, "e")
	if _, fp, _ := strings.Cut(mant, "."); len(fp) > printPrecision {
		mant, exp, _ = strings.Cut(strconv.FormatFloat(v, 'e', printPrecision, 64), "e")
		mant = strings.TrimRight(mant, "0")
	}
	if !strings.Contains(mant, ".") {
		mant += "."
	}
	return mant, exp
}

func (f *floatFormat) format(v float64) string {
	width := f.padLeft + f.padRight + 1
	if math.IsNaN(v) || math.IsInf(v, 0) {
		s := "nan"
		switch {
		case math.IsInf(v, 1):
			s = "inf"
		case math.IsInf(v, -1):
			s = "-inf"
		}
		return strings.Repeat(" ", max(0, width-len(s))) + s
	}
	if f.exp {
		mant, exp := f.scientific(v)
		ip, fp, _ := strings.Cut(mant, ".")
		sign, digits := exp[:1], exp[1:]
		return strings.Repeat(" ", max(0, f.padLeft-len(ip))) + ip + "." + fp +
			strings.Repeat("0", max(0, f.precision-len(fp))) +
			"e" + sign + strings.Repeat("0", max(0, f.expDigits-len(digits))) + digits
	}
	ip, fp, _ := strings.Cut(f.positional(v), ".")
	return strings.Repeat(" ", max(0, f.padLeft-len(ip))) + ip + "." + fp + strings.Repeat(" ", max(0, f.padRight-len(fp)))
}
