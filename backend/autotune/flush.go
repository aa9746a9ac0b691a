package autotune

import "github.com/klauspost/cpuid/v2"

// LastLevelCacheSize returns the size in bytes of this CPU's largest cache as cpuid reports
// it (L3, else L2), or 32 MiB where it reports neither, as on many arm64 systems.
func LastLevelCacheSize() int {
	switch {
	case cpuid.CPU.Cache.L3 > 0:
		return cpuid.CPU.Cache.L3
	case cpuid.CPU.Cache.L2 > 0:
		return cpuid.CPU.Cache.L2
	}
	return 32 << 20
}

// A Flusher evicts the CPU caches by writing a buffer larger than the last-level cache, so
// that each repetition of a measurement starts cold, as a kernel in a real program does
// when its operands were last touched long ago. Its Flush method fits Options.Flush.
//
// A Flusher is not safe for concurrent use.
type Flusher struct {
	buf []byte
	seq byte
}

// NewFlusher returns a flusher over a buffer of size bytes; size ≤ 0 means twice
// LastLevelCacheSize, enough to evict it whatever its replacement policy.
func NewFlusher(size int) *Flusher {
	if size <= 0 {
		size = 2 * LastLevelCacheSize()
	}
	return &Flusher{buf: make([]byte, size)}
}

// Size returns the length of the buffer in bytes.
func (f *Flusher) Size() int { return len(f.buf) }

// Flush writes one byte in every 64-byte line of the buffer; a write brings the whole line
// in, so this displaces as much as writing every byte, at a sixty-fourth of the stores. The
// value changes on every call so that no line is left clean.
func (f *Flusher) Flush() {
	f.seq++
	s := f.seq
	for i := 0; i < len(f.buf); i += 64 {
		f.buf[i] = s
	}
}
