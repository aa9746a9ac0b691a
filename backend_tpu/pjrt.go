//go:build (linux || darwin || freebsd || netbsd) && !android

package backend_tpu

// Bindings to the PJRT C API (xla/pjrt/c/pjrt_c_api.h, API version 0.x), called through
// purego: a plugin exports GetPjrtApi, which returns a PJRT_Api table of function pointers.
// Every function takes one argument struct whose first field, struct_size, is the size the
// caller knows (offset of its last field + that field's size); plugins use it to stay
// compatible with older callers. The Go structs below mirror the header field by field for
// 64-bit platforms; the sizes are computed from them, never hard-coded.
//
// The structs follow the header of openxla/xla at PJRT_API_MINOR 114 (the same since 112
// for the structs used here). Plugins accept a struct_size at least as large as their own
// from minor 34 on, and the function table has its present order from minor 57 on (0.56
// had one entry more before PJRT_Buffer_ToHostBuffer), so plugins older than 0.57 are
// refused (checkAPIVersion). Without a plugin, the calls past dlopen run against a fake
// plugin written in Go (fakepjrt_test.go), which checks the objects handed out are
// destroyed; the layouts, indices and enum values are pinned against the header by
// TestStructSizes and TestHeaderValues.

import (
	"fmt"
	"runtime"
	"unsafe"

	"github.com/ebitengine/purego"
)

// Function indices in PJRT_Api, after struct_size, extension_start and pjrt_api_version.
const (
	fnErrorDestroy                  = 0
	fnErrorMessage                  = 1
	fnErrorGetCode                  = 2
	fnPluginInitialize              = 3
	fnPluginAttributes              = 4
	fnEventDestroy                  = 5
	fnEventIsReady                  = 6
	fnEventError                    = 7
	fnEventAwait                    = 8
	fnClientCreate                  = 10
	fnClientDestroy                 = 11
	fnClientPlatformName            = 12
	fnClientPlatformVersion         = 14
	fnClientAddressableDevices      = 16
	fnClientCompile                 = 20
	fnClientBufferFromHostBuffer    = 22
	fnDeviceDescriptionID           = 23
	fnDeviceDescriptionAttributes   = 25
	fnDeviceDescriptionKind         = 26
	fnDeviceDescriptionToString     = 28
	fnDeviceGetDescription          = 29
	fnExecutableDestroy             = 40
	fnExecutableNumOutputs          = 44
	fnLoadedExecutableDestroy       = 50
	fnLoadedExecutableGetExecutable = 51
	fnLoadedExecutableExecute       = 55
	fnBufferDestroy                 = 58
	fnBufferToHostBuffer            = 70
)

// apiHeader is the start of PJRT_Api.
type apiHeader struct {
	structSize     uintptr
	extensionStart unsafe.Pointer
	version        struct {
		structSize uintptr
		priv       unsafe.Pointer
		major      int32
		minor      int32
	}
}

const apiFnBase = unsafe.Sizeof(apiHeader{}) // 40 on 64-bit platforms

// Argument structs (only the ones used).

type errorDestroyArgs struct {
	structSize uintptr
	priv       unsafe.Pointer
	err        unsafe.Pointer
}

type errorMessageArgs struct {
	structSize uintptr
	priv       unsafe.Pointer
	err        unsafe.Pointer
	message    unsafe.Pointer // out
	messageLen uintptr        // out
}

type errorGetCodeArgs struct {
	structSize uintptr
	priv       unsafe.Pointer
	err        unsafe.Pointer
	code       int32 // out
}

type pluginInitializeArgs struct {
	structSize uintptr
	priv       unsafe.Pointer
}

type eventArgs struct { // PJRT_Event_Destroy_Args, _Await_Args, _Error_Args
	structSize uintptr
	priv       unsafe.Pointer
	event      unsafe.Pointer
}

type namedValue struct {
	structSize uintptr
	priv       unsafe.Pointer
	name       unsafe.Pointer
	nameSize   uintptr
	typ        int32 // PJRT_NamedValue_Type
	_          int32
	value      uint64 // union: string pointer, int64, int64 array pointer, float, bool
	valueSize  uintptr
}

