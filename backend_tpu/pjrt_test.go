//go:build (linux || darwin || freebsd || netbsd) && !android

package backend_tpu

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/backendtest"
	"github.com/crossbar-compute/crossbar/internal/randprog"
)

// The argument structs must have the sizes of pjrt_c_api.h (PJRT_STRUCT_SIZE: the end of
// the last field) on 64-bit platforms; these were worked out from the header by hand.
// Plugins refuse a struct_size below their own, so the sizes are those of the latest
// header for the structs that grew (PJRT_Client_Create_Args, PJRT_ExecuteOptions).
func TestStructSizes(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes are for 64-bit platforms")
	}
	var (
		em  errorMessageArgs
		gc  errorGetCodeArgs
		nv  namedValue
		cc  clientCreateArgs
		pr  program
		co  clientCompileArgs
		bh  bufferFromHostArgs
		id  descIDArgs
		at  descAttributesArgs
		eo  executeOptions
		ex  executeArgs
		th  toHostArgs
		dev clientAddressableDevicesArgs
	)
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"api functions", apiFnBase, 40},
		{"PJRT_Error_Message_Args", structSize(unsafe.Offsetof(em.messageLen), unsafe.Sizeof(em.messageLen)), 40},
		{"PJRT_Error_GetCode_Args", structSize(unsafe.Offsetof(gc.code), unsafe.Sizeof(gc.code)), 28},
		{"PJRT_NamedValue", structSize(unsafe.Offsetof(nv.valueSize), unsafe.Sizeof(nv.valueSize)), 56},
		{"PJRT_NamedValue union", unsafe.Offsetof(nv.value), 40},
		{"PJRT_Client_Create_Args", structSize(unsafe.Offsetof(cc.kvTryGetArg), unsafe.Sizeof(cc.kvTryGetArg)), 88},
		{"PJRT_Client_Create_Args.client", unsafe.Offsetof(cc.client), 64},
		{"PJRT_Program", structSize(unsafe.Offsetof(pr.formatSize), unsafe.Sizeof(pr.formatSize)), 48},
		{"PJRT_Client_Compile_Args", structSize(unsafe.Offsetof(co.executable), unsafe.Sizeof(co.executable)), 56},
		{"PJRT_Client_BufferFromHostBuffer_Args", structSize(unsafe.Offsetof(bh.buffer), unsafe.Sizeof(bh.buffer)), 120},
		{"BufferFromHostBuffer.dims", unsafe.Offsetof(bh.dims), 40},
		{"BufferFromHostBuffer.device", unsafe.Offsetof(bh.device), 80},
		{"PJRT_DeviceDescription_Id_Args", structSize(unsafe.Offsetof(id.id), unsafe.Sizeof(id.id)), 28},
		{"PJRT_DeviceDescription_Attributes_Args", structSize(unsafe.Offsetof(at.attributes), unsafe.Sizeof(at.attributes)), 40},
		{"PJRT_ExecuteOptions", structSize(unsafe.Offsetof(eo.numHloOutputCallbacks), unsafe.Sizeof(eo.numHloOutputCallbacks)), 144},
		{"PJRT_ExecuteOptions.multi_slice_config", unsafe.Offsetof(eo.multiSliceConfig), 112},
		{"PJRT_ExecuteOptions.use_major_to_minor_data_layout_for_callbacks", unsafe.Offsetof(eo.majorToMinorCallbacks), 120},
		{"PJRT_ExecuteOptions.hlo_output_callbacks", unsafe.Offsetof(eo.hloOutputCallbacks), 128},
		{"PJRT_ExecuteOptions.non_donatable_input_indices", unsafe.Offsetof(eo.nonDonatableInputs), 56},
		{"PJRT_LoadedExecutable_Execute_Args", structSize(unsafe.Offsetof(ex.executeDevice), unsafe.Sizeof(ex.executeDevice)), 80},
		{"PJRT_Buffer_ToHostBuffer_Args", structSize(unsafe.Offsetof(th.event), unsafe.Sizeof(th.event)), 56},
		{"PJRT_Client_AddressableDevices_Args", structSize(unsafe.Offsetof(dev.numDevices), unsafe.Sizeof(dev.numDevices)), 40},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d bytes, want %d", c.name, c.got, c.want)
		}
	}
}

