package backend_cuda

// Self-tests of the emulator's Hopper tensor copies (cp.async.bulk.tensor through tensor
// maps, "TMA") and shared-memory mbarriers, with hand-written kernels run in both modes.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// emuTensorMapBytes returns the 128 bytes of a tensor map parameter of the emulator
// (xb_tensor_map in testdata/emu/xb_emu.h): the map reads kernel parameter param (a
// buffer), its element (0, 0, ...) offsetBytes into it; elements of elem bytes; swizzle 0,
// 32, 64 or 128 bytes; dims and box in elements, innermost (contiguous) dimension first;
// strides the bytes between consecutive indices of dims[1:]. The launcher checks the map
// and fills in its global address.
func emuTensorMapBytes(param int, offsetBytes int, elem int, swizzle int, dims, box []int, strides []int) []byte {
	if len(dims) < 1 || len(dims) > 5 || len(box) != len(dims) || len(strides) != len(dims)-1 {
		panic(fmt.Sprintf("emuTensorMapBytes: %d dims, %d box dims, %d strides", len(dims), len(box), len(strides)))
	}
	b := make([]byte, 128)
	le := binary.LittleEndian
	le.PutUint32(b[0:], 0x4d544258) // "XBTM"
	le.PutUint32(b[4:], uint32(param))
	le.PutUint64(b[8:], uint64(offsetBytes))
	le.PutUint32(b[24:], uint32(len(dims)))
	le.PutUint32(b[28:], uint32(elem))
	le.PutUint32(b[32:], uint32(swizzle))
	for i, d := range dims {
		le.PutUint32(b[40+4*i:], uint32(d))
	}
	for i, d := range box {
		le.PutUint32(b[60+4*i:], uint32(d))
	}
	for i, s := range strides {
		le.PutUint64(b[80+8*i:], uint64(s))
	}
	return b
}

// emuTMAMap is a tensor map's fields, as for emuTensorMapBytes.
type emuTMAMap struct {
	param, offset, elem, swizzle int
	dims, box, strides           []int
}

func (m emuTMAMap) bytes() []byte {
	return emuTensorMapBytes(m.param, m.offset, m.elem, m.swizzle, m.dims, m.box, m.strides)
}

// boxBytes is the size of the map's box.
func (m emuTMAMap) boxBytes() int {
	n := m.elem
	for _, b := range m.box {
		n *= b
	}
	return n
}

// load returns what a tensor copy of the box at coords writes to shared memory at an
// address aligned to 1024 bytes, buf being the buffer the map reads: box element (i0, i1,
// ...) at ((... i2) * box[1] + i1) * box[0] + i0) elements, the address swizzled (bits 4..
// XORed with bits 7..), zeros for the elements outside the tensor.
func (m emuTMAMap) load(buf []byte, coords ...int) []byte {
	out := make([]byte, m.boxBytes())
	for e := 0; e*m.elem < len(out); e++ {
		r, src, in := e, m.offset, true
		for d, b := range m.box {
			g := coords[d] + r%b
			r /= b
			if g < 0 || g >= m.dims[d] {
				in = false
				break
			}
			if d == 0 {
				src += g * m.elem
			} else {
				src += g * m.strides[d-1]
			}
		}
		a := e * m.elem
		if m.swizzle != 0 {
			a ^= ((a >> 7) & (m.swizzle/16 - 1)) << 4
		}
		if in {
			copy(out[a:a+m.elem], buf[src:src+m.elem])
		}
	}
	return out
}

// emuTMATile compares the bytes of a tile that a kernel copied out of shared memory with
// want, naming the first difference by the box element it belongs to.
func emuTMATile(t *testing.T, what string, got, want []byte, m emuTMAMap) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	for a := range want {
		if got[a] != want[a] {
			e := a / m.elem
			if m.swizzle != 0 {
				e = (a ^ ((a>>7)&(m.swizzle/16-1))<<4) / m.elem
			}
			idx := make([]int, len(m.box))
			for d, b := range m.box {
				idx[d] = e % b
				e /= b
			}
			t.Fatalf("%s: shared byte %d (box element %v): %#x, want %#x", what, a, idx, got[a], want[a])
		}
	}
}

