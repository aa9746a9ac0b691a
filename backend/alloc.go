package backend

import (
	"errors"
	"runtime"

	"github.com/crossbar-compute/crossbar/graph"
)

// The cleanups that release the device memory of unreachable storages run only after Go's
// collector has found them, and the collector paces itself by the growth of the Go heap,
// which device memory does not grow: a loop that drops tensors without Free can fill a
// GPU with garbage long before the collector next runs. So an allocation that fails for
// want of memory collects, releases at once the storages of devices other than the CPU that
// the collection found unreachable (their cleanups, which run later and apart, then find
// nothing to do), and is tried again.

// alloc allocates n values of dt on dev; on ErrOutOfMemory it collects garbage and tries
// once more if any storage has been released since the first try began.
func alloc(dev Device, dt graph.DType, n int) (Buffer, error) {
	before := released.Load()
	buf, err := dev.Alloc(dt, n)
	if err == nil || !errors.Is(err, ErrOutOfMemory) {
		return buf, err
	}
	releaseGarbage()
	if released.Load() == before {
		return nil, err
	}
	return dev.Alloc(dt, n)
}

// releaseGarbage runs the collector and releases the tracked storages (see storages) it
// found unreachable that their cleanups have not released yet; it returns once every one of
// them is released. runtime.GC returns once the collection has swept, so the weak pointers
// of every unreachable storage are nil by then.
func releaseGarbage() {
	runtime.GC()
	var dead []*bufHandle
	storages.Lock()
	for h, w := range storages.m {
		if w.Value() == nil {
			dead = append(dead, h)
		}
	}
	storages.Unlock()
	for _, h := range dead {
		_ = h.free()
	}
}
