//go:build (linux || darwin || freebsd || netbsd) && !android

package backend_tpu

import (
	"errors"
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

func (r *runtimeAPI) destroyBuffer(h bufferHandle) { r.a.destroyBuffer(h) }

func (r *runtimeAPI) destroyExecutable(h executableHandle) { r.a.destroyExecutable(h) }

func (r *runtimeAPI) fromHost(c clientHandle, dev int, typ int32, dims []int64, data []byte) (bufferHandle, error) {
	if dev < 0 || dev >= len(r.devices) {
		return nil, fmt.Errorf("no addressable device %d of %d", dev, len(r.devices))
	}
	return r.a.fromHost(c, r.devices[dev], typ, dims, data)
}

func (r *runtimeAPI) toHost(h bufferHandle, dst []byte) error { return r.a.toHost(h, dst) }

func (r *runtimeAPI) compile(c clientHandle, mlir string, opts []byte) (executableHandle, int, error) {
	return r.a.compile(c, mlir, opts)
}

// execute runs exe on the device of its device assignment (compileOptions).
func (r *runtimeAPI) execute(exe executableHandle, args []bufferHandle, n int) ([]bufferHandle, error) {
	return r.a.execute(exe, nil, args, n)
}

// openPlugin loads the plugin at c.path, initializes it, creates a client and lists its
// addressable devices.
func openPlugin(c pluginPath) (st *pluginState) {
	defer func() {
		// A broken plugin must not take the program down with a Go panic.
		if r := recover(); r != nil {
			st = &pluginState{err: fmt.Errorf("panic while loading: %v", r)}
		}
	}()
	a, err := loadAPI(c.path)
	if err != nil {
		return &pluginState{err: err}
	}
	return openClient(a, c.name)
}

// clientOptions are the options a client is created with: XLA's GPU plugins otherwise
// reserve most of the device's memory (75%) for their allocator as soon as the client
// exists, which a program that only lists devices, or also computes on the GPU through
// another backend, should not pay. Memory is then taken as buffers need it.
var clientOptions = []clientOption{{name: "preallocate", kind: namedBool, b: false}}

// openClient initializes a loaded plugin, creates its client and describes its addressable
// devices. A client that cannot be used is destroyed: it may hold the devices.
func openClient(a *api, name string) (st *pluginState) {
	if err := a.initialize(); err != nil {
		return &pluginState{err: err}
	}
	client, err := a.createClient(clientOptions)
	var pe *pjrtError
	if err != nil && errors.As(err, &pe) && pe.code == codeInvalidArgument {
		// Plugins refuse options they do not know (libtpu those of the GPU plugins) as
		// invalid arguments. Other failures are not retried: without the options a GPU
		// plugin would reserve most of the device's memory.
		var err2 error
		if client, err2 = a.createClient(nil); err2 != nil {
			err = fmt.Errorf("%v; without options: %w", err, err2)
		} else {
			err = nil
		}
	}
	if err != nil {
		return &pluginState{err: err}
	}
	keep := false
	defer func() {
		if !keep { // an error, or a panic on the way
			a.destroyClient(client)
		}
	}()
	platform, _ := a.clientString(fnClientPlatformName, "PJRT_Client_PlatformName", client)
	version, _ := a.clientString(fnClientPlatformVersion, "PJRT_Client_PlatformVersion", client)
	devs, err := a.addressableDevices(client)
	if err != nil {
		return &pluginState{err: err}
	}
	p := &plugin{rt: &runtimeAPI{a: a, devices: devs}, client: client, platform: platform, version: version}
	if platform == "tpu" {
		name = "tpu"
	}
	st = &pluginState{}
	for i, dev := range devs {
		info, err := a.describe(dev)
		if err != nil {
			return &pluginState{err: fmt.Errorf("device %d: %w", i, err)}
		}
		st.devices = append(st.devices, &Device{name: deviceName(name, i), plugin: name, p: p, index: i, info: info,
			caps: capsFor(platform)})
	}
	keep = true
	return st
}
