//go:build !((linux || darwin || freebsd || netbsd) && !android)

package backend_tpu

import "unsafe"

type (
	bufferHandle     = unsafe.Pointer
	executableHandle = unsafe.Pointer
	clientHandle     = unsafe.Pointer
)

// runtimeAPI has no implementation where purego cannot load libraries.
type runtimeAPI struct{}

func (r *runtimeAPI) destroyBuffer(bufferHandle)         {}
func (r *runtimeAPI) destroyExecutable(executableHandle) {}
func (r *runtimeAPI) fromHost(clientHandle, int, int32, []int64, []byte) (bufferHandle, error) {
	return nil, errNoPlugin
}
func (r *runtimeAPI) toHost(bufferHandle, []byte) error { return errNoPlugin }
func (r *runtimeAPI) compile(clientHandle, string, []byte) (executableHandle, int, error) {
	return nil, 0, errNoPlugin
}
func (r *runtimeAPI) execute(executableHandle, []bufferHandle, int) ([]bufferHandle, error) {
	return nil, errNoPlugin
}

func openPlugin(pluginPath) *pluginState { return &pluginState{err: errNoPlugin} }
