//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package autotune

import "os"

// lockFile takes the portable lock-file lock next to f.
func lockFile(f *os.File) (unlock func(), err error) {
	return lockByFile(f.Name())
}
