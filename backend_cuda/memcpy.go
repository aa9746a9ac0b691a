package backend_cuda

import (
	"fmt"

	"github.com/crossbar-compute/crossbar/backend"
)

// CopyBuffer copies src into dst on the device (cuMemcpyDtoDAsync), both buffers of this
// device with the same number of bytes. Like a launch it is queued on the device's stream
// and returns before it completes. The driver's device-to-device copy is the reference
// for memory bandwidth that the benchmarks hold the generated elementwise kernels against.
func (d *Device) CopyBuffer(dst, src backend.Buffer) error {
	db, err := d.buffer(dst)
	if err != nil {
		return err
	}
	sb, err := d.buffer(src)
	if err != nil {
		return err
	}
	n := db.n * db.dt.Size()
	if m := sb.n * sb.dt.Size(); m != n {
		return fmt.Errorf("cuda: copy %d x %v (%d bytes) to %d x %v (%d bytes)", sb.n, sb.dt, m, db.n, db.dt, n)
	}
	if n == 0 {
		return nil
	}
	return d.onStream(func() error {
		return d.drv.check(fmt.Sprintf("cuMemcpyDtoDAsync(%d bytes)", n), d.drv.memcpyDtoDAsync(db.ptr, sb.ptr, uintptr(n), d.stream))
	})
}