// emuTMA2D is a kernel that loads four 64 x 8 boxes of halves into four tiles with one
// mbarrier and copies the tiles out: one inside the tensor, one across its last columns and
// rows, one at negative coordinates. READ_BEFORE_WAIT reads the tiles before waiting.
const emuTMA2D = `extern "C" __global__ void __launch_bounds__(64) kernel(unsigned char* __restrict__ out, const unsigned short* __restrict__ in,
        const __grid_constant__ xb_tensor_map map) {
    __shared__ __align__(1024) unsigned char tile[4][1024];
    __shared__ __align__(8) unsigned long long full;
    const int tid = threadIdx.x;
    const int coords[4][2] = {{0, 0}, {40, 5}, {64, 16}, {-8, -3}};
    const unsigned bar = xb_smem_addr(&full);
    if (tid == 0) {
        xb_mbarrier_init(bar, 1);
        xb_fence_mbarrier_init();
    }
    __syncthreads();
    if (tid == 0) {
        xb_mbarrier_arrive_expect_tx(bar, 4 * 1024);
        for (int i = 0; i < 4; i++) xb_tma_load_2d(xb_smem_addr(tile[i]), &map, coords[i][0], coords[i][1], bar);
    }
#if READ_BEFORE_WAIT
    __syncthreads();
    for (int i = tid; i < 4 * 1024; i += 64) out[i] = tile[i / 1024][i % 1024];
    __syncthreads();
    xb_mbarrier_wait(bar, 0);
#else
    xb_mbarrier_wait(bar, 0);
    for (int i = tid; i < 4 * 1024; i += 64) out[i] = tile[i / 1024][i % 1024];
#endif
}
`

// emuTMA2DInput is the tensor of emuTMA2D: 20 rows of 100 halves (distinct values), rows
// 208 bytes apart, starting one row into the buffer; the padding columns are not zero.
func emuTMA2DInput(swizzle int) (emuTMAMap, []byte) {
	const pitch, rows = 104, 21
	in := make([]uint16, pitch*rows)
	for i := range in {
		in[i] = uint16(i + 1)
	}
	return emuTMAMap{param: 1, offset: 2 * pitch, elem: 2, swizzle: swizzle, dims: []int{100, 20}, box: []int{64, 8},
		strides: []int{2 * pitch}}, uint16Bytes(in)
}

// TestEmuTMALoad2D checks 2-D tensor copies of halves, swizzled by 128 bytes and not: each
// element lands where the box layout and the swizzle put it, and elements past the
// tensor's end or before its start are zeros. A kernel that reads the tiles before waiting
// on their mbarrier reads poison in deferred mode.
func TestEmuTMALoad2D(t *testing.T) {
	emulatorTest(t)
	coords := [4][2]int{{0, 0}, {40, 5}, {64, 16}, {-8, -3}}
	for _, swizzle := range []int{0, 128} {
		for _, readFirst := range []bool{false, true} {
			for _, mode := range []string{emuEager, emuDeferred} {
				what := fmt.Sprintf("swizzle %d, read before the wait %v, %s mode", swizzle, readFirst, mode)
				m, in := emuTMA2DInput(swizzle)
				out := make([]byte, 4*1024)
				src := fmt.Sprintf("#define READ_BEFORE_WAIT %d\n", b2i(readFirst)) + emuTMA2D
				emuKernel(t, src, emuLaunch{local: [3]int{64, 1, 1}, mode: mode}, out, in, m.bytes())
				if readFirst && mode == emuDeferred {
					if !bytes.Equal(out, bytes.Repeat([]byte{0xff}, len(out))) {
						t.Errorf("%s: the tiles were there before the wait", what)
					}
					continue
				}
				for i, c := range coords {
					emuTMATile(t, fmt.Sprintf("%s, box at %v", what, c), out[i*1024:(i+1)*1024], m.load(in, c[0], c[1]), m)
				}
			}
		}
	}
}

