package codegen

import (
	"fmt"

	"github.com/crossbar-compute/crossbar/graph"
)

// Scalar is a machine type of the kernel IR: the types that values are computed in. Narrow
// dtypes are computed in a wider type and rounded or wrapped after every operation (Uint8 in
// U32, Float16 and BFloat16 in F32); how buffers store them is the dialect's business.
type Scalar uint8

// The machine types.
const (
	Void Scalar = iota
	Bool
	I32
	U32
	I64
	U64
	F32
	F64
)

var scalarNames = [...]string{"void", "bool", "i32", "u32", "i64", "u64", "f32", "f64"}

func (s Scalar) String() string {
	if int(s) < len(scalarNames) {
		return scalarNames[s]
	}
	return fmt.Sprintf("scalar(%d)", uint8(s))
}

// IsFloat reports whether s is a floating-point type.
func (s Scalar) IsFloat() bool { return s == F32 || s == F64 }

// IsSigned reports whether s is a signed integer type.
func (s Scalar) IsSigned() bool { return s == I32 || s == I64 }

// Type is a machine type, or a vector of Vec of them (Vec 0 or 1: a scalar).
type Type struct {
	S   Scalar
	Vec int
}

// T is the scalar type s.
func T(s Scalar) Type { return Type{S: s} }

// IsVector reports whether t is a vector type.
func (t Type) IsVector() bool { return t.Vec > 1 }

func (t Type) String() string {
	if t.IsVector() {
		return fmt.Sprintf("%v×%d", t.S, t.Vec)
	}
	return t.S.String()
}

// ComputeType is the machine type that values of dtype dt are computed in.
func ComputeType(dt graph.DType) Scalar {
	switch dt {
	case graph.Bool:
		return Bool
	case graph.Uint8:
		return U32
	case graph.Int32:
		return I32
	case graph.Int64:
		return I64
	case graph.Float16, graph.BFloat16, graph.Float32:
		return F32
	case graph.Float64:
		return F64
	}
	return Void
}

// Kind says what an Expr is.
type Kind uint8

// The kinds of expressions.
const (
	KConst   Kind = iota // a literal: I (integers, Bool 0/1) or F
	KVar                 // a variable: Name
	KIndex               // an element of a local or shared array: Name[Args[0]]
	KSpecial             // a launch coordinate: Special along Dim
	KLoad                // an element of buffer parameter Param at Args[0] (a vector when Type is)
	KUnary               // Op Args[0]
	KBinary              // Args[0] Op Args[1]
	KSelect              // Args[0] ? Args[1] : Args[2]; only the chosen operand is evaluated
	KCast                // Args[0] converted to Type (C conversion; floats to ints only in range)
	KCall                // the intrinsic Fn applied to Args
	KLane                // lane Dim of the vector Args[0]
	KAddr                // the address of Args[0], an element of an array (KIndex) or of a buffer (KLoad, in its storage type): only as an argument of an Intrinsic or of FnSharedAddress
)

// Special is a launch coordinate.
type Special uint8

// The launch coordinates.
const (
	LocalID   Special = iota // index of the thread in its workgroup
	GroupID                  // index of the workgroup
	NumGroups                // number of workgroups launched
)

// Op is an operator of the IR with C semantics on its operand types. Integer Div and Rem are
// only ever given a nonzero divisor, never MIN/-1, and Rem only non-negative operands: the
// lowering makes sure of it, so that every dialect can spell them natively.
type Op uint8

// The operators.
const (
	ONeg  Op = iota // -x
	OBNot           // ~x (integers)
	OLNot           // !x (Bool)
	OAdd
	OSub
	OMul
	ODiv
	ORem
	OShl
	OShr
	OAnd // & (integers)
	OOr  // |
	OXor // ^
	OLAnd
	OLOr
	OLXor // Bool inequality
	OLt
	OLe
	OEq
	ONe
)

var opSyms = [...]string{ONeg: "-", OBNot: "~", OLNot: "!", OAdd: "+", OSub: "-", OMul: "*", ODiv: "/", ORem: "%",
	OShl: "<<", OShr: ">>", OAnd: "&", OOr: "|", OXor: "^", OLAnd: "&&", OLOr: "||", OLXor: "!=", OLt: "<", OLe: "<=",
	OEq: "==", ONe: "!="}

