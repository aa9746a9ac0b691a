// Package cpu is crossbar's built-in device: every primitive op on every dtype, multithreaded
// over all cores. It is always present, it is the device that others fall back to for what
// they cannot do, and it is the reference that every other backend is tested against.
//
// Kernels are evaluated block by block: each node of a kernel's expression computes a block of
// elements into a small scratch slice that stays in L1, so a fused chain makes one pass over
// memory. Float64 values are computed in float64; Float32, Float16 and BFloat16 in float32 on
// the vector kernels of package asm, rounded to the node's dtype after every operation (for +,
// -, *, / and sqrt bit for bit what rounding the float64 result gives; see eval32.go for the
// math functions); integers in int64, wrapped to the node's width. Float products run on
// asm's GEMM and accumulate in float32 for those three dtypes, in float64 for Float64.
package cpu

import (
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

func init() { backend.Register(cpuBackend{}) }

type cpuBackend struct{}

func (cpuBackend) Name() string  { return "cpu" }
func (cpuBackend) Priority() int { return 0 }
func (cpuBackend) Devices() ([]backend.Device, error) {
	return []backend.Device{theDevice}, nil
}

var theDevice = &Device{}

// Device is the CPU device. Its name is "cpu".
type Device struct{}

// New returns the CPU device (there is one).
func New() *Device { return theDevice }

// Name implements backend.Device.
func (*Device) Name() string { return "cpu" }

// Capabilities implements backend.Device.
func (*Device) Capabilities() backend.Capabilities {
	return backend.Capabilities{DTypes: graph.DTypes, UnifiedMemory: true, Cores: runtime.GOMAXPROCS(0), WarpWidth: 1,
		CumSum: true, Softmax: true, LayerNorm: true, ArgMax: true}
}

// Buffer is host memory, 8-byte aligned so that any element type can be viewed in place.
type Buffer struct {
	dt    graph.DType
	n     int
	words []uint64
	freed bool
}

// DType implements backend.Buffer.
func (b *Buffer) DType() graph.DType { return b.dt }

// Len implements backend.Buffer.
func (b *Buffer) Len() int { return b.n }

// Bytes returns the buffer's memory.
func (b *Buffer) Bytes() []byte {
	if len(b.words) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&b.words[0])), b.n*b.dt.Size())
}

func view[T any](b *Buffer) []T {
	if b.n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b.words[0])), b.n)
}

// Alloc implements backend.Device.
func (*Device) Alloc(dt graph.DType, n int) (backend.Buffer, error) {
	if !dt.Valid() || n < 0 {
		return nil, fmt.Errorf("cpu: alloc %d of %v: %w", n, dt, backend.ErrUnsupported)
	}
	bytes := uint64(n) * uint64(dt.Size())
	if bytes > allocLimit {
		return nil, fmt.Errorf("cpu: alloc %d x %v (%d bytes) exceeds the %d bytes of memory: %w",
			n, dt, bytes, allocLimit, backend.ErrOutOfMemory)
	}
	return &Buffer{dt: dt, n: n, words: recycled.get(int((bytes + 7) / 8))}, nil
}

// recycled keeps the memory of freed buffers for reuse by allocations of the same size: a
// fresh allocation costs a page fault per 4 KiB on first touch, which is as much time as a
// memory-bound kernel takes to run over it.
var recycled = &bufferCache{limit: int(min(allocLimit/8, 1<<30) / 8), free: map[int][][]uint64{}}

type bufferCache struct {
	mu    sync.Mutex
	limit int // words kept at most
	words int
	free  map[int][][]uint64
}

// minRecycled is the smallest buffer worth keeping, in words (4 KiB): above a few KiB the Go
// allocator zeroes each new buffer and, past 32 KiB, takes whole pages that the collector
// later returns to the system, which cost a 64 × 64 float32 product (16 KiB) a third of its
// time when only buffers from 128 KiB were kept.
const minRecycled = 1 << 9

