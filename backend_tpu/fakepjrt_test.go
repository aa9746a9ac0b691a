//go:build (linux || darwin || freebsd || netbsd) && !android

package backend_tpu

import (
	"fmt"
	"sync"
	"testing"
	"unsafe"

	"github.com/ebitengine/purego"
)

// fakePJRT is a PJRT plugin written in Go: its functions are purego callbacks in a PJRT_Api
// table, so the bindings and the device run through their C calls without a plugin. It keeps
// every object it hands out until the caller destroys it, and can be told to fail a function.
type fakePJRT struct {
	mu       sync.Mutex
	next     int
	live     map[unsafe.Pointer]string // handle -> kind ("buffer", "event", ...)
	destroys map[unsafe.Pointer]int    // destroy calls per handle
	data     map[unsafe.Pointer][]byte // buffer contents
	fail     map[string]int            // function -> PJRT_Error_Code to fail it with
	codes    map[unsafe.Pointer]int    // error -> code
	outputs  int                       // PJRT_Executable_NumOutputs
	options  [][]byte                  // compile options received
	// clientOptions are the names of the options of each PJRT_Client_Create; known, when
	// set, the only ones it accepts (a plugin refuses others with INVALID_ARGUMENT).
	clientOptions [][]string
	known         map[string]bool
	creates       int // PJRT_Client_Create calls
	devices       []unsafe.Pointer
}

// The handles are addresses in fakeArena: distinct and never freed by Go.
var fakeArena [1 << 16]uint64

var (
	fakeOnce  sync.Once
	fakeTable struct {
		hdr apiHeader
		fns [fnBufferToHostBuffer + 1]uintptr
	}
	fakeMu  sync.Mutex // one fake plugin at a time
	fakeCur *fakePJRT
	fakeMsg = []byte("injected failure")
)

// newFakePJRT installs a fresh fake plugin for t and returns it with its api.
func newFakePJRT(t *testing.T) (*fakePJRT, *api) {
	t.Helper()
	fakeOnce.Do(installFakeTable)
	fakeMu.Lock()
	t.Cleanup(fakeMu.Unlock)
	f := &fakePJRT{live: map[unsafe.Pointer]string{}, destroys: map[unsafe.Pointer]int{},
		data: map[unsafe.Pointer][]byte{}, fail: map[string]int{}, codes: map[unsafe.Pointer]int{}, outputs: 1}
	f.devices = []unsafe.Pointer{f.handle("device"), f.handle("device")}
	fakeCur = f
	hdr := fakeTable.hdr
	a := &api{path: "fake", table: unsafe.Pointer(&fakeTable), size: hdr.structSize, major: int(hdr.version.major), minor: int(hdr.version.minor)}
	if err := checkAPIVersion(a.major, a.minor, a.size); err != nil {
		t.Fatalf("the fake plugin's table: %v", err)
	}
	return f, a
}

// fakeDevices returns the devices of a client of the fake plugin.
func fakeDevices(t *testing.T, f *fakePJRT, a *api) []*Device {
	t.Helper()
	st := openClient(a, "fake")
	if st.err != nil {
		t.Fatal(st.err)
	}
	return st.devices
}

func (f *fakePJRT) handle(kind string) unsafe.Pointer {
	f.next++
	h := unsafe.Pointer(&fakeArena[f.next%len(fakeArena)])
	f.live[h] = kind
	return h
}

// failure returns a new PJRT_Error if fn is to fail.
func (f *fakePJRT) failure(fn string) unsafe.Pointer {
	code, ok := f.fail[fn]
	if !ok {
		return nil
	}
	e := f.handle("error")
	f.codes[e] = code
	return e
}

func (f *fakePJRT) destroy(h unsafe.Pointer) {
	if h == nil {
		return
	}
	f.destroys[h]++
	delete(f.live, h)
	delete(f.data, h)
}

// count is the number of live objects of kind.
func (f *fakePJRT) count(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, k := range f.live {
		if k == kind {
			n++
		}
	}
	return n
}

