package codegen

import (
	"fmt"
	"strings"
)

// Target says what the device can do, as far as the lowering needs to know.
type Target struct {
	MaxWorkgroup int // most threads in one workgroup
	SharedMemory int // bytes of shared memory per workgroup
	WarpWidth    int // SIMD width
	// Shuffle says that the threads of a warp of WarpWidth (32) can read each other's
	// values (FnShuffleXor), for the reductions.
	Shuffle   bool
	MaxGroups int // most workgroups along one launch dimension (default 65535)
	// TensorCores says that the device has the intrinsics of Nvidia's sm_80 (asynchronous
	// copies, ldmatrix, mma.m16n8k16 for Float16 and BFloat16), for the tensor-core
	// Contract template.
	TensorCores bool
	// SplitK says that the device runs split-K contractions (Options.SplitK): it has
	// FnAtomicAdd and IFenceDevice, and supplies the workspace of Program.Split.
	SplitK bool
	// WarpgroupMMA says that the device also has the intrinsics of Nvidia's sm_90a
	// (wgmma.mma_async on operands in shared memory, fence.proxy.async), for the warpgroup
	// form of the tensor-core template.
	WarpgroupMMA bool
	// TensorMaps says that the device also copies tiles with sm_90's tensor memory
	// accelerator (ITensorLoad, transaction barriers) and builds the Program.TensorMaps
	// of each launch.
	TensorMaps bool
}

// ReduceStrategy chooses how a reduction is split among threads.
type ReduceStrategy uint8

// The reduction strategies.
const (
	ReduceAuto   ReduceStrategy = iota // chosen from the shape (see Options.Reduce)
	ReduceSerial                       // one thread per output element loops over its group
	ReduceGroup                        // one workgroup per output element: strided partial sums, then a tree in shared memory
	// ReduceColumns: one workgroup per tile of 32 neighbouring output elements, in rows of
	// 32 lanes; each lane of a row folds its output's group in strides of the rows, then
	// the rows meet in a tree in shared memory. For outputs whose groups lie side by side
	// in memory (a sum over the rows of a matrix), whose warps then read whole lines.
	ReduceColumns
)

func (s ReduceStrategy) String() string {
	if s > ReduceColumns {
		return fmt.Sprintf("ReduceStrategy(%d)", uint8(s))
	}
	return [...]string{"auto", "serial", "group", "columns"}[s]
}

// Options are the knobs of code generation. The zero value means "defaults"; the autotuner
// sets them explicitly. Every choice the lowering makes is one of these, so that a search
// can try the alternatives.
type Options struct {
	// Local is the workgroup size of elementwise and serial-reduction kernels (default 256).
	Local int
	// Elems (default 1) is the elements a thread of an elementwise kernel computes, Local
	// apart: more loads in flight a thread, for kernels that stream memory.
	Elems int

	// Reduce is the reduction strategy. Auto picks, for groups of at least GroupMin
	// elements, ReduceColumns where neighbouring outputs read neighbouring elements (at
	// least 32 of them along the last kept axis), else ReduceGroup where there are at most
	// GroupMaxOutputs outputs; ReduceSerial otherwise.
	Reduce          ReduceStrategy
	ReduceLocal     int // workgroup size of ReduceGroup and ReduceColumns (default 128, a power of two)
	GroupMin        int // default 256
	GroupMaxOutputs int // default 4096
	// ReduceSplit (default 1), on a target with SplitK, has up to ReduceSplit workgroups
	// share each output's group in ReduceGroup (each tile's groups in ReduceColumns), each
	// a contiguous share of it, for reductions of any dtype of too few outputs to fill
	// the device (a sum of a whole tensor is one). Each stores its results in the
	// workspace and counts itself done; the last combines the results in a fixed order and
	// runs the epilogue, so the result does not depend on which workgroup finishes last.
	ReduceSplit int

	// Contract tiling: a workgroup computes a BlockM × BlockN tile of the output, stepping
	// through K by BlockK with both operand tiles in shared memory; each thread computes a
	// ThreadM × ThreadN block of the tile in registers. Vec > 1 reads operand tiles with
	// vector loads where the views are contiguous and aligned. Tiled = false (or a
	// product too small to fill one tile) uses one thread per output element.
	Tiled          *bool
	BlockM, BlockN int // default 64, 64
	BlockK         int // default 16
	ThreadM        int // default 4
	ThreadN        int // default 4
	Vec            int // default 4
	// Buffers is 1 or 2 (default 1). With 2, shared memory holds two steps' tiles: the
	// tiles of the next step are read from memory into registers while the threads
	// multiply those of this step, then stored to the other half, with one barrier a step
	// instead of two.
	Buffers int
	// Spread (default false) splits each thread's block into pieces of 4 adjacent rows and
	// of 4 adjacent columns (along an axis where ThreadM or ThreadN is a larger multiple of
	// 4), a thread's pieces BlockM/(ThreadM/4) rows and BlockN/(ThreadN/4) columns apart.
	// The threads of a warp then read adjacent 16-byte vectors of the shared tiles, which a
	// GPU's shared memory serves without bank conflicts, and store adjacent columns.
	Spread bool
	// TiledMin is the least M*N*K for which the tiled template is used (default 32768).
	TiledMin int

	// The tensor-core Contract template, for Float16 and BFloat16 operands on a target
	// with TensorCores, read through contiguous rows aligned to 16 or 8 bytes (else element
	// by element through registers): a workgroup of TCWarpsM × TCWarpsN warps computes a
	// TCBlockM × TCBlockN tile of the output, each warp a (TCBlockM/TCWarpsM) ×
	// (TCBlockN/TCWarpsN) part of it in 16 × 8 fragments, stepping through K by TCBlockK
	// with TCStages operand tiles in flight in shared memory.
	// TensorCore = false uses the tiled template instead.
	TensorCore         *bool
	TCBlockM, TCBlockN int // default 128, 128
	TCBlockK           int // default 32
	TCWarpsM, TCWarpsN int // default 2, 4
	TCStages           int // default 3
	// Skinny (default true) gives products of few outputs over a long K (skinny.go) the
	// skinny template; false leaves them to the tensor-core or the tiled template, which
	// with a split of K may stream A better on tensor cores.
	Skinny *bool

	// Warpgroup (default true) computes, on a target with WarpgroupMMA, the tensor-core
	// tile with warpgroup MMAs: TCBlockM/64 warpgroups of four warps, each 64 rows of the
	// tile at a time (TCWarpsM and TCWarpsN do not apply). It takes TCBlockM and TCBlockN
	// multiples of 64 up to 256, and operands in rows aligned to 8 bytes; other products
	// keep the warp-level template.
	Warpgroup *bool
	// TMA (default true), on a target with TensorMaps, loads the warpgroup template's
	// operand tiles with tensor copies that one thread issues, each stage's arrival
	// counted by a transaction barrier, instead of every thread copying 16-byte chunks:
	// for operands whose rows and batches lie 16-byte aligned.
	TMA *bool

	// SplitK (default 1), on a target with SplitK, divides K among up to SplitK workgroups
	// for each output tile of the tiled and tensor-core templates with float32
	// accumulators: for products whose tiles alone would leave most of the device idle.
	// Each workgroup takes whole steps of K, stores its partial tile in the workspace and
	// counts itself done; the last of a tile sums the partial tiles in the order of K and
	// runs the epilogue, so the result does not depend on which workgroup finishes last.
	SplitK int

	// RasterM (default 1) is the order in which the workgroups of the tiled and
	// tensor-core Contract templates take the output tiles of a batch: with 1, row by row of
	// tiles; with RasterM > 1, in bands of RasterM rows of tiles, each band column by
	// column. The workgroups that run at once then share fewer, shorter panels of A and
	// B, so that more of their reads hit the L2 cache (a wave of 132 workgroups over 8192
	// × 8192 in 128 × 256 tiles: 4 rows of A and all 32 columns of B row by row, 8 rows
	// and 17 columns in bands of 8).
	RasterM int
}

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Local, 256)
	def(&o.Elems, 1)
	def(&o.ReduceLocal, 128)
	def(&o.GroupMin, 256)
	def(&o.GroupMaxOutputs, 4096)
	def(&o.BlockM, 64)
	def(&o.BlockN, 64)
	def(&o.BlockK, 16)
	def(&o.ThreadM, 4)
	def(&o.ThreadN, 4)
	def(&o.Vec, 4)
	def(&o.Buffers, 1)
	def(&o.TiledMin, 32768)
	def(&o.TCBlockM, 128)
	def(&o.TCBlockN, 128)
	def(&o.TCBlockK, 32)
	def(&o.TCWarpsM, 2)
	def(&o.TCWarpsN, 4)
	def(&o.TCStages, 3)
	def(&o.SplitK, 1)
	def(&o.ReduceSplit, 1)
	def(&o.RasterM, 1)
	for _, p := range []**bool{&o.Tiled, &o.TensorCore, &o.Warpgroup, &o.Skinny, &o.TMA} {
		if *p == nil {
			*p = new(true)
		}
	}
	return o
}

