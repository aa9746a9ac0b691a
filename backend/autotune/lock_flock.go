//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package autotune

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f, which waits for the other processes and
// goroutines appending to the same file.
func lockFile(f *os.File) (unlock func(), err error) {
	fd := int(f.Fd())
	for {
		err = syscall.Flock(fd, syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	return func() { syscall.Flock(fd, syscall.LOCK_UN) }, nil
}
