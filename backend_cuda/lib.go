package backend_cuda

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/ebitengine/purego"
)

// libDirs are the standard places of the Nvidia libraries, in search order: the Debian
// multiarch directory of this architecture, the other usual library directories, the
// CUDA toolkit's, and WSL's. The working directory is never searched.
func libDirs() []string {
	multi := map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu", "ppc64le": "powerpc64le-linux-gnu"}[runtime.GOARCH]
	var dirs []string
	if multi != "" {
		dirs = append(dirs, "/usr/lib/"+multi, "/lib/"+multi, "/usr/lib/"+multi+"/nvidia/current")
	}
	dirs = append(dirs, "/usr/lib64", "/usr/lib", "/usr/local/cuda/lib64", "/usr/local/cuda/targets/"+
		map[string]string{"amd64": "x86_64-linux", "arm64": "sbsa-linux"}[runtime.GOARCH]+"/lib", "/opt/cuda/lib64",
		"/usr/lib/wsl/lib")
	return dirs
}

// openLib loads the first library found: the file named by the environment variable env
// when set (and then only that), else each name in the standard directories, else each
// name through the dynamic loader's own search (ld.so.cache, LD_LIBRARY_PATH). The error
// lists every path tried and why it failed.
func openLib(env string, names ...string) (handle uintptr, path string, err error) {
	var tried []string
	try := func(p string) bool {
		h, err := dlopen(p)
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s (%v)", p, shortErr(err)))
			return false
		}
		handle, path = h, p
		return true
	}
	if p := os.Getenv(env); p != "" {
		if !filepath.IsAbs(p) {
			return 0, "", fmt.Errorf("%s=%q is not an absolute path (the working directory is never searched)", env, p)
		}
		if try(p) {
			return handle, path, nil
		}
		return 0, "", fmt.Errorf("%s: tried %s", env, strings.Join(tried, ", "))
	}
	for _, n := range names {
		for _, d := range libDirs() {
			p := filepath.Join(d, n)
			if _, err := os.Stat(p); err != nil {
				tried = append(tried, p)
				continue
			}
			if try(p) {
				return handle, path, nil
			}
		}
	}
	for _, n := range names {
		if try(n) {
			return handle, path, nil
		}
	}
	return 0, "", fmt.Errorf("%s not found (set %s to its path); tried %s", names[0], env, strings.Join(tried, ", "))
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && len(s)-i < 80 {
		return s[i+2:]
	}
	return s
}

// symbols binds each Go function pointer to the library symbol of the same key; a
// missing symbol is an error, never a panic.
func bind(handle uintptr, lib string, syms map[string]any) error {
	var missing []string
	for name, fptr := range syms {
		addr, err := dlsym(handle, name)
		if err != nil || addr == 0 {
			missing = append(missing, name)
			continue
		}
		purego.RegisterFunc(fptr, addr)
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s lacks %s", lib, strings.Join(missing, ", "))
	}
	return nil
}

// goString copies a NUL-terminated C string of at most n bytes.
func goString(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// forDriver orders sonames (newest first, "libnvrtc.so.12") for a driver of CUDA version
// cuda (12040: 12.4; 0: unknown, the order kept): the releases the driver supports first,
// newest first, then the newer ones. A library newer than the driver makes code the
// driver cannot load (CUDA 13's NVRTC and cuBLAS need a CUDA 13 driver), so it is the
// last resort rather than the first choice.
func forDriver(names []string, cuda int) []string {
	if cuda <= 0 {
		return names
	}
	var ok, newer []string
	for _, n := range names {
		_, v, _ := strings.Cut(n, ".so.")
		major, _, _ := strings.Cut(v, ".")
		if m, err := strconv.Atoi(major); err == nil && m > cuda/1000 {
			newer = append(newer, n)
		} else {
			ok = append(ok, n)
		}
	}
	return append(ok, newer...)
}