// validate rejects knob settings that cannot make a correct kernel.
func (o Options) validate(t Target) error {
	var bad []string
	if o.Reduce > ReduceColumns {
		bad = append(bad, fmt.Sprintf("reduction strategy %v is unknown", o.Reduce))
	}
	if o.ReduceLocal&(o.ReduceLocal-1) != 0 {
		bad = append(bad, fmt.Sprintf("ReduceLocal %d is not a power of two", o.ReduceLocal))
	}
	if o.BlockM%o.ThreadM != 0 || o.BlockN%o.ThreadN != 0 {
		bad = append(bad, fmt.Sprintf("block %dx%d is not a multiple of the thread tile %dx%d", o.BlockM, o.BlockN, o.ThreadM, o.ThreadN))
	}
	if o.Buffers != 1 && o.Buffers != 2 {
		bad = append(bad, fmt.Sprintf("Buffers %d is not 1 or 2", o.Buffers))
	}
	if o.Elems > 16 {
		bad = append(bad, fmt.Sprintf("Elems %d is over 16", o.Elems))
	}
	if o.Vec != 1 && o.Vec != 2 && o.Vec != 4 {
		bad = append(bad, fmt.Sprintf("Vec %d is not 1, 2 or 4", o.Vec))
	}
	if o.SplitK > maxSplitK {
		bad = append(bad, fmt.Sprintf("SplitK %d is over %d", o.SplitK, maxSplitK))
	}
	if o.ReduceSplit > MaxReduceSplit {
		bad = append(bad, fmt.Sprintf("ReduceSplit %d is over %d", o.ReduceSplit, MaxReduceSplit))
	}
	if o.RasterM > maxRasterM {
		bad = append(bad, fmt.Sprintf("RasterM %d is over %d", o.RasterM, maxRasterM))
	}
	if err := tcCheck(o); err != "" {
		bad = append(bad, err)
	}
	threads := (o.BlockM / max(1, o.ThreadM)) * (o.BlockN / max(1, o.ThreadN))
	if t.MaxWorkgroup > 0 {
		for _, n := range []int{o.Local, o.ReduceLocal, threads} {
			if n > t.MaxWorkgroup {
				bad = append(bad, fmt.Sprintf("workgroup of %d threads exceeds the device's %d", n, t.MaxWorkgroup))
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("codegen: bad options: %s", strings.Join(bad, "; "))
	}
	return nil
}