const (
	namedString    = 0
	namedInt64     = 1
	namedInt64List = 2
	namedFloat     = 3
	namedBool      = 4
)

// clientCreateArgs and executeOptions have the fields of later headers (minor 114),
// left zero but for one: plugins refuse a struct_size smaller than their own (for
// PJRT_ExecuteOptions, for now, one below 112 bytes; the fields past it are read only
// where struct_size reaches them), and older ones accept a larger one.
type clientCreateArgs struct {
	structSize    uintptr
	priv          unsafe.Pointer
	createOptions unsafe.Pointer
	numOptions    uintptr
	kvGet         unsafe.Pointer
	kvGetArg      unsafe.Pointer
	kvPut         unsafe.Pointer
	kvPutArg      unsafe.Pointer
	client        unsafe.Pointer // out
	kvTryGet      unsafe.Pointer
	kvTryGetArg   unsafe.Pointer
}

type clientStringArgs struct { // PJRT_Client_PlatformName_Args, _PlatformVersion_Args
	structSize uintptr
	priv       unsafe.Pointer
	client     unsafe.Pointer
	str        unsafe.Pointer // out
	strLen     uintptr        // out
}

type clientAddressableDevicesArgs struct {
	structSize uintptr
	priv       unsafe.Pointer
	client     unsafe.Pointer
	devices    unsafe.Pointer // out: PJRT_Device**
	numDevices uintptr        // out
}

type program struct {
	structSize uintptr
	priv       unsafe.Pointer
	code       unsafe.Pointer
	codeSize   uintptr
	format     unsafe.Pointer
	formatSize uintptr
}

type clientCompileArgs struct {
	structSize     uintptr
	priv           unsafe.Pointer
	client         unsafe.Pointer
	program        unsafe.Pointer
	compileOptions unsafe.Pointer
	optionsSize    uintptr
	executable     unsafe.Pointer // out: PJRT_LoadedExecutable*
}

type bufferFromHostArgs struct {
	structSize         uintptr
	priv               unsafe.Pointer
	client             unsafe.Pointer
	data               unsafe.Pointer
	typ                int32
	_                  int32
	dims               unsafe.Pointer
	numDims            uintptr
	byteStrides        unsafe.Pointer
	numByteStrides     uintptr
	semantics          int32
	_                  int32
	device             unsafe.Pointer
	memory             unsafe.Pointer
	deviceLayout       unsafe.Pointer
	doneWithHostBuffer unsafe.Pointer // out: PJRT_Event*
	buffer             unsafe.Pointer // out: PJRT_Buffer*
}

const hostBufferImmutableOnlyDuringCall = 0

type descIDArgs struct {
	structSize uintptr
	priv       unsafe.Pointer
	desc       unsafe.Pointer
	id         int32 // out
}

type descAttributesArgs struct {
	structSize    uintptr
	priv          unsafe.Pointer
	desc          unsafe.Pointer
	numAttributes uintptr        // out
	attributes    unsafe.Pointer // out: PJRT_NamedValue*
}

type descStringArgs struct { // PJRT_DeviceDescription_Kind_Args, _ToString_Args
	structSize uintptr
	priv       unsafe.Pointer
	desc       unsafe.Pointer
	str        unsafe.Pointer // out
	strLen     uintptr        // out
}

type deviceGetDescriptionArgs struct {
	structSize uintptr
	priv       unsafe.Pointer
	device     unsafe.Pointer
	desc       unsafe.Pointer // out
}

type ptrArgs struct { // every Destroy-like args struct: {struct_size, priv, object}
	structSize uintptr
	priv       unsafe.Pointer
	obj        unsafe.Pointer
}

type getExecutableArgs struct {
	structSize uintptr
	priv       unsafe.Pointer
	loaded     unsafe.Pointer
	executable unsafe.Pointer // out
}

type numOutputsArgs struct {
	structSize uintptr
	priv       unsafe.Pointer
	executable unsafe.Pointer
	numOutputs uintptr // out
}

