package backend_cuda

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/crossbar-compute/crossbar/backend/autotune"
)

// TestImageCache checks that precompile fills the image cache on several goroutines, that
// compileCached then returns the same images without compiling, and that a source that
// does not compile is an error naming it and is not cached.
func TestImageCache(t *testing.T) {
	n := nvrtcForTest(t)
	d := &Device{nv: n, arch: TypicalArch(80)}
	var srcs, names []string
	for i := range 6 {
		srcs = append(srcs, fmt.Sprintf("extern \"C\" __global__ void kernel(float* x) { x[threadIdx.x] += %d.0f; }\n", i))
		names = append(names, "kernel")
	}
	if err := d.precompile(srcs, names, 3); err != nil {
		t.Fatal(err)
	}
	arch, _ := n.target(80)
	for _, src := range srcs {
		a, err := n.compileCached(src, "kernel", arch)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := n.compileCached(src, "kernel", arch)
		if len(a) == 0 || &a[0] != &b[0] {
			t.Fatalf("a cached source compiled again")
		}
	}
	bad := "extern \"C\" __global__ void kernel(float* x) { x[0] = undefined_name; }\n"
	err := d.precompile([]string{srcs[0], bad}, []string{"kernel", "kernel"}, 2)
	if err == nil || !strings.Contains(err.Error(), "undefined_name") {
		t.Fatalf("precompile of a bad source: %v", err)
	}
	images.Lock()
	defer images.Unlock()
	if images.bytes <= 0 || len(images.m) < len(srcs) {
		t.Errorf("the cache holds %d images, %d bytes", len(images.m), images.bytes)
	}
}

// TestDiskImageCache checks the kernel images on disk: a compiled image is stored, and a
// new process (here: the memory cache emptied) that compiles the same source loads it
// without NVRTC, byte for byte; a file cut short or changed is compiled again and
// replaced; another architecture, NVRTC version or option is another file; CROSSBAR_CUDA_CACHE=off
// and a cache directory that cannot be made leave images in memory only; and past the
// bound the files used longest ago go, and temporary files an hour old.
func TestDiskImageCache(t *testing.T) {
	n := nvrtcForTest(t)
	counted := *n
	compiles := 0
	counted.compileProgram = func(prog uintptr, num int32, opts unsafe.Pointer) int32 {
		compiles++
		return n.compileProgram(prog, num, opts)
	}
	reset := func() {
		images.Lock()
		images.m, images.bytes = nil, 0
		images.Unlock()
		disk.Lock()
		disk.checked, disk.dir, disk.written = false, "", 0
		disk.Unlock()
	}
	t.Cleanup(reset)
	base := t.TempDir()
	t.Setenv(autotune.EnvCacheDir, base)
	dir := filepath.Join(base, "cuda-images")
	sm80, _ := n.target(80)
	sm90, _ := n.target(90)
	src := "extern \"C\" __global__ void kernel(float* x) { x[threadIdx.x] *= 3.0f; }\n"
	compile := func(src string, arch gpuArch, wantCompiles int) []byte {
		t.Helper()
		img, err := counted.compileCached(src, "kernel", arch)
		if err != nil {
			t.Fatal(err)
		}
		if compiles != wantCompiles {
			t.Fatalf("%d compilations by NVRTC, want %d", compiles, wantCompiles)
		}
		return img
	}
	sum := sha256.Sum256([]byte(src))
	file := filepath.Join(dir, n.diskKey(sum, sm80))
	stored := func(img []byte) {
		t.Helper()
		b, err := os.ReadFile(file)
		sum := sha256.Sum256(img)
		if err != nil || !bytes.Equal(b, append(sum[:], img...)) {
			t.Fatalf("the file holds %d bytes, want the image's sum and its %d bytes (%v)", len(b), len(img), err)
		}
	}

	reset()
	img := compile(src, sm80, 1)
	stored(img)
	reset()
	if again := compile(src, sm80, 1); !bytes.Equal(again, img) {
		t.Fatalf("the image from disk differs from the one compiled")
	}
	b, _ := os.ReadFile(file)
	for i, damage := range [][]byte{b[:len(b)-10], append(bytes.Clone(b[:len(b)-1]), b[len(b)-1]^1), b[:20]} {
		if err := os.WriteFile(file, damage, 0o644); err != nil {
			t.Fatal(err)
		}
		reset()
		if again := compile(src, sm80, 2+i); !bytes.Equal(again, img) {
			t.Fatalf("damage %d: the image compiled again differs", i)
		}
		stored(img)
	}
	reset()
	compile(src, sm90, 5)
	other := counted
	other.minor++
	keys := map[string]bool{n.diskKey(sum, sm80): true, n.diskKey(sum, sm90): true, other.diskKey(sum, sm80): true}
	opts := nvrtcOptions
	nvrtcOptions = append([]string{"-lineinfo"}, opts...)
	keys[n.diskKey(sum, sm80)] = true
	nvrtcOptions = opts
	if entries, _ := os.ReadDir(dir); len(entries) != 2 || len(keys) != 4 {
		t.Fatalf("%d files after two architectures, %d keys for four (architecture, NVRTC version, options)", len(entries), len(keys))
	}

	// Off, and a cache directory that is a file: compiled, not stored, no error.
	t.Setenv(EnvImageCache, "off")
	reset()
	src2 := strings.Replace(src, "3.0f", "5.0f", 1)
	compile(src2, sm80, 6)
	t.Setenv(EnvImageCache, "")
	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(autotune.EnvCacheDir, blocked)
	reset()
	compile(src2, sm80, 7)
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("%d files, want the 2 from before", len(entries))
	}

	// The trim: six images of 1,000 bytes used at one-minute intervals, the oldest then
	// loaded (used now), and two temporary files, one two hours old.
	trimDir := t.TempDir()
	var names []string
	for i := range 6 {
		name := fmt.Sprintf("image%d", i)
		storeDiskImage(trimDir, name, bytes.Repeat([]byte{byte(i)}, 1000))
		at := time.Now().Add(time.Duration(i-10) * time.Minute)
		if err := os.Chtimes(filepath.Join(trimDir, name), at, at); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if loadDiskImage(trimDir, names[0]) == nil {
		t.Fatalf("image0 does not load")
	}
	for _, tmp := range []string{".tmp-old", ".tmp-new"} {
		if err := os.WriteFile(filepath.Join(trimDir, tmp), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(filepath.Join(trimDir, ".tmp-old"), old, old); err != nil {
		t.Fatal(err)
	}
	saved := maxDiskImageBytes
	defer func() { maxDiskImageBytes = saved }()
	maxDiskImageBytes = 4000 // holds 3 of 1,032 bytes: the trim leaves 2 (3,000 bytes)
	trimDiskImages(trimDir)
	var left []string
	entries, _ := os.ReadDir(trimDir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{".tmp-new", "image0", "image5"}; !slices.Equal(left, want) {
		t.Fatalf("left after the trim: %v, want %v", left, want)
	}
}