// Sym is the C spelling of o.
func (o Op) Sym() string { return opSyms[o] }

// IsCompare reports whether o yields Bool.
func (o Op) IsCompare() bool { return o >= OLt }

// Fn is an intrinsic function: math that dialects spell natively or define in a prelude.
type Fn uint8

// The intrinsics. Float functions take and return the operand's type; the rounding ones
// take and return F32.
const (
	FnSqrt Fn = iota
	FnExp
	FnExp2
	FnLog
	FnLog2
	FnSin
	FnCos
	FnTan
	FnAsin
	FnAcos
	FnAtan
	FnSinh
	FnCosh
	FnTanh
	FnErf
	FnTrunc
	FnFloor
	FnCeil
	FnRoundEven // round half to even
	FnAbs       // floats
	FnFmod      // C fmod: the remainder of truncated division, exact
	FnPow       // C pow
	FnFma       // a*b + c rounded once
	FnIsNaN     // Bool
	FnMin       // integers
	FnMax       // integers
	FnIPow      // integer power with wrapping; a negative exponent truncates 1/x**|y|
	FnF2I       // float to the integer type of the call: truncate, NaN 0, saturate to int64, wrap
	FnRoundF16  // round F32 to the nearest Float16 value (ties to even), as F32
	FnRoundBF16 // round F32 to the nearest BFloat16 value (ties to even), as F32
	// FnShuffleXor (warp-wide: every thread of the warp calls it together) is the value of
	// Args[0] in the thread whose lane is this thread's lane XOR Args[1], a literal.
	FnShuffleXor
	// FnPackF16x2 and FnPackBF16x2 are the U32 holding Args[0] (low half) and Args[1],
	// two F32 values of Float16 (BFloat16), as two 16-bit values: a register of a matrix
	// fragment.
	FnPackF16x2
	FnPackBF16x2
	// FnSharedAddress is the U32 address in shared memory of Args[0], a KAddr of a shared
	// array's element, as the warpgroup MMAs' matrix descriptors take it.
	FnSharedAddress
	// FnAtomicAdd adds Args[1] to the Int32 buffer element whose address is Args[0] (a
	// KAddr of a KLoad) as one indivisible step for every thread of the device, and is the
	// element's value before.
	FnAtomicAdd
	fnCount
)

var fnNames = [...]string{FnSqrt: "sqrt", FnExp: "exp", FnExp2: "exp2", FnLog: "log", FnLog2: "log2", FnSin: "sin",
	FnCos: "cos", FnTan: "tan", FnAsin: "asin", FnAcos: "acos", FnAtan: "atan", FnSinh: "sinh", FnCosh: "cosh",
	FnTanh: "tanh", FnErf: "erf", FnTrunc: "trunc", FnFloor: "floor", FnCeil: "ceil", FnRoundEven: "round_even",
	FnAbs: "abs", FnFmod: "fmod", FnPow: "pow", FnFma: "fma", FnIsNaN: "isnan", FnMin: "min", FnMax: "max",
	FnIPow: "ipow", FnF2I: "f2i", FnRoundF16: "round_f16", FnRoundBF16: "round_bf16", FnShuffleXor: "shuffle_xor",
	FnPackF16x2: "pack_f16x2", FnPackBF16x2: "pack_bf16x2", FnSharedAddress: "shared_address", FnAtomicAdd: "atomic_add"}

func (f Fn) String() string { return fnNames[f] }

// Expr is an expression of the kernel IR: a tree whose leaves are literals, variables,
// launch coordinates and loads.
type Expr struct {
	Kind    Kind
	Type    Type
	Op      Op
	Fn      Fn
	Special Special
	Dim     int // KSpecial: 0, 1, 2 (x, y, z); KLane: the lane
	Name    string
	Param   int
	I       int64
	F       float64
	Args    []*Expr
}

// Stmt is a statement of the kernel IR.
type Stmt interface{ stmt() }

// Decl declares a variable (Len > 0: a local array of Len elements, Init nil).
type Decl struct {
	Name  string
	Type  Type
	Len   int
	Init  *Expr
	Const bool // never assigned again
	Exact bool // the value must be computed exactly as written (no contraction, no fast math)
}

// Assign sets a variable, or an array element when Index is set.
type Assign struct {
	Name  string
	Index *Expr
	Value *Expr
}

