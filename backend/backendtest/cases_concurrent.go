package backendtest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/crossbar-compute/crossbar/tensor"
)

// concurrent computes the fused cases from several goroutines at once, as programs that
// share tensors between goroutines do (a tensor is safe for concurrent use): the goroutines
// of a case realize its one result tensor, and tensors built on it, all at the same time,
// while the other cases' goroutines do the same. Every result must match the reference, as
// when computed alone, and the device's calls (compilations, copies, launches) then come
// from several goroutines at once.
func (s *suite) concurrent(t *testing.T) {
	dts := s.only(refFloat32, refFloat64, refFloat16)
	if len(dts) == 0 {
		t.Logf("no float dtype on %s: no concurrent cases", s.dev.Name())
		return
	}
	dt := dts[0]
	s.run(t, fmt.Sprintf("fused/%v", dt), func(c *tc) {
		const perCase = 4 // goroutines per case: two read the result, two its negation
		type job struct {
			name   string
			ins    []operand
			got    *tensor.Tensor
			want   *refArray
			tl     tol
			negGot *tensor.Tensor
		}
		var jobs []*job
		for _, fc := range fusedCases() {
			if !s.fusedApplies(fc, dt) {
				continue
			}
			j := &job{name: fc.name}
			j.ins, j.got, j.want, j.tl = fc.build(c, dt)
			j.negGot = j.got.Neg()
			jobs = append(jobs, j)
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, j := range jobs {
			for g := range perCase {
				wg.Go(func() {
					<-start
					x := j.got
					if g%2 == 1 {
						x = j.negGot
					}
					// A realization error shows again when the result is read below.
					_ = x.Realize()
				})
			}
		}
		close(start)
		wg.Wait()
		for _, j := range jobs {
			c.check(j.name, j.ins, j.got, j.want, j.tl)
			c.check("Neg("+j.name+")", j.ins, j.negGot, refUnary("Neg", j.want), j.tl)
		}
	})
}