type executeOptions struct {
	structSize         uintptr
	priv               unsafe.Pointer
	sendCallbacks      unsafe.Pointer
	recvCallbacks      unsafe.Pointer
	numSendOps         uintptr
	numRecvOps         uintptr
	launchID           int32
	_                  int32
	nonDonatableInputs unsafe.Pointer
	numNonDonatable    uintptr
	context            unsafe.Pointer
	callLocation       unsafe.Pointer
	numTasks           uintptr
	taskIDs            unsafe.Pointer
	incarnationIDs     unsafe.Pointer
	multiSliceConfig   unsafe.Pointer
	// majorToMinorCallbacks is true: the default of plugins that do not read it.
	majorToMinorCallbacks bool
	_                     [7]byte
	hloOutputCallbacks    unsafe.Pointer
	numHloOutputCallbacks uintptr
}

type executeArgs struct {
	structSize           uintptr
	priv                 unsafe.Pointer
	executable           unsafe.Pointer
	options              unsafe.Pointer
	argumentLists        unsafe.Pointer // PJRT_Buffer*** [num_devices][num_args]
	numDevices           uintptr
	numArgs              uintptr
	outputLists          unsafe.Pointer // PJRT_Buffer*** [num_devices][num_outputs], in/out
	deviceCompleteEvents unsafe.Pointer // PJRT_Event** [num_devices], in/out
	executeDevice        unsafe.Pointer
}

type toHostArgs struct {
	structSize uintptr
	priv       unsafe.Pointer
	src        unsafe.Pointer
	hostLayout unsafe.Pointer
	dst        unsafe.Pointer
	dstSize    uintptr
	event      unsafe.Pointer // out
}

// structSize is PJRT_STRUCT_SIZE: the end of the last field.
func structSize(end, size uintptr) uintptr { return end + size }

// api is a loaded plugin's function table.
type api struct {
	path  string
	table unsafe.Pointer
	size  uintptr
	major int
	minor int
}

// pjrtError is an error returned by a plugin.
type pjrtError struct {
	fn   string
	code int
	msg  string
}

func (e *pjrtError) Error() string {
	return fmt.Sprintf("pjrt: %s: %s (code %d)", e.fn, e.msg, e.code)
}

// PJRT_Error_Code values (absl's status codes) that the backend tells apart.
const (
	codeInvalidArgument   = 3
	codeResourceExhausted = 8
)

// outOfMemory reports PJRT_Error_Code_RESOURCE_EXHAUSTED.
func (e *pjrtError) outOfMemory() bool { return e.code == codeResourceExhausted }

// loadAPI dlopens path and calls its GetPjrtApi.
func loadAPI(path string) (*api, error) {
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, err
	}
	sym, err := purego.Dlsym(h, "GetPjrtApi")
	if err != nil {
		_ = purego.Dlclose(h) // not a plugin; nothing of it ran
		return nil, fmt.Errorf("no GetPjrtApi: %v", err)
	}
	r1, _, _ := purego.SyscallN(sym)
	if r1 == 0 {
		return nil, fmt.Errorf("GetPjrtApi returned NULL")
	}
	table := *(*unsafe.Pointer)(unsafe.Pointer(&r1))
	hdr := (*apiHeader)(table)
	a := &api{path: path, table: table, size: hdr.structSize, major: int(hdr.version.major), minor: int(hdr.version.minor)}
	if err := checkAPIVersion(a.major, a.minor, a.size); err != nil {
		return nil, err
	}
	return a, nil
}

// minAPIMinor is the oldest PJRT_API_MINOR whose function table has the indices above.
const minAPIMinor = 57

// checkAPIVersion refuses a plugin whose function table this package cannot index: another
// major version, a minor version before minAPIMinor, or a table too short for the
// functions used.
func checkAPIVersion(major, minor int, size uintptr) error {
	if major != 0 || minor < minAPIMinor {
		return fmt.Errorf("PJRT API version %d.%d; crossbar speaks 0.%d and later 0.x (JAX 0.4.36 and later)", major, minor, minAPIMinor)
	}
	if need := apiFnBase + 8*(fnBufferToHostBuffer+1); size < need {
		return fmt.Errorf("PJRT_Api of %d bytes at version 0.%d is too short (need %d)", size, minor, need)
	}
	return nil
}