// Store writes Value to element Index of buffer parameter Param (a vector store when
// Value is a vector).
type Store struct {
	Param int
	Index *Expr
	Value *Expr
}

// If runs Then when Cond holds, else Else.
type If struct {
	Cond       *Expr
	Then, Else []Stmt
}

// For runs Body for Var = Start, Start+Step, ... while Var < End.
type For struct {
	Var              string
	Type             Scalar
	Start, End, Step *Expr
	Body             []Stmt
	Unroll           bool // a hint: the trip count is a small constant
}

// Barrier waits for every thread of the workgroup and makes its shared-memory writes
// visible to them.
type Barrier struct{}

// Return ends the thread.
type Return struct{}

// Comment is a line of explanation in the source.
type Comment struct{ Text string }

// Intrinsic is an operation of the device that the IR does not model otherwise: copies
// into shared memory that run asynchronously, and the tensor-core matrix fragments. Some
// are warp-wide: every thread of a warp runs them together, with the same operands except
// where a thread supplies its own address. Dialects that lack one fail to render it.
type Intrinsic struct {
	Op   IntrinsicOp
	Imm  int // ICopyWait: the groups that may stay pending
	Args []*Expr
}

// IntrinsicOp says which Intrinsic.
type IntrinsicOp uint8

// The intrinsics. Addresses are KAddr expressions; fragments are 32-bit registers (U32
// array elements) holding two 16-bit values each, the lower one first.
const (
	// ICopy16 copies Args[2] (U32, 0 to 16) bytes from the buffer address Args[1] to the
	// 16-byte aligned shared address Args[0] and zero-fills the rest of the 16 bytes,
	// asynchronously; with 0 bytes the buffer is not read.
	ICopy16 IntrinsicOp = iota
	// ICopyCommit closes the group of this thread's copies issued since the last commit.
	ICopyCommit
	// ICopyWait waits until at most Imm of this thread's committed groups are pending.
	ICopyWait
	// ILoadMatrix (warp-wide) loads four 8×8 matrices of 16-bit values from shared memory:
	// thread l gives the address Args[1] of row l%8 of matrix l/8, and receives in the four
	// registers at Args[0] its part of each matrix: row l/4, columns 2(l%4) and 2(l%4)+1.
	ILoadMatrix
	// ILoadMatrixT is ILoadMatrix with each matrix transposed: thread l receives rows
	// 2(l%4) and 2(l%4)+1 of column l/4.
	ILoadMatrixT
	// IMMAF16 (warp-wide) adds the 16×8 product of a 16×16 Float16 A and a 16×8 Float16 B
	// to a float accumulator: Args are the addresses of the four accumulator values, of
	// the four A registers and of the two B registers, in the fragment layout of the PTX
	// instruction mma.m16n8k16 (row-major A, column-major B).
	IMMAF16
	// IMMABF16 is IMMAF16 for BFloat16 operands.
	IMMABF16
	// IFenceProxyAsync makes this thread's writes to shared memory, its completed
	// asynchronous copies included, visible to the warpgroup MMAs, which read shared
	// memory through another path (the async proxy).
	IFenceProxyAsync
	// IWarpgroupFence (warpgroup-wide: the 128 threads of four consecutive warps, the first
	// a multiple of four, run it together) orders the thread's accesses to its
	// accumulators before the warpgroup MMAs that follow.
	IWarpgroupFence
	// IWarpgroupMMAF16 (warpgroup-wide) adds, asynchronously, the 64×N product of A (64×16)
	// and B (16×N), Float16 operands in shared memory, to float accumulators held N/2 to a
	// thread in the fragment layout of the PTX instruction wgmma.m64nNk16. Args: the
	// address of the thread's first accumulator; for A, then for B, five values: its
	// shared-memory address (U32, from FnSharedAddress), the leading and the stride byte
	// offsets and the swizzle in bytes (0, 32, 64 or 128) of its matrix descriptor, and
	// whether it is MN-major (1) or K-major (0), all but the address literals; last N, a
	// literal multiple of 8 up to 256.
	IWarpgroupMMAF16
	// IWarpgroupMMABF16 is IWarpgroupMMAF16 for BFloat16 operands.
	IWarpgroupMMABF16
	// IWarpgroupCommit (warpgroup-wide) closes the group of the warpgroup MMAs issued since
	// the last commit.
	IWarpgroupCommit
	// IWarpgroupWait (warpgroup-wide) waits until at most Imm of the warpgroup's committed
	// groups are pending; Args are the address of the thread's first accumulator and their
	// number (a literal), which the thread may read afterwards.
	IWarpgroupWait
	// IFenceDevice orders this thread's memory accesses before it before those after it,
	// as every thread of the device sees them: with an FnAtomicAdd, it makes a workgroup's
	// stores visible to the workgroup that counts last.
	IFenceDevice
	// ICopy8 is ICopy16 for 8 bytes: Args[2] (U32, 0 to 8) bytes from the 8-byte aligned
	// buffer address Args[1] to the 8-byte aligned shared address Args[0], the rest of the
	// 8 zero-filled, in the same groups as ICopy16.
	ICopy8
	// IBarrierInit initializes the transaction barrier (an 8-byte object in shared memory,
	// PTX's mbarrier) at shared address Args[0] (U32) for Args[1] (U32) arrivals a phase.
	IBarrierInit
	// IBarrierInitFence makes the barriers this thread initialized visible to the tensor
	// copies (the async proxy); a workgroup barrier then shows them to the other threads.
	IBarrierInitFence
	// IBarrierArrive counts one arrival at the barrier at Args[0]. A phase completes when
	// all its arrivals have come and all the bytes it expects have landed.
	IBarrierArrive
	// IBarrierArriveTx adds Args[1] (U32) bytes to those that the current phase of the
	// barrier at Args[0] waits for, then counts one arrival.
	IBarrierArriveTx
	// IBarrierWait waits until the phase of parity Args[1] (U32, 0 or 1) of the barrier at
	// Args[0] has completed.
	IBarrierWait
	// ITensorLoad copies, asynchronously, the box of tensor map Imm (Program.TensorMaps) at
	// the coordinates Args[1:len-1] (I32, innermost first) to the shared address Args[0]
	// (U32, 128-byte aligned), laid out as the map says, elements past the tensor's edges
	// zero; the bytes of the box, when they have landed, count towards the barrier at
	// Args[len-1].
	ITensorLoad
	// ITensorMapPrefetch starts fetching tensor map Imm (Program.TensorMaps) into the
	// cache the tensor copies read it from, ahead of the first.
	ITensorMapPrefetch
	// ISyncWarp brings the threads of a warp together again after a branch that only some
	// of them took, before a warp-wide or warpgroup-wide intrinsic.
	ISyncWarp
	// IStoreChunk copies Imm bytes (2, 4, 8 or 16), as they are, from shared memory at
	// Args[1] (a KAddr of a shared array's element) plus Args[2] (I32) bytes to the buffer
	// address Args[0] (a KAddr of a KLoad of the buffer the kernel writes), both aligned to
	// Imm bytes.
	IStoreChunk
)

