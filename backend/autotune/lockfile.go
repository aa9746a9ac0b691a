package autotune

import (
	"errors"
	"io/fs"
	"os"
	"time"
)

// lockByFile is the portable lock, used where flock is missing: creating path+".lock" with
// O_EXCL succeeds for one writer at a time. A lock file older than lockStale was left by a
// writer that died, and is taken over; after lockWait the caller goes on without the lock
// (see appendLine). It lives in a file without build tags so that every platform tests it.
const (
	lockStale = 10 * time.Second
	lockWait  = 2 * time.Second
)

func lockByFile(path string) (unlock func(), err error) {
	name := path + ".lock"
	deadline := time.Now().Add(lockWait)
	for {
		l, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			l.Close()
			return func() { os.Remove(name) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		// Two writers that find the same stale lock may both remove it, and one may then
		// remove the other's fresh lock: the cost is an append without the lock, which is
		// still a single write.
		if fi, err := os.Stat(name); err == nil && time.Since(fi.ModTime()) > lockStale {
			os.Remove(name)
			continue
		}
		if time.Now().After(deadline) {
			return nil, err
		}
		time.Sleep(time.Millisecond)
	}
}