// fn returns the function pointer at index i, or 0 if the plugin's table is shorter.
func (a *api) fn(i int) uintptr {
	off := apiFnBase + uintptr(i)*unsafe.Sizeof(uintptr(0))
	if off+unsafe.Sizeof(uintptr(0)) > a.size {
		return 0
	}
	return *(*uintptr)(unsafe.Add(a.table, off))
}

// call invokes function i with args (a pointer to an args struct) and converts a returned
// PJRT_Error into a Go error.
func (a *api) call(i int, name string, args unsafe.Pointer) error {
	f := a.fn(i)
	if f == 0 {
		return &pjrtError{fn: name, code: 12, msg: "not implemented by this plugin"}
	}
	r1, _, _ := purego.SyscallN(f, uintptr(args))
	runtime.KeepAlive(args)
	if r1 == 0 {
		return nil
	}
	return a.takeError(name, *(*unsafe.Pointer)(unsafe.Pointer(&r1)))
}

// takeError reads and frees a PJRT_Error.
func (a *api) takeError(name string, e unsafe.Pointer) error {
	m := errorMessageArgs{err: e}
	m.structSize = structSize(unsafe.Offsetof(m.messageLen), unsafe.Sizeof(m.messageLen))
	msg := "unknown error"
	if f := a.fn(fnErrorMessage); f != 0 {
		purego.SyscallN(f, uintptr(unsafe.Pointer(&m)))
		if m.message != nil {
			msg = string(unsafe.Slice((*byte)(m.message), m.messageLen))
		}
	}
	c := errorGetCodeArgs{err: e}
	c.structSize = structSize(unsafe.Offsetof(c.code), unsafe.Sizeof(c.code))
	if f := a.fn(fnErrorGetCode); f != 0 {
		// PJRT_Error_GetCode returns an error of its own, which is freed like any other.
		if r1, _, _ := purego.SyscallN(f, uintptr(unsafe.Pointer(&c))); r1 != 0 {
			a.destroyError(*(*unsafe.Pointer)(unsafe.Pointer(&r1)))
			c.code = 2 // UNKNOWN
		}
	}
	a.destroyError(e)
	return &pjrtError{fn: name, code: int(c.code), msg: msg}
}

func (a *api) destroyError(e unsafe.Pointer) {
	d := errorDestroyArgs{err: e}
	d.structSize = structSize(unsafe.Offsetof(d.err), unsafe.Sizeof(d.err))
	if f := a.fn(fnErrorDestroy); f != 0 {
		purego.SyscallN(f, uintptr(unsafe.Pointer(&d)))
	}
}

func ptrArgsOf(obj unsafe.Pointer) ptrArgs {
	p := ptrArgs{obj: obj}
	p.structSize = structSize(unsafe.Offsetof(p.obj), unsafe.Sizeof(p.obj))
	return p
}

// awaitEvent waits for ev, destroys it and returns its error.
func (a *api) awaitEvent(ev unsafe.Pointer) error {
	if ev == nil {
		return nil
	}
	w := ptrArgsOf(ev)
	err := a.call(fnEventAwait, "PJRT_Event_Await", unsafe.Pointer(&w))
	d := ptrArgsOf(ev)
	_ = a.call(fnEventDestroy, "PJRT_Event_Destroy", unsafe.Pointer(&d))
	return err
}

func (a *api) initialize() error {
	if a.fn(fnPluginInitialize) == 0 {
		return nil
	}
	p := pluginInitializeArgs{}
	p.structSize = structSize(unsafe.Offsetof(p.priv), unsafe.Sizeof(p.priv))
	return a.call(fnPluginInitialize, "PJRT_Plugin_Initialize", unsafe.Pointer(&p))
}

// clientOption is one PJRT_Client_Create option.
type clientOption struct {
	name string
	str  string
	i    int64
	b    bool
	kind int
}

