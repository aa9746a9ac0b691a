package backend

import "sync"

// programs is the program cache: one program per key (programKey, subgraphKey), compiled
// once however many realizations ask for it at once, and the verdicts of devices on what
// they cannot do (CheckKernel's, and subgraphs a device could not compile).
var programs = &programCache{m: map[string]*compilation{}, verdicts: map[string]error{}}

type programCache struct {
	mu       sync.Mutex
	m        map[string]*compilation
	verdicts map[string]error
}

// A compilation is a cache entry: done is closed once compile has returned p and err
// (returned is set) or panicked.
type compilation struct {
	done     chan struct{}
	p        Program
	err      error
	returned bool
}

// get returns the program under key, calling compile on a miss (or the verdict kept under
// key). A caller that asks while another compiles the key waits for that compilation and
// shares its result; a failed compilation is not kept, so that a later realization tries
// again (a device short of memory may have room by then).
func (c *programCache) get(key string, compile func() (Program, error)) (Program, error) {
	c.mu.Lock()
	if err, ok := c.verdicts[key]; ok {
		c.mu.Unlock()
		return nil, err
	}
	if e, ok := c.m[key]; ok {
		c.mu.Unlock()
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
	e := &compilation{done: make(chan struct{})}
	c.m[key] = e
	c.mu.Unlock()
	defer func() {
		// Also when compile panics: the waiters must not wait for ever.
		if !e.returned || e.err != nil {
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

// verdict returns the verdict kept under key, if any.
func (c *programCache) verdict(key string) (err error, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	err, ok = c.verdicts[key]
	return err, ok
}

// judge keeps err as the verdict under key.
func (c *programCache) judge(key string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.verdicts[key] = err
}