// get returns memory for at least n words: from the cache where it holds a buffer of n's
// size class, else new.
func (c *bufferCache) get(n int) []uint64 {
	if n >= minRecycled {
		n = sizeClass(n)
		c.mu.Lock()
		if l := c.free[n]; len(l) > 0 {
			w := l[len(l)-1]
			c.free[n] = l[:len(l)-1]
			c.words -= n
			c.mu.Unlock()
			return w
		}
		c.mu.Unlock()
	}
	return make([]uint64, n)
}

// sizeClass rounds a recycled buffer's size of n words up to the next of four sizes per
// doubling (1¼, 1½, 1¾ and 2 times a power of two), so that buffers whose sizes differ a
// little share their memory: a KV cache that grows by a token a step takes the buffer that
// the step before freed, not fresh pages, until it outgrows the class (a quarter of its
// size later). A size whose class would pass allocLimit stays as it is.
func sizeClass(n int) int {
	step := 1 << max(0, bits.Len(uint(n-1))-3)
	c := (n + step - 1) / step * step
	if uint64(c) > allocLimit/8 {
		return n
	}
	return c
}

func (c *bufferCache) put(w []uint64) {
	n := len(w)
	if n < minRecycled {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.words+n > c.limit {
		return
	}
	c.free[n] = append(c.free[n], w)
	c.words += n
}

// allocLimit keeps a request that cannot fit from reaching the Go runtime, whose
// out-of-memory failure would end the process instead of returning an error.
var allocLimit = func() uint64 {
	const maxAlloc = 1 << 46
	if m := physicalMemory(); m > 0 && m < maxAlloc {
		return m
	}
	return maxAlloc
}()

func (*Device) buffer(b backend.Buffer) (*Buffer, error) {
	cb, ok := b.(*Buffer)
	if !ok || cb == nil {
		return nil, fmt.Errorf("cpu: buffer %T is not a cpu buffer: %w", b, backend.ErrUnsupported)
	}
	if cb.freed {
		return nil, fmt.Errorf("cpu: %w", backend.ErrFreed)
	}
	return cb, nil
}

// Free implements backend.Device.
func (d *Device) Free(b backend.Buffer) error {
	cb, err := d.buffer(b)
	if err != nil {
		return err
	}
	cb.freed = true
	recycled.put(cb.words)
	cb.words = nil
	return nil
}

// CopyIn implements backend.Device.
func (d *Device) CopyIn(dst backend.Buffer, src []byte) error {
	cb, err := d.buffer(dst)
	if err != nil {
		return err
	}
	if len(src) != cb.n*cb.dt.Size() {
		return fmt.Errorf("cpu: copy in %d bytes to %d x %v", len(src), cb.n, cb.dt)
	}
	copy(cb.Bytes(), src)
	return nil
}

// CopyOut implements backend.Device.
func (d *Device) CopyOut(dst []byte, src backend.Buffer) error {
	cb, err := d.buffer(src)
	if err != nil {
		return err
	}
	if len(dst) != cb.n*cb.dt.Size() {
		return fmt.Errorf("cpu: copy out %d x %v to %d bytes", cb.n, cb.dt, len(dst))
	}
	copy(dst, cb.Bytes())
	return nil
}

// Synchronize implements backend.Device; CPU kernels finish before Launch returns.
func (*Device) Synchronize() error { return nil }

// Time implements backend.Device with the wall clock.
func (*Device) Time(fn func() error) (time.Duration, error) {
	t0 := time.Now()
	err := fn()
	return time.Since(t0), err
}

// Compile implements backend.Device.
func (*Device) Compile(k *graph.Kernel) (backend.Program, error) { return compile(k) }

// Launch implements backend.Device.
func (d *Device) Launch(p backend.Program, out backend.Buffer, inputs []backend.Buffer) error {
	prog, ok := p.(*program)
	if !ok {
		return fmt.Errorf("cpu: program %T: %w", p, backend.ErrLaunch)
	}
	ob, err := d.buffer(out)
	if err != nil {
		return err
	}
	ins := make([]*Buffer, len(inputs))
	for i, in := range inputs {
		if ins[i], err = d.buffer(in); err != nil {
			return err
		}
	}
	return prog.run(ob, ins)
}