// TestEmuTMALoadRanks checks tensor copies of 1, 3, 4 and 5 dimensions from one buffer of
// 3 x 10 x 24 floats, seen as tensors of those ranks: a box over two batches read at the
// right batch, boxes partly outside the tensor, a 32-byte swizzle.
func TestEmuTMALoadRanks(t *testing.T) {
	emulatorTest(t)
	const src = `extern "C" __global__ void kernel(unsigned char* out, const float* in, const __grid_constant__ xb_tensor_map m3,
        const __grid_constant__ xb_tensor_map m4, const __grid_constant__ xb_tensor_map m5, const __grid_constant__ xb_tensor_map m1) {
    __shared__ __align__(1024) unsigned char tile[6][256];
    __shared__ __align__(8) unsigned long long full;
    const int tid = threadIdx.x;
    const unsigned bar = xb_smem_addr(&full);
    if (tid == 0) {
        xb_mbarrier_init(bar, 1);
        xb_fence_mbarrier_init();
        xb_tma_load_3d(xb_smem_addr(tile[0]), &m3, 8, 3, 1, bar);
        xb_tma_load_3d(xb_smem_addr(tile[1]), &m3, 16, 8, 2, bar);
        xb_tma_load_4d(xb_smem_addr(tile[2]), &m4, 8, 4, 1, 0, bar);
        xb_tma_load_5d(xb_smem_addr(tile[3]), &m5, 0, 5, 8, 1, 0, bar);
        xb_tma_load_1d(xb_smem_addr(tile[4]), &m1, 712, bar);
        xb_tma_load_3d(xb_smem_addr(tile[5]), &m3, -4, -2, 0, bar);
        xb_mbarrier_arrive_expect_tx(bar, 3 * 256 + 128 + 192 + 64);
    }
    xb_mbarrier_wait(bar, 0);
    for (int i = tid; i < 6 * 256; i += 32) out[i] = tile[i / 256][i % 256];
}
`
	in := make([]float32, 3*10*24)
	for i := range in {
		in[i] = float32(i + 1)
	}
	inb := float32Bytes(in)
	m3 := emuTMAMap{param: 1, elem: 4, swizzle: 32, dims: []int{24, 10, 3}, box: []int{8, 4, 2}, strides: []int{96, 960}}
	m4 := emuTMAMap{param: 1, elem: 4, dims: []int{24, 10, 3, 1}, box: []int{8, 2, 2, 1}, strides: []int{96, 960, 2880}}
	m5 := emuTMAMap{param: 1, elem: 4, dims: []int{4, 6, 10, 3, 1}, box: []int{4, 2, 3, 2, 1}, strides: []int{16, 96, 960, 2880}}
	m1 := emuTMAMap{param: 1, elem: 4, dims: []int{720}, box: []int{16}, strides: []int{}}
	loads := []struct {
		m      emuTMAMap
		coords []int
	}{{m3, []int{8, 3, 1}}, {m3, []int{16, 8, 2}}, {m4, []int{8, 4, 1, 0}}, {m5, []int{0, 5, 8, 1, 0}}, {m1, []int{712}},
		{m3, []int{-4, -2, 0}}}
	for _, mode := range []string{emuEager, emuDeferred} {
		out := make([]byte, 6*256)
		emuKernel(t, src, emuLaunch{local: [3]int{32, 1, 1}, mode: mode}, out, inb, m3.bytes(), m4.bytes(), m5.bytes(), m1.bytes())
		for i, l := range loads {
			want := l.m.load(inb, l.coords...)
			emuTMATile(t, fmt.Sprintf("%s mode, rank %d box at %v", mode, len(l.coords), l.coords), out[i*256:i*256+len(want)], want, l.m)
			if rest := out[i*256+len(want) : (i+1)*256]; !bytes.Equal(rest, bytes.Repeat([]byte{0xff}, len(rest))) {
				t.Errorf("%s mode: the copy of rank %d wrote past its box", mode, len(l.coords))
			}
		}
	}
	// A check of the expected box itself by the tensor's indexing: element (5, 2, 1) of the
	// box at (8, 3, 1) is the tensor's element (13, 5, 2).
	want := m3.load(inb, 8, 3, 1)
	byteAddr := ((1*4+2)*8 + 5) * 4
	byteAddr ^= ((byteAddr >> 7) & 1) << 4
	if got := math.Float32frombits(binary.LittleEndian.Uint32(want[byteAddr:])); got != in[2*240+5*24+13] {
		t.Errorf("the expected box is wrong: %v, want %v", got, in[2*240+5*24+13])
	}
}

