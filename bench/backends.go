package main

// The vendor backends register their devices when imported; the bench runs on every device
// they find. Those whose runtime is absent contribute no devices.
import (
	_ "github.com/crossbar-compute/crossbar/backend_cuda"
	_ "github.com/crossbar-compute/crossbar/backend_tpu"
)
