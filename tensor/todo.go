package tensor

// PadMode selects how Pad fills the new elements.
type PadMode int

// The padding modes.
const (
	PadConstant PadMode = iota // the given value
	PadReflect                 // mirrored, without repeating the edge (numpy "reflect")
	PadEdge                    // the edge value repeated
)

// ConvOptions are the attributes of Conv (ONNX Conv).
type ConvOptions struct {
	Strides, Dilations []int // nil: all 1
	Pads               []int // ONNX order: all begins, then all ends; nil: 0
	Groups             int   // 0 or 1: ungrouped
}

// PoolOptions are the attributes of MaxPool and AvgPool (ONNX).
type PoolOptions struct {
	Kernel, Strides, Dilations, Pads []int // Strides nil: all 1; Pads as in ConvOptions
	CeilMode, CountIncludePad        bool
}

func notYet(op string) *Tensor { return failf(op, "not implemented") }

func (t *Tensor) ArgMax(axis int) *Tensor                                { return notYet("ArgMax") }
func (t *Tensor) ArgMin(axis int) *Tensor                                { return notYet("ArgMin") }
func (t *Tensor) CumSum(axis int, exclusive, reverse bool) *Tensor       { return notYet("CumSum") }
func (t *Tensor) Tile(reps ...int) *Tensor                               { return notYet("Tile") }
func (t *Tensor) Pad(pads [][2]int, mode PadMode, value float64) *Tensor { return notYet("Pad") }
func Concat(axis int, ts ...*Tensor) *Tensor                             { return notYet("Concat") }
func (t *Tensor) Split(axis int, sizes ...int) []*Tensor                 { return nil }
func (t *Tensor) Gather(axis int, indices *Tensor) *Tensor               { return notYet("Gather") }
func (t *Tensor) Triu(k int) *Tensor                                     { return notYet("Triu") }
func (t *Tensor) Tril(k int) *Tensor                                     { return notYet("Tril") }
func (t *Tensor) LayerNorm(axis int, scale, bias *Tensor, eps float64) *Tensor {
	return notYet("LayerNorm")
}
func (t *Tensor) Conv(w *Tensor, o ConvOptions) *Tensor { return notYet("Conv") }
func (t *Tensor) MaxPool(o PoolOptions) *Tensor         { return notYet("MaxPool") }
func (t *Tensor) AvgPool(o PoolOptions) *Tensor         { return notYet("AvgPool") }
func (t *Tensor) String() string                        { return "tensor" }
