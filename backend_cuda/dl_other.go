//go:build !((linux || darwin || freebsd || netbsd) && !android)

package backend_cuda

import (
	"errors"
	"runtime"
)

// Where purego cannot load shared libraries, every load fails and the backend has no
// devices.
var errNoDlopen = errors.New("loading shared libraries is not supported on " + runtime.GOOS)

func dlopen(string) (uintptr, error) { return 0, errNoDlopen }

func dlsym(uintptr, string) (uintptr, error) { return 0, errNoDlopen }
