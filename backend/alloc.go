package backend

import (
	"errors"
	"runtime"
	"time"

	"github.com/crossbar-compute/crossbar/graph"
)

// The cleanups that release the device memory of unreachable storages run only after Go's
// collector has found them, and the collector paces itself by the growth of the Go heap,
// which device memory does not grow: a loop that drops tensors without Free can fill a
// GPU with garbage long before the collector next runs. So an allocation that fails for
// want of memory collects, waits for the cleanups to release what the collection found,
// and is tried again.

// Waits for the cleanups of a collection: they have run once the count of released
// storages has not moved for cleanupQuiet (cleanups of storages run apart from the
// collection and from one another), or after cleanupMax at most.
const (
	cleanupPoll  = time.Millisecond
	cleanupQuiet = 10 * time.Millisecond
	cleanupMax   = 2 * time.Second
)

// alloc allocates n values of dt on dev; on ErrOutOfMemory it collects garbage and tries
// once more if that released any storage.
func alloc(dev Device, dt graph.DType, n int) (Buffer, error) {
	buf, err := dev.Alloc(dt, n)
	if err == nil || !errors.Is(err, ErrOutOfMemory) {
		return buf, err
	}
	before := released.Load()
	runtime.GC()
	if awaitCleanups(before) == before {
		return nil, err
	}
	return dev.Alloc(dt, n)
}

// awaitCleanups waits until the count of released storages, before when the collection
// began, has stopped moving, and returns it.
func awaitCleanups(before int64) int64 {
	last, moved := before, time.Now()
	for start := moved; time.Since(moved) < cleanupQuiet && time.Since(start) < cleanupMax; {
		time.Sleep(cleanupPoll)
		if now := released.Load(); now != last {
			last, moved = now, time.Now()
		}
	}
	return last
}
