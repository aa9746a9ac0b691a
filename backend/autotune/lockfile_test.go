package autotune

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Whichever lock this platform uses for appends, the portable one must exclude too.
func TestLockByFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), CacheFile)
	var inside, overlaps atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				unlock, err := lockByFile(path)
				if err != nil {
					t.Error(err)
					return
				}
				if inside.Add(1) != 1 {
					overlaps.Add(1)
				}
				time.Sleep(10 * time.Microsecond)
				inside.Add(-1)
				unlock()
			}
		})
	}
	wg.Wait()
	if n := overlaps.Load(); n != 0 {
		t.Errorf("%d times two holders of the lock at once", n)
	}

	// A lock left by a writer that died is taken over.
	stale := path + ".lock"
	if err := os.WriteFile(stale, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * lockStale)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	unlock, err := lockByFile(path)
	if err != nil {
		t.Fatalf("stale lock not taken over: %v", err)
	}
	unlock()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("unlock left the lock file: %v", err)
	}
}
