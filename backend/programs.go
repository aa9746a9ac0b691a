package backend

import (
	"errors"
	"sync"
)

// programs is the program cache: one program per key (programKey, subgraphKey), compiled
// once however many realizations ask for it at once, and the verdicts of devices on the
// kernels they cannot do.
var programs = &programCache{m: map[string]*compilation{}, checks: map[string]error{}}

type programCache struct {
	mu     sync.Mutex
	m      map[string]*compilation
	checks map[string]error // CheckKernel's verdicts
}

// A compilation is a cache entry: done is closed once compile has returned p and err
// (returned is set) or panicked.
type compilation struct {
	done     chan struct{}
	p        Program
	err      error
	returned bool
}

// get returns the program under key, calling compile on a miss. A caller that asks while
// another compiles the key waits for that compilation and shares its result. A failure that
// wraps ErrUnsupported is kept, as the device's verdict on the kernel (or subgraph), which
// is not asked again; other failures are not, so that a later realization tries again (a
// device short of memory may have room by then).
func (c *programCache) get(key string, compile func() (Program, error)) (Program, error) {
	c.mu.Lock()
	e, found := c.m[key]
	if !found {
		e = &compilation{done: make(chan struct{})}
		c.m[key] = e
	}
	c.mu.Unlock()
	if found {
		<-e.done
		if !e.returned {
			return c.get(key, compile) // it panicked, and is out of the cache: compile anew
		}
		if e.err != nil {
			return nil, e.err
		}
		nHits.Add(1)
		return e.p, nil
	}
	defer func() {
		// Also when compile panics: the waiters must not wait for ever.
		if !e.returned || e.err != nil && !errors.Is(e.err, ErrUnsupported) {
			c.mu.Lock()
			delete(c.m, key)
			c.mu.Unlock()
		}
		close(e.done)
	}()
	e.p, e.err = compile()
	e.returned = true
	if e.err == nil {
		nCompiles.Add(1)
	}
	return e.p, e.err
}

// check returns the verdict of CheckKernel (ask) kept under key, asking on a miss.
func (c *programCache) check(key string, ask func() error) error {
	c.mu.Lock()
	err, ok := c.checks[key]
	c.mu.Unlock()
	if ok {
		return err
	}
	err = ask()
	c.mu.Lock()
	c.checks[key] = err
	c.mu.Unlock()
	return err
}