// createClient creates a client with options.
func (a *api) createClient(opts []clientOption) (unsafe.Pointer, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	nvs := make([]namedValue, len(opts))
	for i, o := range opts {
		name := []byte(o.name)
		pin.Pin(&name[0])
		nv := &nvs[i]
		nv.structSize = structSize(unsafe.Offsetof(nv.valueSize), unsafe.Sizeof(nv.valueSize))
		nv.name, nv.nameSize, nv.typ, nv.valueSize = unsafe.Pointer(&name[0]), uintptr(len(name)), int32(o.kind), 1
		switch o.kind {
		case namedString:
			s := append([]byte(o.str), 0)
			pin.Pin(&s[0])
			nv.value = uint64(uintptr(unsafe.Pointer(&s[0])))
			nv.valueSize = uintptr(len(o.str))
		case namedInt64:
			nv.value = uint64(o.i)
		case namedBool:
			if o.b {
				nv.value = 1
			}
		}
	}
	args := clientCreateArgs{}
	args.structSize = structSize(unsafe.Offsetof(args.kvTryGetArg), unsafe.Sizeof(args.kvTryGetArg))
	if len(nvs) > 0 {
		pin.Pin(&nvs[0])
		args.createOptions, args.numOptions = unsafe.Pointer(&nvs[0]), uintptr(len(nvs))
	}
	if err := a.call(fnClientCreate, "PJRT_Client_Create", unsafe.Pointer(&args)); err != nil {
		return nil, err
	}
	return args.client, nil
}

func (a *api) clientString(fn int, name string, client unsafe.Pointer) (string, error) {
	s := clientStringArgs{client: client}
	s.structSize = structSize(unsafe.Offsetof(s.strLen), unsafe.Sizeof(s.strLen))
	if err := a.call(fn, name, unsafe.Pointer(&s)); err != nil {
		return "", err
	}
	if s.str == nil {
		return "", nil
	}
	return string(unsafe.Slice((*byte)(s.str), s.strLen)), nil
}

func (a *api) addressableDevices(client unsafe.Pointer) ([]unsafe.Pointer, error) {
	d := clientAddressableDevicesArgs{client: client}
	d.structSize = structSize(unsafe.Offsetof(d.numDevices), unsafe.Sizeof(d.numDevices))
	if err := a.call(fnClientAddressableDevices, "PJRT_Client_AddressableDevices", unsafe.Pointer(&d)); err != nil {
		return nil, err
	}
	if d.numDevices == 0 || d.devices == nil {
		return nil, nil
	}
	return append([]unsafe.Pointer(nil), unsafe.Slice((*unsafe.Pointer)(d.devices), d.numDevices)...), nil
}

func (a *api) describe(dev unsafe.Pointer) (deviceInfo, error) {
	info := deviceInfo{attrs: map[string]string{}}
	g := deviceGetDescriptionArgs{device: dev}
	g.structSize = structSize(unsafe.Offsetof(g.desc), unsafe.Sizeof(g.desc))
	if err := a.call(fnDeviceGetDescription, "PJRT_Device_GetDescription", unsafe.Pointer(&g)); err != nil {
		return info, err
	}
	id := descIDArgs{desc: g.desc}
	id.structSize = structSize(unsafe.Offsetof(id.id), unsafe.Sizeof(id.id))
	if err := a.call(fnDeviceDescriptionID, "PJRT_DeviceDescription_Id", unsafe.Pointer(&id)); err != nil {
		return info, err
	}
	info.id = int(id.id)
	str := func(fn int, name string) string {
		s := descStringArgs{desc: g.desc}
		s.structSize = structSize(unsafe.Offsetof(s.strLen), unsafe.Sizeof(s.strLen))
		if a.call(fn, name, unsafe.Pointer(&s)) != nil || s.str == nil {
			return ""
		}
		return string(unsafe.Slice((*byte)(s.str), s.strLen))
	}
	info.kind = str(fnDeviceDescriptionKind, "PJRT_DeviceDescription_Kind")
	info.desc = str(fnDeviceDescriptionToString, "PJRT_DeviceDescription_ToString")
	at := descAttributesArgs{desc: g.desc}
	at.structSize = structSize(unsafe.Offsetof(at.attributes), unsafe.Sizeof(at.attributes))
	if a.call(fnDeviceDescriptionAttributes, "PJRT_DeviceDescription_Attributes", unsafe.Pointer(&at)) == nil &&
		at.attributes != nil {
		for _, nv := range unsafe.Slice((*namedValue)(at.attributes), at.numAttributes) {
			if nv.name == nil {
				continue
			}
			name := string(unsafe.Slice((*byte)(nv.name), nv.nameSize))
			info.attrs[name] = namedValueString(nv)
		}
	}
	return info, nil
}