// emuTMAPipeline is a pipeline of STAGES stages over STEPS boxes of 16 x 32 floats: thread
// 0 produces (waits for the stage's "empty" mbarrier, announces the bytes on its "full"
// one, issues the copy) STAGES - 1 steps ahead; every thread waits for the stage's full
// mbarrier, sums its part of the stage and, each warp once its lanes are done, arrives on
// the stage's empty mbarrier. The parities follow the steps round the stages.
const emuTMAPipeline = `#define STEPS 8
#ifndef EMPTY_PARITY
#define EMPTY_PARITY (((j / STAGES) & 1) ^ 1)
#endif
#ifndef EMPTY_COUNT
#define EMPTY_COUNT 4
#endif
#ifndef TX_BYTES
#define TX_BYTES (16 * 32 * 4)
#endif
__device__ void produce(int j, float (*stage)[16 * 32], unsigned long long* full, unsigned long long* empty, const xb_tensor_map* map) {
    const int s = j % STAGES;
    xb_mbarrier_wait(xb_smem_addr(&empty[s]), EMPTY_PARITY);
    xb_mbarrier_arrive_expect_tx(xb_smem_addr(&full[s]), TX_BYTES);
    xb_tma_load_2d(xb_smem_addr(stage[s]), map, 0, j * 16, xb_smem_addr(&full[s]));
}

extern "C" __global__ void kernel(float* out, const float* in, const __grid_constant__ xb_tensor_map map) {
    __shared__ __align__(1024) float stage[STAGES][16 * 32];
    __shared__ __align__(8) unsigned long long full[STAGES], empty[STAGES];
    const int tid = threadIdx.x, lane = tid % 32;
    if (tid == 0) {
        for (int s = 0; s < STAGES; s++) {
            xb_mbarrier_init(xb_smem_addr(&full[s]), 1);
            xb_mbarrier_init(xb_smem_addr(&empty[s]), EMPTY_COUNT);
        }
        xb_fence_mbarrier_init();
    }
    __syncthreads();
    for (int j = 0; tid == 0 && j < STAGES - 1 && j < STEPS; j++) produce(j, stage, full, empty, &map);
    float acc = 0.0f;
    for (int i = 0; i < STEPS; i++) {
        if (tid == 0 && i + STAGES - 1 < STEPS) produce(i + STAGES - 1, stage, full, empty, &map);
        const int s = i % STAGES;
        xb_mbarrier_wait(xb_smem_addr(&full[s]), (i / STAGES) & 1);
        for (int k = 0; k < 4; k++) acc += stage[s][(tid * 4 + 128 + k) % 512] * (float)(i + 1);
        __syncwarp();
        if (lane == 0) xb_mbarrier_arrive(xb_smem_addr(&empty[s]));
    }
    out[tid] = acc;
}
`

