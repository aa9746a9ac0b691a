//go:build (linux || darwin || freebsd || netbsd) && !android

package backend_tpu

import (
	"fmt"
	"unsafe"
)

type (
	bufferHandle     = unsafe.Pointer // PJRT_Buffer*
	executableHandle = unsafe.Pointer // PJRT_LoadedExecutable*
	clientHandle     = unsafe.Pointer // PJRT_Client*
)

// runtimeAPI is a loaded plugin's API with its addressable devices.
type runtimeAPI struct {
	a       *api
	devices []unsafe.Pointer
}

func (r *runtimeAPI) device(i int) unsafe.Pointer {
	if i <= 0 || i >= len(r.devices) {
		return nil // the executable's default device (the first addressable one)
	}
	return r.devices[i]
}

func (r *runtimeAPI) destroyBuffer(h bufferHandle) { r.a.destroyBuffer(h) }

func (r *runtimeAPI) destroyExecutable(h executableHandle) { r.a.destroyExecutable(h) }

func (r *runtimeAPI) fromHost(c clientHandle, dev int, typ int32, dims []int64, data []byte) (bufferHandle, error) {
	d := r.devices[0]
	if dev > 0 && dev < len(r.devices) {
		d = r.devices[dev]
	}
	return r.a.fromHost(c, d, typ, dims, data)
}

func (r *runtimeAPI) toHost(h bufferHandle, dst []byte) error { return r.a.toHost(h, dst) }

func (r *runtimeAPI) compile(c clientHandle, mlir string, opts []byte) (executableHandle, int, error) {
	return r.a.compile(c, mlir, opts)
}

func (r *runtimeAPI) execute(exe executableHandle, dev int, args []bufferHandle, n int) ([]bufferHandle, error) {
	return r.a.execute(exe, r.device(dev), args, n)
}

// openPlugin loads the plugin at c.path, initializes it, creates a client and lists its
// addressable devices.
func openPlugin(c pluginPath) (st *pluginState) {
	st = &pluginState{}
	defer func() {
		// A broken plugin must not take the program down with a Go panic.
		if r := recover(); r != nil {
			st = &pluginState{err: fmt.Errorf("panic while loading: %v", r)}
		}
	}()
	a, err := loadAPI(c.path)
	if err != nil {
		st.err = err
		return st
	}
	if err := a.initialize(); err != nil {
		st.err = err
		return st
	}
	client, err := a.createClient(nil)
	if err != nil {
		st.err = err
		return st
	}
	platform, _ := a.clientString(fnClientPlatformName, "PJRT_Client_PlatformName", client)
	version, _ := a.clientString(fnClientPlatformVersion, "PJRT_Client_PlatformVersion", client)
	devs, err := a.addressableDevices(client)
	if err != nil {
		st.err = err
		return st
	}
	p := &plugin{rt: &runtimeAPI{a: a, devices: devs}, client: client, platform: platform, version: version}
	name := c.name
	if platform == "tpu" {
		name = "tpu"
	}
	for i, dev := range devs {
		info, err := a.describe(dev)
		if err != nil {
			st.err = err
			return st
		}
		st.devices = append(st.devices, &Device{name: deviceName(name, i), plugin: name, p: p, index: i, info: info,
			caps: capsFor(platform)})
	}
	return st
}
