package backend_cuda

import (
	"fmt"
	"strings"
	"testing"
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