// TestEmuTMAPipeline runs emuTMAPipeline with 2 and 3 stages over 8 steps (the last box
// partly past the tensor's 123 rows) in both modes, in two blocks (each makes its
// mbarriers anew), and with the mistakes the emulator must
// catch: waiting for the wrong parity, an arrival short, fewer or more bytes announced
// than copied.
func TestEmuTMAPipeline(t *testing.T) {
	emulatorTest(t)
	const threads, steps = 128, 8
	in := make([]float32, steps*16*32)
	for i := range in {
		in[i] = float32(i%29 - 14)
	}
	inb := float32Bytes(in)
	m := emuTMAMap{param: 1, elem: 4, swizzle: 128, dims: []int{32, steps*16 - 5}, box: []int{32, 16}, strides: []int{128}}
	want := make([]float32, threads)
	for i := range steps {
		st := float32s(m.load(inb, 0, i*16))
		for tid := range threads {
			for k := range 4 {
				want[tid] += st[(tid*4+128+k)%512] * float32(i+1)
			}
		}
	}
	for _, c := range []struct {
		name, defs, fails string
	}{
		{name: "correct"},
		{"empty wait of the wrong parity", "#define EMPTY_PARITY ((j / STAGES) & 1)\n", "deadlock"},
		{"an arrival short", "#define EMPTY_COUNT 5\n", "deadlock"},
		{"fewer bytes announced", "#define TX_BYTES (16 * 32 * 4 - 16)\n", "16 bytes more than its arrive.expect_tx announced"},
		{"more bytes announced", "#define TX_BYTES (16 * 32 * 4 + 16)\n", "deadlock"},
	} {
		for _, stages := range []int{2, 3} {
			for _, mode := range []string{emuEager, emuDeferred} {
				what := fmt.Sprintf("%s, %d stages, %s mode", c.name, stages, mode)
				src := fmt.Sprintf("#define STAGES %d\n", stages) + c.defs + emuTMAPipeline
				out := make([]byte, 4*threads)
				err := emulateSource(t, src, "kernel", emuLaunch{groups: [3]int{2, 1, 1}, local: [3]int{threads, 1, 1}, mode: mode},
					[][]byte{out, inb, m.bytes()})
				if c.fails != "" {
					if err == nil || !strings.Contains(err.Error(), c.fails) {
						t.Errorf("%s: %v, want an error with %q", what, err, c.fails)
					} else if c.fails == "deadlock" && !strings.Contains(err.Error(), "at the mbarrier at shared address") {
						t.Errorf("%s: the deadlock does not say which mbarriers the threads wait on: %v", what, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				got := float32s(out)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s: thread %d got %v, want %v", what, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestEmuTMAErrors checks the misuses of mbarriers and tensor copies that the emulator
// reports, on emuTMA2D's shape, and the tensor maps that the launcher refuses.
func TestEmuTMAErrors(t *testing.T) {
	emulatorTest(t)
	const src = `#ifndef DST
#define DST xb_smem_addr(tile)
#endif
#ifndef INIT
#define INIT xb_mbarrier_init(bar, 1)
#endif
#ifndef FENCE
#define FENCE xb_fence_mbarrier_init()
#endif
#ifndef LOAD
#define LOAD xb_tma_load_2d(DST, &map, 0, 0, bar)
#endif
#ifndef WAIT
#define WAIT xb_mbarrier_wait(bar, 0)
#endif
#ifndef AFTER_INIT
#define AFTER_INIT (void)0
#endif
extern "C" __global__ void kernel(unsigned char* out, const unsigned short* in, const __grid_constant__ xb_tensor_map map) {
    __shared__ __align__(1024) unsigned char tile[2048];
    __shared__ __align__(8) unsigned long long full;
    const int tid = threadIdx.x;
    const unsigned bar = xb_smem_addr(&full);
    if (tid == 0) {
        INIT;
        FENCE;
    }
    __syncthreads();
    if (tid == 1) AFTER_INIT;
    if (tid == 0) {
        xb_mbarrier_arrive_expect_tx(bar, 1024);
        LOAD;
    }
    WAIT;
    for (int i = tid; i < 1024; i += 64) out[i] = tile[i];
}
`
	good, in := emuTMA2DInput(128)
	for _, c := range []struct {
		name, defs string
		m          emuTMAMap
		fails      map[string]string // by mode; "" for no error
	}{
		{name: "correct", fails: map[string]string{}},
		{"box not 128-byte aligned", "#define DST (xb_smem_addr(tile) + 64)\n", good,
			map[string]string{emuEager: "not 128-byte aligned", emuDeferred: "not 128-byte aligned"}},
		{"rank of the copy not the map's", "#define LOAD xb_tma_load_3d(DST, &map, 0, 0, 0, bar)\n", good,
			map[string]string{emuEager: "with a tensor map of rank 2", emuDeferred: "with a tensor map of rank 2"}},
		{"mbarrier not initialized", "#define INIT (void)0\n", good,
			map[string]string{emuEager: "no mbarrier.init", emuDeferred: "no mbarrier.init"}},
		{"no fence after the init", "#define FENCE (void)0\n", good,
			map[string]string{emuEager: "no fence.mbarrier_init", emuDeferred: "no fence.mbarrier_init"}},
		{"two copies for the bytes of one", "#define LOAD do { xb_tma_load_2d(DST, &map, 0, 0, bar); xb_tma_load_2d(DST + 1024, &map, 0, 8, bar); } while (0)\n", good,
			map[string]string{emuEager: "1024 bytes", emuDeferred: "1024 bytes more than its arrive.expect_tx announced"}},
		{"box past the tensor's end", "#define LOAD xb_tma_load_2d(DST, &map, 0, 20, bar)\n", good,
			map[string]string{emuEager: "wholly outside the tensor along dimension 1", emuDeferred: "wholly outside the tensor along dimension 1"}},
		{"box before the tensor's start", "#define LOAD xb_tma_load_2d(DST, &map, -64, 0, bar)\n", good,
			map[string]string{emuEager: "wholly outside the tensor along dimension 0", emuDeferred: "wholly outside the tensor along dimension 0"}},
		{"wait for the wrong parity", "#define WAIT xb_mbarrier_wait(bar, 1); xb_mbarrier_wait(bar, 1)\n", good,
			map[string]string{emuEager: "deadlock", emuDeferred: "deadlock"}},
		{"a missing arrival", "#define INIT xb_mbarrier_init(bar, 2)\n", good,
			map[string]string{emuEager: "deadlock", emuDeferred: "deadlock"}},
		{"no thread waits", "#define WAIT (void)0\n", good,
			map[string]string{emuDeferred: "no thread waited for"}},
		{"store over the mbarrier", "#define AFTER_INIT full = 0\n", good,
			map[string]string{emuEager: "overwritten", emuDeferred: "overwritten"}},
		{"stride not a multiple of 16", "", emuTMAMap{param: 1, offset: 208, elem: 2, swizzle: 128, dims: []int{100, 20},
			box: []int{64, 8}, strides: []int{200}}, map[string]string{emuEager: "not a multiple of 16", emuDeferred: "not a multiple of 16"}},
		{"tensor past its buffer", "", emuTMAMap{param: 1, offset: 208, elem: 2, dims: []int{100, 21}, box: []int{64, 8},
			strides: []int{208}}, map[string]string{emuEager: "reaches past", emuDeferred: "reaches past"}},
		{"box rows not the swizzle's", "", emuTMAMap{param: 1, offset: 208, elem: 2, swizzle: 64, dims: []int{100, 20},
			box: []int{64, 8}, strides: []int{208}}, map[string]string{emuEager: "not the 64 of its swizzle", emuDeferred: "not the 64 of its swizzle"}},
		{"map of a map", "", emuTMAMap{param: 2, elem: 2, dims: []int{64}, box: []int{64}, strides: []int{}},
			map[string]string{emuEager: "not a buffer", emuDeferred: "not a buffer"}},
		{"start not 16-byte aligned", "", emuTMAMap{param: 1, offset: 200, elem: 2, dims: []int{100, 20}, box: []int{64, 8},
			strides: []int{208}}, map[string]string{emuEager: "not 16-byte aligned", emuDeferred: "not 16-byte aligned"}},
	} {
		if c.m.dims == nil {
			c.m = good
		}
		for _, mode := range []string{emuEager, emuDeferred} {
			what := fmt.Sprintf("%s, %s mode", c.name, mode)
			out := make([]byte, 1024)
			err := emulateSource(t, c.defs+src, "kernel", emuLaunch{local: [3]int{64, 1, 1}, mode: mode}, [][]byte{out, in, c.m.bytes()})
			want := c.fails[mode]
			switch {
			case want == "" && err != nil:
				t.Errorf("%s: %v", what, err)
			case want == "":
				emuTMATile(t, what, out, good.load(in, 0, 0), good)
			case err == nil || !strings.Contains(err.Error(), want):
				t.Errorf("%s: %v, want an error with %q", what, err, want)
			default:
				t.Logf("%s: %v", what, err)
			}
		}
	}
}

// TestEmuTMAWarpgroupMMA multiplies, with wgmma.m64n128k16, a 64x64 A and a 64x128 B that
// tensor copies put in shared memory K-major with the 128-byte swizzle: what the async
// proxy wrote, wgmma reads without a fence.proxy.async, and the copies' swizzle is the
// one the descriptors describe. Refilling A with other rows while the MMAs are in flight
// gives wrong products in eager mode (where they run at the wait) and right ones in
// deferred mode.
func TestEmuTMAWarpgroupMMA(t *testing.T) {
	emulatorTest(t)
	const src = `extern "C" __global__ void kernel(float* d, const unsigned short* a, const unsigned short* b,
        const __grid_constant__ xb_tensor_map ma, const __grid_constant__ xb_tensor_map mb) {
    __shared__ __align__(1024) unsigned short sa[64 * 64];
    __shared__ __align__(1024) unsigned short sb[128 * 64];
    __shared__ __align__(8) unsigned long long full;
    const int tid = threadIdx.x, w = tid / 32, l = tid % 32;
    const unsigned bar = xb_smem_addr(&full);
    if (tid == 0) {
        xb_mbarrier_init(bar, 1);
        xb_fence_mbarrier_init();
    }
    __syncthreads();
    if (tid == 0) {
        xb_mbarrier_arrive_expect_tx(bar, 64 * 64 * 2 + 128 * 64 * 2);
        xb_tma_load_2d(xb_smem_addr(sa), &ma, 0, 0, bar);
        xb_tma_load_2d(xb_smem_addr(sb), &mb, 0, 0, bar);
    }
    xb_mbarrier_wait(bar, 0);
    float acc[64];
    for (int i = 0; i < 64; i++) acc[i] = 0.0f;
    xb_wgmma_fence();
    for (int s = 0; s < 4; s++) {
        const unsigned long long da = xb_wgmma_desc(xb_smem_addr(sa) + s * 32, 16, 1024, 1);
        const unsigned long long db = xb_wgmma_desc(xb_smem_addr(sb) + s * 32, 16, 1024, 1);
        MMA<0, 0>(acc, da, db);
    }
    xb_wgmma_commit();
#if REFILL
    if (tid == 0) {
        xb_mbarrier_arrive_expect_tx(bar, 64 * 64 * 2);
        xb_tma_load_2d(xb_smem_addr(sa), &ma, 0, 64, bar);
    }
#endif
    xb_wgmma_wait<0, 64>(acc);
#if REFILL
    xb_mbarrier_wait(bar, 1);
#endif
    for (int i = 0; i < 64; i++) d[(16 * w + l / 4 + 8 * ((i / 2) % 2)) * 128 + 8 * (i / 4) + 2 * (l % 4) + i % 2] = acc[i];
}
`
	rng := rand.New(rand.NewPCG(7, 8))
	for _, bf16 := range []bool{false, true} {
		ab, av := emuHalves(rng, 128*64, bf16) // two A, (m, k), one above the other
		bb, bv := emuHalves(rng, 64*128, bf16) // (k, n)
		bt := make([]uint16, len(bb))          // (n, k): K-major
		for k := range 64 {
			for n := range 128 {
				bt[n*64+k] = bb[k*128+n]
			}
		}
		ma := emuTMAMap{param: 1, elem: 2, swizzle: 128, dims: []int{64, 128}, box: []int{64, 64}, strides: []int{128}}
		mb := emuTMAMap{param: 2, elem: 2, swizzle: 128, dims: []int{64, 128}, box: []int{64, 128}, strides: []int{128}}
		mma := "xb_wgmma_m64n128_f16"
		if bf16 {
			mma = "xb_wgmma_m64n128_bf16"
		}
		for _, refill := range []bool{false, true} {
			for _, mode := range []string{emuEager, emuDeferred} {
				what := fmt.Sprintf("bf16 %v, refill %v, %s mode", bf16, refill, mode)
				defs := fmt.Sprintf("#define MMA %s\n#define REFILL %d\n", mma, b2i(refill))
				out := make([]byte, 4*64*128)
				err := emulateSource(t, defs+src, "kernel", emuLaunch{local: [3]int{128, 1, 1}, mode: mode},
					[][]byte{out, uint16Bytes(ab), uint16Bytes(bt), ma.bytes(), mb.bytes()})
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if refill && mode == emuEager {
					// The products ran at the wait, on the second A.
					checkProduct(t, what, float32s(out), av[64*64:], bv, make([]float64, 64*128), 64, 128, 64)
					continue
				}
				checkProduct(t, what, float32s(out), av, bv, make([]float64, 64*128), 64, 128, 64)
			}
		}
	}
}