// checkLive fails t unless exactly want[kind] objects of each kind are live.
func (f *fakePJRT) checkLive(t *testing.T, what string, want map[string]int) {
	t.Helper()
	for _, kind := range []string{"client", "buffer", "event", "error", "loaded executable", "executable"} {
		if got := f.count(kind); got != want[kind] {
			t.Errorf("%s: %d live %s objects, want %d", what, got, kind, want[kind])
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for h, n := range f.destroys {
		if n > 1 {
			t.Errorf("%s: object %p destroyed %d times", what, h, n)
		}
	}
}

// fakeFn wraps a function of the fake plugin as a C callback.
func fakeFn[T any](fn func(f *fakePJRT, a *T) unsafe.Pointer) uintptr {
	return purego.NewCallback(func(p unsafe.Pointer) unsafe.Pointer {
		f := fakeCur
		f.mu.Lock()
		defer f.mu.Unlock()
		return fn(f, (*T)(p))
	})
}

func installFakeTable() {
	fakeTable.hdr.structSize = unsafe.Sizeof(fakeTable)
	fakeTable.hdr.version.minor = 114 // the header the structs follow
	fns := &fakeTable.fns
	fns[fnErrorDestroy] = fakeFn(func(f *fakePJRT, a *errorDestroyArgs) unsafe.Pointer {
		f.destroy(a.err)
		return nil
	})
	fns[fnErrorMessage] = fakeFn(func(f *fakePJRT, a *errorMessageArgs) unsafe.Pointer {
		a.message, a.messageLen = unsafe.Pointer(&fakeMsg[0]), uintptr(len(fakeMsg))
		return nil
	})
	fns[fnErrorGetCode] = fakeFn(func(f *fakePJRT, a *errorGetCodeArgs) unsafe.Pointer {
		a.code = int32(f.codes[a.err])
		return f.failure("PJRT_Error_GetCode")
	})
	fns[fnEventDestroy] = fakeFn(func(f *fakePJRT, a *eventArgs) unsafe.Pointer {
		f.destroy(a.event)
		return nil
	})
	fns[fnEventAwait] = fakeFn(func(f *fakePJRT, a *eventArgs) unsafe.Pointer {
		return f.failure("PJRT_Event_Await")
	})
	fns[fnClientCreate] = fakeFn(func(f *fakePJRT, a *clientCreateArgs) unsafe.Pointer {
		f.creates++
		if e := f.failure("PJRT_Client_Create"); e != nil {
			return e
		}
		if e := f.structSizeAtLeast(a.structSize, fakeClientCreateSize); e != nil {
			return e
		}
		var names []string
		for _, nv := range unsafe.Slice((*namedValue)(a.createOptions), a.numOptions) {
			name := string(unsafe.Slice((*byte)(nv.name), nv.nameSize))
			names = append(names, name)
			if f.known != nil && !f.known[name] {
				e := f.handle("error")
				f.codes[e] = 3
				return e
			}
		}
		f.clientOptions = append(f.clientOptions, names)
		a.client = f.handle("client")
		return nil
	})
	fns[fnClientDestroy] = fakeFn(func(f *fakePJRT, a *ptrArgs) unsafe.Pointer {
		f.destroy(a.obj)
		return nil
	})
	fns[fnClientAddressableDevices] = fakeFn(func(f *fakePJRT, a *clientAddressableDevicesArgs) unsafe.Pointer {
		if e := f.failure("PJRT_Client_AddressableDevices"); e != nil {
			return e
		}
		a.devices, a.numDevices = unsafe.Pointer(&f.devices[0]), uintptr(len(f.devices))
		return nil
	})
	fns[fnDeviceGetDescription] = fakeFn(func(f *fakePJRT, a *deviceGetDescriptionArgs) unsafe.Pointer {
		if e := f.failure("PJRT_Device_GetDescription"); e != nil {
			return e
		}
		a.desc = a.device // a description per device, named by it
		return nil
	})
	fns[fnDeviceDescriptionID] = fakeFn(func(f *fakePJRT, a *descIDArgs) unsafe.Pointer {
		for i, d := range f.devices {
			if d == a.desc {
				a.id = int32(10 + i)
			}
		}
		return nil
	})
	fns[fnDeviceDescriptionAttributes] = fakeFn(func(f *fakePJRT, a *descAttributesArgs) unsafe.Pointer {
		// A nameless attribute with a length: the name is skipped, not read.
		a.attributes, a.numAttributes = unsafe.Pointer(&fakeAttrs[0]), uintptr(len(fakeAttrs))
		return nil
	})
	fns[fnClientCompile] = fakeFn(func(f *fakePJRT, a *clientCompileArgs) unsafe.Pointer {
		if e := f.failure("PJRT_Client_Compile"); e != nil {
			return e
		}
		f.options = append(f.options, append([]byte(nil), unsafe.Slice((*byte)(a.compileOptions), a.optionsSize)...))
		a.executable = f.handle("loaded executable")
		return nil
	})
	fns[fnLoadedExecutableGetExecutable] = fakeFn(func(f *fakePJRT, a *getExecutableArgs) unsafe.Pointer {
		a.executable = f.handle("executable")
		return nil
	})
	fns[fnExecutableNumOutputs] = fakeFn(func(f *fakePJRT, a *numOutputsArgs) unsafe.Pointer {
		if e := f.failure("PJRT_Executable_NumOutputs"); e != nil {
			return e
		}
		a.numOutputs = uintptr(f.outputs)
		return nil
	})
	fns[fnExecutableDestroy] = fakeFn(func(f *fakePJRT, a *ptrArgs) unsafe.Pointer {
		f.destroy(a.obj)
		return nil
	})
	fns[fnLoadedExecutableDestroy] = fakeFn(func(f *fakePJRT, a *ptrArgs) unsafe.Pointer {
		f.destroy(a.obj)
		return nil
	})
	fns[fnClientBufferFromHostBuffer] = fakeFn(func(f *fakePJRT, a *bufferFromHostArgs) unsafe.Pointer {
		if e := f.failure("PJRT_Client_BufferFromHostBuffer"); e != nil {
			return e
		}
		n := 1
		for _, d := range unsafe.Slice((*int64)(a.dims), a.numDims) {
			n *= int(d)
		}
		n *= map[int32]int{bufPRED: 1, bufU8: 1, bufS32: 4, bufS64: 8, bufF16: 2, bufBF16: 2, bufF32: 4, bufF64: 8}[a.typ]
		a.buffer = f.handle("buffer")
		f.data[a.buffer] = append([]byte(nil), unsafe.Slice((*byte)(a.data), n)...)
		a.doneWithHostBuffer = f.handle("event")
		return nil
	})
	fns[fnBufferDestroy] = fakeFn(func(f *fakePJRT, a *ptrArgs) unsafe.Pointer {
		f.destroy(a.obj)
		return nil
	})
	fns[fnBufferToHostBuffer] = fakeFn(func(f *fakePJRT, a *toHostArgs) unsafe.Pointer {
		src := f.data[a.src]
		if len(src) > int(a.dstSize) {
			e := f.handle("error")
			f.codes[e] = 3
			return e
		}
		copy(unsafe.Slice((*byte)(a.dst), a.dstSize), src)
		a.event = f.handle("event")
		return nil
	})
	// Execute returns copies of its first argument (or empty buffers) as its outputs.
	fns[fnLoadedExecutableExecute] = fakeFn(func(f *fakePJRT, a *executeArgs) unsafe.Pointer {
		if e := f.failure("PJRT_LoadedExecutable_Execute"); e != nil {
			return e
		}
		opts := (*executeOptions)(a.options)
		if e := f.structSizeAtLeast(opts.structSize, fakeExecuteOptionsSize); e != nil {
			return e
		}
		// A struct that reaches use_major_to_minor_data_layout_for_callbacks sets it: false
		// would ask plugins for device layouts in host callbacks, which the C API lacks.
		if opts.structSize > unsafe.Offsetof(opts.majorToMinorCallbacks) && !opts.majorToMinorCallbacks {
			return f.structSizeAtLeast(0, 1)
		}
		var first []byte
		if a.numArgs > 0 {
			args := *(*unsafe.Pointer)(a.argumentLists)
			first = f.data[*(*unsafe.Pointer)(args)]
		}
		outs := unsafe.Slice((*unsafe.Pointer)(*(*unsafe.Pointer)(a.outputLists)), f.outputs)
		for i := range outs {
			outs[i] = f.handle("buffer")
			f.data[outs[i]] = append([]byte(nil), first...)
		}
		*(*unsafe.Pointer)(a.deviceCompleteEvents) = f.handle("event")
		return nil
	})
}

var fakeAttrs = []namedValue{{nameSize: 4, typ: namedInt64}}

// Current plugins refuse argument structs smaller than their own: these are the size of
// PJRT_Client_Create_Args at PJRT_API_MINOR 94 (and 114), and the least size of
// PJRT_ExecuteOptions that plugins of minor 114 take (its size at minor 94).
const (
	fakeClientCreateSize   = 88
	fakeExecuteOptionsSize = 112
)

func (f *fakePJRT) structSizeAtLeast(got, want uintptr) unsafe.Pointer {
	if got >= want {
		return nil
	}
	e := f.handle("error")
	f.codes[e] = 3 // INVALID_ARGUMENT
	return e
}

func (f *fakePJRT) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprint(f.live)
}