var intrinsicNames = [...]string{ICopy16: "copy16", ICopyCommit: "copy_commit", ICopyWait: "copy_wait",
	ILoadMatrix: "load_matrix", ILoadMatrixT: "load_matrix_t", IMMAF16: "mma_f16", IMMABF16: "mma_bf16",
	IFenceProxyAsync: "fence_proxy_async", IWarpgroupFence: "warpgroup_fence", IWarpgroupMMAF16: "warpgroup_mma_f16",
	IWarpgroupMMABF16: "warpgroup_mma_bf16", IWarpgroupCommit: "warpgroup_commit", IWarpgroupWait: "warpgroup_wait",
	IFenceDevice: "fence_device", ICopy8: "copy8", IBarrierInit: "barrier_init", IBarrierInitFence: "barrier_init_fence",
	IBarrierArrive: "barrier_arrive", IBarrierArriveTx: "barrier_arrive_tx", IBarrierWait: "barrier_wait", ITensorLoad: "tensor_load", ISyncWarp: "sync_warp",
	ITensorMapPrefetch: "tensor_map_prefetch", IStoreChunk: "store_chunk"}

func (op IntrinsicOp) String() string {
	if int(op) < len(intrinsicNames) {
		return intrinsicNames[op]
	}
	return fmt.Sprintf("intrinsic(%d)", uint8(op))
}