func namedValueString(nv namedValue) string {
	switch nv.typ {
	case namedString:
		p := *(*unsafe.Pointer)(unsafe.Pointer(&nv.value))
		if p == nil {
			return ""
		}
		return string(unsafe.Slice((*byte)(p), nv.valueSize))
	case namedInt64:
		return fmt.Sprint(int64(nv.value))
	case namedInt64List:
		p := *(*unsafe.Pointer)(unsafe.Pointer(&nv.value))
		if p == nil {
			return "[]"
		}
		return fmt.Sprint(unsafe.Slice((*int64)(p), nv.valueSize))
	case namedFloat:
		return fmt.Sprint(*(*float32)(unsafe.Pointer(&nv.value)))
	case namedBool:
		return fmt.Sprint(*(*byte)(unsafe.Pointer(&nv.value)) != 0)
	}
	return "?"
}

// compile compiles MLIR text for client; it returns the loaded executable and its number
// of outputs.
func (a *api) compile(client unsafe.Pointer, mlir string, options []byte) (unsafe.Pointer, int, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	code := []byte(mlir)
	format := []byte("mlir")
	pin.Pin(&code[0])
	pin.Pin(&format[0])
	prog := program{code: unsafe.Pointer(&code[0]), codeSize: uintptr(len(code)),
		format: unsafe.Pointer(&format[0]), formatSize: uintptr(len(format))}
	prog.structSize = structSize(unsafe.Offsetof(prog.formatSize), unsafe.Sizeof(prog.formatSize))
	pin.Pin(&prog)
	args := clientCompileArgs{client: client, program: unsafe.Pointer(&prog)}
	args.structSize = structSize(unsafe.Offsetof(args.executable), unsafe.Sizeof(args.executable))
	if len(options) > 0 {
		pin.Pin(&options[0])
		args.compileOptions, args.optionsSize = unsafe.Pointer(&options[0]), uintptr(len(options))
	}
	if err := a.call(fnClientCompile, "PJRT_Client_Compile", unsafe.Pointer(&args)); err != nil {
		return nil, 0, err
	}
	ge := getExecutableArgs{loaded: args.executable}
	ge.structSize = structSize(unsafe.Offsetof(ge.executable), unsafe.Sizeof(ge.executable))
	if err := a.call(fnLoadedExecutableGetExecutable, "PJRT_LoadedExecutable_GetExecutable", unsafe.Pointer(&ge)); err != nil {
		a.destroyExecutable(args.executable)
		return nil, 0, err
	}
	no := numOutputsArgs{executable: ge.executable}
	no.structSize = structSize(unsafe.Offsetof(no.numOutputs), unsafe.Sizeof(no.numOutputs))
	err := a.call(fnExecutableNumOutputs, "PJRT_Executable_NumOutputs", unsafe.Pointer(&no))
	d := ptrArgsOf(ge.executable)
	_ = a.call(fnExecutableDestroy, "PJRT_Executable_Destroy", unsafe.Pointer(&d))
	if err != nil {
		a.destroyExecutable(args.executable)
		return nil, 0, err
	}
	return args.executable, int(no.numOutputs), nil
}

func (a *api) destroyClient(client unsafe.Pointer) {
	d := ptrArgsOf(client)
	_ = a.call(fnClientDestroy, "PJRT_Client_Destroy", unsafe.Pointer(&d))
}

func (a *api) destroyExecutable(exe unsafe.Pointer) {
	d := ptrArgsOf(exe)
	_ = a.call(fnLoadedExecutableDestroy, "PJRT_LoadedExecutable_Destroy", unsafe.Pointer(&d))
}