// TestHeaderValues pins what the fake plugin shares with the code and so cannot check: the
// PJRT_Api header's layout, the function indices (PJRT_API_MINOR 57 to 114) and the enum
// values, as pjrt_c_api.h gives them; and checkAPIVersion's refusals.
func TestHeaderValues(t *testing.T) {
	var hdr apiHeader
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"PJRT_Api_Version.major_version", unsafe.Offsetof(hdr.version) + unsafe.Offsetof(hdr.version.major), 32},
		{"PJRT_Api_Version.minor_version", unsafe.Offsetof(hdr.version) + unsafe.Offsetof(hdr.version.minor), 36},
		{"the first function of PJRT_Api", apiFnBase, 40},
	} {
		if c.got != c.want {
			t.Errorf("%s at %d, want %d", c.name, c.got, c.want)
		}
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"PJRT_Error_Destroy", fnErrorDestroy, 0},
		{"PJRT_Error_Message", fnErrorMessage, 1},
		{"PJRT_Error_GetCode", fnErrorGetCode, 2},
		{"PJRT_Plugin_Initialize", fnPluginInitialize, 3},
		{"PJRT_Plugin_Attributes", fnPluginAttributes, 4},
		{"PJRT_Event_Destroy", fnEventDestroy, 5},
		{"PJRT_Event_IsReady", fnEventIsReady, 6},
		{"PJRT_Event_Error", fnEventError, 7},
		{"PJRT_Event_Await", fnEventAwait, 8},
		{"PJRT_Client_Create", fnClientCreate, 10},
		{"PJRT_Client_Destroy", fnClientDestroy, 11},
		{"PJRT_Client_PlatformName", fnClientPlatformName, 12},
		{"PJRT_Client_PlatformVersion", fnClientPlatformVersion, 14},
		{"PJRT_Client_AddressableDevices", fnClientAddressableDevices, 16},
		{"PJRT_Client_Compile", fnClientCompile, 20},
		{"PJRT_Client_BufferFromHostBuffer", fnClientBufferFromHostBuffer, 22},
		{"PJRT_DeviceDescription_Id", fnDeviceDescriptionID, 23},
		{"PJRT_DeviceDescription_Attributes", fnDeviceDescriptionAttributes, 25},
		{"PJRT_DeviceDescription_Kind", fnDeviceDescriptionKind, 26},
		{"PJRT_DeviceDescription_ToString", fnDeviceDescriptionToString, 28},
		{"PJRT_Device_GetDescription", fnDeviceGetDescription, 29},
		{"PJRT_Executable_Destroy", fnExecutableDestroy, 40},
		{"PJRT_Executable_NumOutputs", fnExecutableNumOutputs, 44},
		{"PJRT_LoadedExecutable_Destroy", fnLoadedExecutableDestroy, 50},
		{"PJRT_LoadedExecutable_GetExecutable", fnLoadedExecutableGetExecutable, 51},
		{"PJRT_LoadedExecutable_Execute", fnLoadedExecutableExecute, 55},
		{"PJRT_Buffer_Destroy", fnBufferDestroy, 58},
		{"PJRT_Buffer_ToHostBuffer", fnBufferToHostBuffer, 70},
		{"PJRT_Buffer_Type_PRED", bufPRED, 1},
		{"PJRT_Buffer_Type_S32", bufS32, 4},
		{"PJRT_Buffer_Type_S64", bufS64, 5},
		{"PJRT_Buffer_Type_U8", bufU8, 6},
		{"PJRT_Buffer_Type_F16", bufF16, 10},
		{"PJRT_Buffer_Type_F32", bufF32, 11},
		{"PJRT_Buffer_Type_F64", bufF64, 12},
		{"PJRT_Buffer_Type_BF16", bufBF16, 13},
		{"PJRT_NamedValue_kString", namedString, 0},
		{"PJRT_NamedValue_kInt64", namedInt64, 1},
		{"PJRT_NamedValue_kInt64List", namedInt64List, 2},
		{"PJRT_NamedValue_kFloat", namedFloat, 3},
		{"PJRT_NamedValue_kBool", namedBool, 4},
		{"PJRT_HostBufferSemantics_kImmutableOnlyDuringCall", hostBufferImmutableOnlyDuringCall, 0},
		{"PJRT_Error_Code_INVALID_ARGUMENT", codeInvalidArgument, 3},
		{"PJRT_Error_Code_RESOURCE_EXHAUSTED", codeResourceExhausted, 8},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	for _, c := range []struct {
		major, minor int
		size         uintptr
		ok           bool
	}{
		{0, 114, 1144, true},
		{0, 57, 848, true},
		{0, 56, 848, false}, // PJRT_Buffer_ToHostBuffer is at 71 there
		{0, 38, 608, false},
		{1, 0, 1144, false},
		{0, 114, 600, false},
	} {
		err := checkAPIVersion(c.major, c.minor, c.size)
		if (err == nil) != c.ok {
			t.Errorf("checkAPIVersion(%d, %d, %d) = %v, want ok %v", c.major, c.minor, c.size, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "0.") {
			t.Errorf("checkAPIVersion(%d, %d, %d): %v does not name the version", c.major, c.minor, c.size, err)
		}
	}
}