func (*Decl) stmt()      {}
func (*Assign) stmt()    {}
func (*Store) stmt()     {}
func (*If) stmt()        {}
func (*For) stmt()       {}
func (*Barrier) stmt()   {}
func (*Return) stmt()    {}
func (*Comment) stmt()   {}
func (*Intrinsic) stmt() {}

// Param is a buffer parameter of a kernel: the output (parameter 0) or an input.
type Param struct {
	Name  string
	DType graph.DType // element type as the graph sees it; the dialect chooses the storage
	Write bool
	Vec   int // > 1: also read as vectors of Vec elements (aligned to Vec)
	Len   int // number of elements, for the bounds of the index type
}

// Program is one kernel in the IR: a function run by Groups × Local threads.
type Program struct {
	Name   string
	Params []Param
	Local  [3]int // workgroup size
	Groups [3]int // number of workgroups launched
	Shared []*Decl
	Body   []Stmt
	Index  Scalar // I32, or I64 where some index may reach 2^31
	// ErrorFlag is set when parameter len(Params)-1 is a flag buffer that the kernel sets to
	// report a bad argument (a gather index out of range): Param 0 of the flag is the error.
	ErrorFlag bool
	// Split, when Split.Counters > 0, says that workgroups share their outputs (a split-K
	// contraction, a split reduction) and that the kernel takes two parameters after the
	// others, which the backend supplies (Target.SplitK): Split.Counters Int32 values, zero
	// at launch and left zero by the kernel, and Split.Partials 4-byte words of scratch
	// space for the partial results (parameter "partials", of its own dtype: Float32, or
	// the Float64, Int32 or Int64 of a split reduction's accumulators). They are the
	// workspace of the launch: launches that may run at the same time need workspaces of
	// their own.
	Split Workspace
	// Notes says which knobs the lowering chose, for humans and the autotuner's logs.
	Notes []string
	// TensorMaps are the tensor maps the kernel's ITensorLoads read (Target.TensorMaps):
	// parameters after all of Params, which the backend builds at each launch from the
	// addresses of the buffers they map.
	TensorMaps []TensorMap
}

// TensorMap describes the tiles that an ITensorLoad copies out of a buffer parameter: a
// tensor of up to 5 dimensions, innermost first, and the box of it that one load copies
// (Nvidia's tensor memory accelerator, sm_90).
type TensorMap struct {
	Param   int         // the buffer (an index in Params)
	DType   graph.DType // its elements'
	Offset  int         // elements from the buffer's start to element (0, 0, ...)
	Dims    []int       // elements along each dimension; Dims[0] is contiguous in memory
	Strides []int       // bytes between neighbours along Dims[1:]
	Box     []int       // elements along each dimension
	// Swizzle (0, 32, 64 or 128 bytes) permutes the 16-byte chunks of each box row in
	// shared memory by the row (the address bits), as the warpgroup MMAs' descriptors
	// describe: a box row is then Swizzle bytes.
	Swizzle int
}

// Check reports what a device would refuse in m: the limits of cuTensorMapEncodeTiled.
func (m TensorMap) Check() error {
	size := m.DType.Size()
	r := len(m.Dims)
	switch {
	case r < 1 || r > 5 || len(m.Box) != r || len(m.Strides) != r-1:
		return fmt.Errorf("tensor map of %d dimensions, %d box sizes and %d strides", r, len(m.Box), len(m.Strides))
	case size != 1 && size != 2 && size != 4 && size != 8:
		return fmt.Errorf("tensor map of %v elements", m.DType)
	case m.Offset < 0 || m.Offset*size%16 != 0:
		return fmt.Errorf("tensor map at element %d: not 16-byte aligned", m.Offset)
	case m.Box[0]*size%16 != 0:
		return fmt.Errorf("tensor map box of %d elements along the innermost dimension: not a multiple of 16 bytes", m.Box[0])
	}
	for i := range r {
		if m.Dims[i] < 1 || m.Dims[i] > 1<<32 || m.Box[i] < 1 || m.Box[i] > 256 {
			return fmt.Errorf("tensor map dimension %d of %d elements, box %d", i, m.Dims[i], m.Box[i])
		}
		if i > 0 && (m.Strides[i-1] <= 0 || m.Strides[i-1]%16 != 0 || m.Strides[i-1] >= 1<<40) {
			return fmt.Errorf("tensor map stride %d of %d bytes: not a positive multiple of 16 below 2^40", i, m.Strides[i-1])
		}
	}
	switch m.Swizzle {
	case 0:
	case 32, 64, 128:
		if m.Box[0]*size != m.Swizzle {
			return fmt.Errorf("tensor map box rows of %d bytes with a %d-byte swizzle", m.Box[0]*size, m.Swizzle)
		}
	default:
		return fmt.Errorf("tensor map swizzle of %d bytes", m.Swizzle)
	}
	return nil
}

