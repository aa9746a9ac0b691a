package backend_tpu

// PJRT_Buffer_Type values.
const (
	bufPRED = 1
	bufS32  = 4
	bufS64  = 5
	bufU8   = 6
	bufF16  = 10
	bufF32  = 11
	bufF64  = 12
	bufBF16 = 13
)

// deviceInfo describes one addressable device.
type deviceInfo struct {
	id    int
	kind  string
	desc  string
	attrs map[string]string
}