// fromHost copies host bytes into a new device buffer of the given type and dimensions,
// and waits until the host memory is no longer needed.
func (a *api) fromHost(client, device unsafe.Pointer, typ int32, dims []int64, data []byte) (unsafe.Pointer, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	var one [1]byte
	ptr := unsafe.Pointer(&one[0])
	if len(data) > 0 {
		ptr = unsafe.Pointer(&data[0])
	}
	pin.Pin(ptr)
	args := bufferFromHostArgs{client: client, data: ptr, typ: typ, numDims: uintptr(len(dims)),
		semantics: hostBufferImmutableOnlyDuringCall, device: device}
	if len(dims) > 0 {
		pin.Pin(&dims[0])
		args.dims = unsafe.Pointer(&dims[0])
	}
	args.structSize = structSize(unsafe.Offsetof(args.buffer), unsafe.Sizeof(args.buffer))
	if err := a.call(fnClientBufferFromHostBuffer, "PJRT_Client_BufferFromHostBuffer", unsafe.Pointer(&args)); err != nil {
		return nil, err
	}
	if err := a.awaitEvent(args.doneWithHostBuffer); err != nil {
		a.destroyBuffer(args.buffer)
		return nil, err
	}
	return args.buffer, nil
}

func (a *api) destroyBuffer(b unsafe.Pointer) {
	if b == nil {
		return
	}
	d := ptrArgsOf(b)
	_ = a.call(fnBufferDestroy, "PJRT_Buffer_Destroy", unsafe.Pointer(&d))
}

// toHost copies a device buffer into dst and waits for the copy. It passes no host layout,
// so the plugin writes the device layout's dimension order with its tiling removed: for the
// flat (rank-1) buffers this backend keeps, the one order there is.
func (a *api) toHost(b unsafe.Pointer, dst []byte) error {
	if len(dst) == 0 {
		return nil
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&dst[0])
	args := toHostArgs{src: b, dst: unsafe.Pointer(&dst[0]), dstSize: uintptr(len(dst))}
	args.structSize = structSize(unsafe.Offsetof(args.event), unsafe.Sizeof(args.event))
	if err := a.call(fnBufferToHostBuffer, "PJRT_Buffer_ToHostBuffer", unsafe.Pointer(&args)); err != nil {
		return err
	}
	return a.awaitEvent(args.event)
}

// execute runs exe once with args, on device (nil: the compiled default), and returns its
// numOutputs output buffers after the execution completed.
func (a *api) execute(exe, device unsafe.Pointer, args []unsafe.Pointer, numOutputs int) ([]unsafe.Pointer, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	// C arrays: argument_lists = &argList, argList = [args...]; output_lists likewise.
	argList := make([]unsafe.Pointer, max(1, len(args)))
	copy(argList, args)
	pin.Pin(&argList[0])
	argLists := []unsafe.Pointer{unsafe.Pointer(&argList[0])}
	pin.Pin(&argLists[0])
	outList := make([]unsafe.Pointer, max(1, numOutputs))
	pin.Pin(&outList[0])
	outLists := []unsafe.Pointer{unsafe.Pointer(&outList[0])}
	pin.Pin(&outLists[0])
	events := make([]unsafe.Pointer, 1)
	pin.Pin(&events[0])
	opts := executeOptions{majorToMinorCallbacks: true}
	opts.structSize = structSize(unsafe.Offsetof(opts.numHloOutputCallbacks), unsafe.Sizeof(opts.numHloOutputCallbacks))
	pin.Pin(&opts)
	ea := executeArgs{executable: exe, options: unsafe.Pointer(&opts), argumentLists: unsafe.Pointer(&argLists[0]),
		numDevices: 1, numArgs: uintptr(len(args)), outputLists: unsafe.Pointer(&outLists[0]),
		deviceCompleteEvents: unsafe.Pointer(&events[0]), executeDevice: device}
	ea.structSize = structSize(unsafe.Offsetof(ea.executeDevice), unsafe.Sizeof(ea.executeDevice))
	if err := a.call(fnLoadedExecutableExecute, "PJRT_LoadedExecutable_Execute", unsafe.Pointer(&ea)); err != nil {
		return nil, err
	}
	outs := append([]unsafe.Pointer(nil), outList[:numOutputs]...)
	if err := a.awaitEvent(events[0]); err != nil {
		for _, o := range outs {
			a.destroyBuffer(o)
		}
		return nil, err
	}
	return outs, nil
}
