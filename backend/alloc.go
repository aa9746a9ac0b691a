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
func alloc(dev Device, dt graph.DType, n int) (buf Buffer, err error) {
	err = retryOutOfMemory(func() error {
		buf, err = dev.Alloc(dt, n)
		return err
	})
	return buf, err
}

// retryOutOfMemory calls try; when it fails with ErrOutOfMemory, it collects garbage and
// calls try once more if any storage has been released since the first call began. Besides
// allocations, launches go through it: a launch may allocate device memory of its own (the
// workspace of a split-K GEMM, the results of a PJRT execution), and one that fails for want
// of memory has not run.
func retryOutOfMemory(try func() error) error {
	before := released.Load()
	err := try()
	if err == nil || !errors.Is(err, ErrOutOfMemory) {
		return err
	}
	releaseGarbage()
	if released.Load() == before {
		return err
	}
	return try()
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