// BoxBytes is the bytes of one box of m, those past the tensor's edges included.
func (m TensorMap) BoxBytes() int {
	n := m.DType.Size()
	for _, b := range m.Box {
		n *= b
	}
	return n
}

// Workspace is the scratch memory of a split-K contraction (Program.Split), in elements.
type Workspace struct{ Counters, Partials int }

// ---- constructors

// Int is the integer literal v of type s.
func Int(v int64, s Scalar) *Expr { return &Expr{Kind: KConst, Type: T(s), I: v} }

// i32 is the 32-bit integer literal v: the tensor-core templates' lane, warp and tile
// arithmetic, which stays within a workgroup.
func i32(v int) *Expr { return Int(int64(v), I32) }

// Float is the float literal v of type s.
func Float(v float64, s Scalar) *Expr { return &Expr{Kind: KConst, Type: T(s), F: v} }

// BoolLit is a Bool literal.
func BoolLit(v bool) *Expr {
	e := &Expr{Kind: KConst, Type: T(Bool)}
	if v {
		e.I = 1
	}
	return e
}

// Zero is the literal 0 of type s (false for Bool).
func Zero(s Scalar) *Expr {
	if s.IsFloat() {
		return Float(0, s)
	}
	return Int(0, s)
}

// Var refers to a variable.
func Var(name string, t Type) *Expr { return &Expr{Kind: KVar, Name: name, Type: t} }

// Index refers to element i of a local or shared array.
func Index(name string, t Type, i *Expr) *Expr {
	return &Expr{Kind: KIndex, Name: name, Type: t, Args: []*Expr{i}}
}

// Spec is a launch coordinate.
func Spec(s Special, dim int, t Scalar) *Expr {
	return &Expr{Kind: KSpecial, Special: s, Dim: dim, Type: T(t)}
}

// Load reads element i of parameter p as type t.
func Load(p int, t Type, i *Expr) *Expr {
	return &Expr{Kind: KLoad, Param: p, Type: t, Args: []*Expr{i}}
}

// Un applies a unary operator.
func Un(op Op, a *Expr) *Expr {
	t := a.Type
	return &Expr{Kind: KUnary, Op: op, Type: t, Args: []*Expr{a}}
}

// Bin applies a binary operator; comparisons are Bool.
func Bin(op Op, a, b *Expr) *Expr {
	t := a.Type
	if op.IsCompare() {
		t = T(Bool)
	}
	return &Expr{Kind: KBinary, Op: op, Type: t, Args: []*Expr{a, b}}
}

// Sel is c ? a : b.
func Sel(c, a, b *Expr) *Expr { return &Expr{Kind: KSelect, Type: a.Type, Args: []*Expr{c, a, b}} }

// Cast converts a to type s.
func Cast(a *Expr, s Scalar) *Expr {
	if a.Type.S == s && !a.Type.IsVector() {
		return a
	}
	return &Expr{Kind: KCast, Type: T(s), Args: []*Expr{a}}
}

// Call applies an intrinsic; its result has type t.
func Call(fn Fn, t Scalar, args ...*Expr) *Expr {
	return &Expr{Kind: KCall, Fn: fn, Type: T(t), Args: args}
}

// Addr is the address of e, an array element (Index) or a buffer element (Load).
func Addr(e *Expr) *Expr { return &Expr{Kind: KAddr, Type: T(Void), Args: []*Expr{e}} }

// Lane is lane i of vector v.
func Lane(v *Expr, i int) *Expr {
	return &Expr{Kind: KLane, Dim: i, Type: T(v.Type.S), Args: []*Expr{v}}
}

// IsConst reports whether e is a literal.
func (e *Expr) IsConst() bool { return e.Kind == KConst }

// IsInt reports whether e is the integer literal v.
func (e *Expr) IsInt(v int64) bool { return e.Kind == KConst && !e.Type.S.IsFloat() && e.I == v }
