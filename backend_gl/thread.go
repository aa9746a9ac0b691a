package backend_gl

import "runtime"

// glThread runs every GL call on one locked OS thread, where the context is current: GL
// contexts belong to a thread, and Go moves goroutines between threads.
type glThread struct {
	calls chan func()
}

// startThread starts the thread and runs setup on it first. When setup fails, the thread
// ends (and takes whatever setup left on it with it).
func startThread(setup func() error) (*glThread, error) {
	t := &glThread{calls: make(chan func())}
	ready := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread keeps the context until exit
		if err := setup(); err != nil {
			ready <- err
			return
		}
		ready <- nil
		for f := range t.calls {
			f()
		}
	}()
	if err := <-ready; err != nil {
		return nil, err
	}
	return t, nil
}

// do runs f on the GL thread and waits for it.
func (t *glThread) do(f func()) {
	done := make(chan struct{})
	t.calls <- func() {
		defer close(done)
		f()
	}
	<-done
}
