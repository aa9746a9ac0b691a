//go:build (linux || darwin || freebsd || netbsd) && !android

package backend_tpu

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/graph"
)

// expKernel is the one kernel of exp(x) for x of dt[3].
func expKernel(t *testing.T, dt graph.DType) *graph.Kernel {
	t.Helper()
	ks, err := graph.Schedule([]*graph.Node{must(graph.Unary(graph.OpExp, host(dt, 3)))})
	if err != nil || len(ks) != 1 {
		t.Fatalf("schedule: %v (%d kernels)", err, len(ks))
	}
	return ks[0]
}

// A buffer goes in, through a program and out again, on each device of the fake plugin; then
// only the client and the compiled executables are left, and each program is compiled for
// the device that compiles it.
func TestFakePluginRoundTrip(t *testing.T) {
	f, a := newFakePJRT(t)
	devs := fakeDevices(t, f, a)
	if len(devs) != 2 || devs[1].Name() != "pjrt:fake:1" {
		t.Fatalf("devices %v", devs)
	}
	for _, d := range devs {
		in, _ := d.Alloc(graph.Float32, 3)
		out, _ := d.Alloc(graph.Float32, 3)
		src := []byte("0123456789ab")
		if err := d.CopyIn(in, src); err != nil {
			t.Fatal(err)
		}
		p, err := d.Compile(expKernel(t, graph.Float32))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Launch(p, out, []backend.Buffer{in}); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(src))
		if err := d.CopyOut(got, out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, src) { // the fake's executable copies its first argument
			t.Errorf("%s: copied out %q, want %q", d.Name(), got, src)
		}
		for _, b := range []backend.Buffer{in, out} {
			if err := d.Free(b); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.checkLive(t, "after freeing", map[string]int{"client": 1, "loaded executable": 2})
	for i, d := range devs {
		if want := compileOptions(int64(d.info.id)); i >= len(f.options) || !bytes.Equal(f.options[i], want) {
			t.Errorf("%s (id %d): compiled with options % x, want % x", d.Name(), d.info.id, f.options[i], want)
		}
	}
	if bytes.Equal(f.options[0], f.options[1]) {
		t.Errorf("both devices compiled with the same options % x", f.options[0])
	}
}

// A failing plugin call is an error that wraps the right sentinel and says what failed,
// and leaves no PJRT object behind.
func TestFakePluginFailures(t *testing.T) {
	for _, c := range []struct {
		fail string
		code int
		op   string // "copy in", "compile", "launch", "copy out"
		want error
	}{
		{"PJRT_Client_BufferFromHostBuffer", 13, "copy in", backend.ErrLaunch},
		{"PJRT_Client_BufferFromHostBuffer", 8, "copy in", backend.ErrOutOfMemory},
		{"PJRT_Event_Await", 13, "copy in", backend.ErrLaunch},
		{"PJRT_Client_Compile", 3, "compile", backend.ErrCompile},
		{"PJRT_Executable_NumOutputs", 13, "compile", backend.ErrCompile},
		{"PJRT_LoadedExecutable_Execute", 13, "launch", backend.ErrLaunch},
		{"PJRT_LoadedExecutable_Execute", 8, "launch", backend.ErrOutOfMemory},
		{"PJRT_Client_BufferFromHostBuffer", 13, "launch", backend.ErrLaunch}, // the zeros of an unwritten input
		{"PJRT_Event_Await", 13, "launch", backend.ErrLaunch},
		{"PJRT_Event_Await", 13, "copy out", backend.ErrLaunch},
		{"PJRT_Error_GetCode", 13, "copy in", backend.ErrLaunch}, // with a failing BufferFromHostBuffer
	} {
		t.Run(c.fail+"/"+c.op, func(t *testing.T) {
			f, a := newFakePJRT(t)
			d := fakeDevices(t, f, a)[0]
			in, _ := d.Alloc(graph.Float32, 3)
			out, _ := d.Alloc(graph.Float32, 3)
			var p backend.Program
			if c.op == "launch" || c.op == "copy out" {
				var err error
				if p, err = d.Compile(expKernel(t, graph.Float32)); err != nil {
					t.Fatal(err)
				}
			}
			if c.op == "copy out" {
				if err := d.Launch(p, out, []backend.Buffer{in}); err != nil {
					t.Fatal(err)
				}
			}
			f.fail[c.fail] = c.code
			if c.fail == "PJRT_Error_GetCode" {
				f.fail["PJRT_Client_BufferFromHostBuffer"] = 13
			}
			var err error
			switch c.op {
			case "copy in":
				err = d.CopyIn(in, make([]byte, 12))
			case "compile":
				_, err = d.Compile(expKernel(t, graph.Float32))
			case "launch":
				err = d.Launch(p, out, []backend.Buffer{in})
			case "copy out":
				err = d.CopyOut(make([]byte, 12), out)
			}
			clear(f.fail)
			if !errors.Is(err, c.want) {
				t.Errorf("%s with %s failing (code %d) = %v, want %v", c.op, c.fail, c.code, err, c.want)
			}
			if err != nil && (!strings.Contains(err.Error(), d.Name()) || !strings.Contains(err.Error(), "injected failure")) {
				t.Errorf("%s: error %q does not name the device and the plugin's message", c.op, err)
			}
			for _, b := range []backend.Buffer{in, out} {
				if err := d.Free(b); err != nil {
					t.Fatal(err)
				}
			}
			exes := 0
			if p != nil {
				exes = 1
			}
			f.checkLive(t, c.op, map[string]int{"client": 1, "loaded executable": exes})
		})
	}
}

// A client whose devices cannot be listed or described is destroyed, not left holding them.
func TestFakePluginClientDestroyed(t *testing.T) {
	for _, fail := range []string{"PJRT_Client_AddressableDevices", "PJRT_Device_GetDescription"} {
		t.Run(fail, func(t *testing.T) {
			f, a := newFakePJRT(t)
			f.fail[fail] = 13
			if st := openClient(a, "fake"); st.err == nil || len(st.devices) > 0 {
				t.Errorf("%s failing: open = %d devices, %v; want an error", fail, len(st.devices), st.err)
			}
			f.checkLive(t, fail+" failing", nil)
		})
	}
}

// Buffers of the wrong type or length, and programs of another device, are refused before
// they reach the plugin: an output buffer would otherwise take a result it cannot hold.
func TestLaunchChecksBuffersAndDevice(t *testing.T) {
	f, a := newFakePJRT(t)
	devs := fakeDevices(t, f, a)
	d := devs[0]
	p, err := d.Compile(expKernel(t, graph.Float32))
	if err != nil {
		t.Fatal(err)
	}
	alloc := func(dt graph.DType, n int) backend.Buffer {
		b, err := d.Alloc(dt, n)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := alloc(graph.Float32, 3)
	for _, c := range []struct {
		name    string
		dev     *Device
		out, in backend.Buffer
	}{
		{"short output", d, alloc(graph.Float32, 2), good},
		{"long output", d, alloc(graph.Float32, 4), good},
		{"int32 output", d, alloc(graph.Int32, 3), good},
		{"short input", d, good, alloc(graph.Float32, 2)},
		{"float64 input", d, good, alloc(graph.Float64, 3)},
		{"other device", devs[1], good, good},
	} {
		err := c.dev.Launch(p, c.out, []backend.Buffer{c.in})
		if !errors.Is(err, backend.ErrLaunch) {
			t.Errorf("%s: Launch = %v, want ErrLaunch", c.name, err)
		}
	}
	f.checkLive(t, "refused launches", map[string]int{"client": 1, "loaded executable": 1})
}

// Every method may be called from any goroutine: a buffer freed by several at once is
// destroyed once, and copies race with launches only through the device's lock.
func TestFakePluginConcurrent(t *testing.T) {
	f, a := newFakePJRT(t)
	d := fakeDevices(t, f, a)[0]
	p, err := d.Compile(expKernel(t, graph.Float32))
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		in, _ := d.Alloc(graph.Float32, 3)
		out, _ := d.Alloc(graph.Float32, 3)
		if err := d.CopyIn(in, make([]byte, 12)); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for g := range errs {
			wg.Go(func() {
				switch g % 4 {
				case 0:
					errs[g] = d.Launch(p, out, []backend.Buffer{in})
				case 1:
					errs[g] = d.CopyOut(make([]byte, 12), out)
				default:
					errs[g] = d.Free(in)
				}
			})
		}
		wg.Wait()
		frees := 0
		for g, err := range errs {
			if g%4 >= 2 && err == nil {
				frees++
			}
			if err != nil && !errors.Is(err, backend.ErrFreed) {
				t.Errorf("goroutine %d: %v", g, err)
			}
		}
		if frees != 1 {
			t.Errorf("%d of 4 concurrent Frees succeeded, want 1", frees)
		}
		if err := d.Free(out); err != nil {
			t.Fatal(err)
		}
	}
	f.checkLive(t, "concurrent use", map[string]int{"client": 1, "loaded executable": 1})
}

// TestFakePluginClientOptions checks that clients are created without the GPU plugins'
// preallocation, and that a plugin that refuses the option (libtpu) gets a client without
// options, the refusal's error destroyed. Other failures are not retried without the
// options, which would have a GPU plugin reserve most of the memory.
func TestFakePluginClientOptions(t *testing.T) {
	for _, c := range []struct {
		code    int
		creates int
		want    string
	}{
		{13, 1, "(code 13)"},
		{3, 2, "(code 3); without options: pjrt: PJRT_Client_Create: injected failure (code 3)"},
	} {
		t.Run(fmt.Sprintf("failing with code %d", c.code), func(t *testing.T) {
			f, a := newFakePJRT(t)
			f.fail["PJRT_Client_Create"] = c.code
			st := openClient(a, "fake")
			if st.err == nil || !strings.Contains(st.err.Error(), c.want) {
				t.Errorf("error %v, want one with %q", st.err, c.want)
			}
			if f.creates != c.creates {
				t.Errorf("%d PJRT_Client_Create calls, want %d", f.creates, c.creates)
			}
			for h, kind := range f.live {
				if kind == "error" || kind == "client" {
					t.Errorf("%s %p is alive", kind, h)
				}
			}
		})
	}
	t.Run("accepted", func(t *testing.T) {
		f, a := newFakePJRT(t)
		fakeDevices(t, f, a)
		if len(f.clientOptions) != 1 || len(f.clientOptions[0]) != 1 || f.clientOptions[0][0] != "preallocate" {
			t.Errorf("client options %v, want [[preallocate]]", f.clientOptions)
		}
	})
	t.Run("refused", func(t *testing.T) {
		f, a := newFakePJRT(t)
		f.known = map[string]bool{}
		fakeDevices(t, f, a)
		if len(f.clientOptions) != 1 || len(f.clientOptions[0]) != 0 {
			t.Errorf("client options %v, want one client without options", f.clientOptions)
		}
		for h, kind := range f.live {
			if kind == "error" {
				t.Errorf("error %p of the refused options is alive", h)
			}
		}
	})
}