func TestCompileOptions(t *testing.T) {
	// executable_build_options (field 3, 26 bytes) {
	//   device_ordinal: -1, num_replicas: 1, num_partitions: 1,
	//   device_assignment (field 9, 9 bytes) { replica_count: 1, computation_count: 1,
	//     computation_devices (field 3, 3 bytes) { replica_device_ids (packed, 1 byte): [5] } } }
	want := []byte{0x1a, 0x1a,
		0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
		0x20, 0x01, 0x28, 0x01,
		0x4a, 0x09, 0x08, 0x01, 0x10, 0x01, 0x1a, 0x03, 0x0a, 0x01, 0x05}
	if got := compileOptions(5); !bytes.Equal(got, want) {
		t.Errorf("compileOptions(5) =\n% x, want\n% x", got, want)
	}
	if got := appendVarint(nil, 300); !bytes.Equal(got, []byte{0xac, 0x02}) {
		t.Errorf("varint 300 = % x", got)
	}
}

func TestPluginName(t *testing.T) {
	for path, want := range map[string]string{
		"/x/libtpu/libtpu.so":                          "tpu",
		"/x/jax_plugins/xla_cuda12/xla_cuda_plugin.so": "cuda",
		"/usr/lib/pjrt_c_api_cpu_plugin.so":            "cpu",
		"/opt/libfoo.so":                               "foo",
	} {
		if got := pluginName(path); got != want {
			t.Errorf("pluginName(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestJaxPluginsNewestFirst lays out a virtual environment with JAX's CUDA 12 and CUDA 13
// plugins: the newer comes first among the candidates, so that it is the one loaded
// where both are installed.
func TestJaxPluginsNewestFirst(t *testing.T) {
	venv := t.TempDir()
	site := filepath.Join(venv, "lib", "python3.12", "site-packages")
	var paths []string
	for _, v := range []string{"xla_cuda12", "xla_cuda13"} {
		p := filepath.Join(site, "jax_plugins", v, "xla_cuda_plugin.so")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	t.Setenv("VIRTUAL_ENV", venv)
	at := map[string]int{}
	for i, c := range fixedCandidates() {
		if _, seen := at[c.path]; !seen {
			at[c.path] = i
		}
	}
	i12, ok12 := at[paths[0]]
	i13, ok13 := at[paths[1]]
	if !ok12 || !ok13 || i13 > i12 {
		t.Errorf("candidates: CUDA 13 plugin at %d (found %v), CUDA 12 at %d (found %v); want both, 13 first", i13, ok13, i12, ok12)
	}
}

// Without a plugin, both backends have no devices, and the error wraps ErrUnavailable and
// lists the paths tried; an existing file that is no plugin is reported, not a panic.
func TestMissingPlugin(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "libtpu_missing.so")
	notLib := filepath.Join(dir, "not_a_plugin.so")
	notAPlugin(t, notLib)
	t.Setenv("CROSSBAR_PJRT_PLUGIN", missing)
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", notLib)
	if ds, _ := discover(); len(ds) > 0 {
		t.Skipf("a PJRT plugin is installed (%s); the missing-plugin path cannot be tested", ds[0].Name())
	}
	for _, name := range []string{"tpu", "tpu:1", "pjrt", "pjrt:0"} {
		_, err := backend.Open(name)
		if !errors.Is(err, backend.ErrUnavailable) {
			t.Errorf("Open(%q) = %v, want ErrUnavailable", name, err)
			continue
		}
		if name == "tpu" || name == "pjrt" {
			msg := err.Error()
			for _, want := range []string{missing + " (CROSSBAR_PJRT_PLUGIN): not found", notLib + " (PJRT_PLUGIN_LIBRARY_PATH): "} {
				if !strings.Contains(msg, want) {
					t.Errorf("Open(%q) error does not say %q:\n%s", name, want, msg)
				}
			}
		}
	}
	if _, err := Open("pjrt:cuda:0"); !errors.Is(err, backend.ErrUnavailable) {
		t.Errorf("Open(pjrt:cuda:0) = %v, want ErrUnavailable", err)
	}
	// A real shared library without GetPjrtApi.
	lib := map[string]string{"amd64": "/lib/x86_64-linux-gnu/libm.so.6", "arm64": "/lib/aarch64-linux-gnu/libm.so.6"}[runtime.GOARCH]
	if runtime.GOOS != "linux" || lib == "" {
		return
	}
	if _, err := os.Stat(lib); err != nil {
		return
	}
	t.Setenv("CROSSBAR_PJRT_PLUGIN", lib)
	if _, err := backend.Open("pjrt"); !errors.Is(err, backend.ErrUnavailable) || !strings.Contains(err.Error(), lib+" (CROSSBAR_PJRT_PLUGIN): ") {
		t.Errorf("Open(pjrt) with %s = %v, want ErrUnavailable naming it", lib, err)
	}
}

// Two paths to one file (a symbolic link) load it once: dlopen would hand out the same
// library, whose plugin would be initialized twice and its devices listed twice.
func TestPluginPathsToOneFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pjrt_c_api_same_plugin.so")
	link := filepath.Join(dir, "pjrt_c_api_link_plugin.so")
	notAPlugin(t, file)
	if err := os.Symlink(file, link); err != nil {
		t.Skip(err)
	}
	t.Setenv("CROSSBAR_PJRT_PLUGIN", file)
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", link)
	_, tried := discover()
	var lines []string
	for _, l := range tried {
		if strings.HasPrefix(l, dir) {
			lines = append(lines, l)
		}
	}
	want := link + " (PJRT_PLUGIN_LIBRARY_PATH): skipped, the same file as " + file
	if len(lines) != 2 || lines[1] != want {
		t.Errorf("tried:\n  %s\nwant the second line %q", strings.Join(lines, "\n  "), want)
	}
	// A link alone is loaded through the file it names, where the plugin's companions are
	// (the loader's error names what it was given).
	other := filepath.Join(dir, "pjrt_c_api_other_plugin.so")
	otherLink := filepath.Join(dir, "pjrt_c_api_otherlink_plugin.so")
	notAPlugin(t, other)
	if err := os.Symlink(other, otherLink); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CROSSBAR_PJRT_PLUGIN", otherLink)
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", "")
	_, tried = discover()
	want = otherLink + " (CROSSBAR_PJRT_PLUGIN): " + other + ": "
	if !hasLineStarting(tried, want) {
		t.Errorf("tried:\n  %s\nwant a line starting %q", strings.Join(tried, "\n  "), want)
	}
}

// With a plugin (CROSSBAR_PJRT_PLUGIN=/path/to/libtpu.so go test ./backend_tpu, or one found
// in the places searched), the conformance suite runs on its first device.
func TestConformancePlugin(t *testing.T) {
	d := pluginDevice(t)
	backendtest.Run(t, d)
}

// With a plugin, random programs (package randprog) run on its first device, each result
// compared with the CPU device's.
func TestRandomProgramsPlugin(t *testing.T) {
	d := pluginDevice(t)
	progs := randprog.First(100)
	randprog.Check(t, d, progs)
}

// pluginDevice returns the first device of the PJRT plugin found, or skips the test where
// there is none (and fails it where CROSSBAR_PJRT_PLUGIN names one).
func pluginDevice(t *testing.T) backend.Device {
	t.Helper()
	ds, tried := discover()
	if len(ds) == 0 {
		msg := "no PJRT device; tried:\n" + strings.Join(tried, "\n")
		if os.Getenv("CROSSBAR_PJRT_PLUGIN") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Logf("%s: %s", ds[0].Name(), ds[0].Description())
	return ds[0]
}

// A libtpu found in the places searched is loaded only where the PCI bus has a TPU chip
// (elsewhere its client would look for a cloud TPU for minutes); one named in an
// environment variable is loaded whatever the bus has.
func TestLibtpuNeedsTPUChip(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "libtpu.so")
	notAPlugin(t, lib)
	pci := filepath.Join(dir, "pci")
	dev := func(name, vendor, device string) {
		d := filepath.Join(pci, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for f, v := range map[string]string{"vendor": vendor, "device": device} {
			if err := os.WriteFile(filepath.Join(d, f), []byte(v+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	dev("0000:00:03.0", "0x10de", "0x2335") // a GPU
	dev("0000:00:04.0", "0x1ae0", "0x0042") // Google's gVNIC network card
	fixedOnce.Do(func() { fixed = fixedCandidates() })
	oldFixed, oldPCI := fixed, pciDevices
	t.Cleanup(func() { fixed, pciDevices = oldFixed, oldPCI })
	fixed, pciDevices = []pluginPath{{path: lib, name: "tpu", source: "lib dir"}}, pci
	t.Setenv("CROSSBAR_PJRT_PLUGIN", "")
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", "")
	line := func(path string) string {
		_, tried := discover()
		for _, l := range tried {
			if strings.HasPrefix(l, path+" ") {
				return l
			}
		}
		return ""
	}
	if l := line(lib); !strings.Contains(l, "skipped, no TPU on the PCI bus") {
		t.Errorf("without a TPU chip: %q, want it skipped", l)
	}
	// Loading fails (the file is no library) and is remembered: each case its own file.
	named := filepath.Join(dir, "libtpu_named.so")
	notAPlugin(t, named)
	t.Setenv("CROSSBAR_PJRT_PLUGIN", named)
	if l := line(named); !strings.HasPrefix(l, named+" (CROSSBAR_PJRT_PLUGIN): ") || strings.Contains(l, "skipped") {
		t.Errorf("named in CROSSBAR_PJRT_PLUGIN: %q, want it loaded", l)
	}
	t.Setenv("CROSSBAR_PJRT_PLUGIN", "")
	dev("0000:00:05.0", "0x1ae0", "0x0063") // a TPU v5e chip
	if l := line(lib); !strings.HasPrefix(l, lib+" (lib dir): ") || strings.Contains(l, "skipped") {
		t.Errorf("with a TPU chip: %q, want it loaded", l)
	}
	if n := tpuChips(); n != 1 {
		t.Errorf("tpuChips() = %d, want 1", n)
	}
}

// One plugin of a kind is used: a second CUDA plugin (CUDA 12's beside CUDA 13's) would
// hold the GPUs again and name its devices pjrt:cuda:0, ... as well.
func TestOnePluginOfAKind(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, sub := range []string{"xla_cuda13", "xla_cuda12"} {
		p := filepath.Join(dir, sub, "xla_cuda_plugin.so")
		notAPlugin(t, p)
		paths = append(paths, p)
	}
	// The first is taken as loaded, with one device; the second is never opened.
	dev := &Device{name: "pjrt:cuda:0", plugin: "cuda"}
	discoverMu.Lock()
	loadedPlugins[paths[0]] = &pluginState{devices: []*Device{dev}}
	discoverMu.Unlock()
	t.Cleanup(func() {
		discoverMu.Lock()
		delete(loadedPlugins, paths[0])
		discoverMu.Unlock()
	})
	t.Setenv("CROSSBAR_PJRT_PLUGIN", "")
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", strings.Join(paths, string(os.PathListSeparator)))
	devs, tried := discover()
	if !slices.Contains(devs, dev) {
		t.Errorf("devices %v, want the first plugin's", devs)
	}
	want := paths[1] + " (PJRT_PLUGIN_LIBRARY_PATH): skipped, the cuda plugin " + paths[0] + " is in use"
	if !slices.Contains(tried, want) {
		t.Errorf("tried:\n  %s\nwant %q", strings.Join(tried, "\n  "), want)
	}
	discoverMu.Lock()
	_, opened := loadedPlugins[paths[1]]
	discoverMu.Unlock()
	if opened {
		t.Errorf("the second plugin %s was opened", paths[1])
	}
}

// A directory in PJRT_PLUGIN_LIBRARY_PATH stands for the plugins in it; one without any
// is reported as such.
func TestPluginDirectory(t *testing.T) {
	dir, empty := t.TempDir(), t.TempDir()
	lib := filepath.Join(dir, "pjrt_c_api_dirtest_plugin.so")
	notAPlugin(t, lib)
	t.Setenv("CROSSBAR_PJRT_PLUGIN", "")
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", dir+string(os.PathListSeparator)+empty)
	_, tried := discover()
	for _, want := range []string{lib + " (PJRT_PLUGIN_LIBRARY_PATH): " + lib + ": ",
		empty + " (PJRT_PLUGIN_LIBRARY_PATH): a directory with no plugin (libtpu.so, "} {
		if !hasLineStarting(tried, want) {
			t.Errorf("tried:\n  %s\nwant a line starting %q", strings.Join(tried, "\n  "), want)
		}
	}
}

// notAPlugin writes a file at path (and its directory) that is no shared library: a
// plugin candidate whose loading fails.
func notAPlugin(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("not an ELF file"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// hasLineStarting reports whether one of lines starts with prefix.
func hasLineStarting(lines []string, prefix string) bool {
	return slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) })
}
