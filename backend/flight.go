package backend

import (
	"slices"
	"sync"

	"github.com/crossbar-compute/crossbar/graph"
)

// Realizations run concurrently: each holds flight's lock only to schedule its graph and to
// change the state of nodes (attach a buffer, release one), and compiles, copies and launches
// without it. Graphs of different realizations may share nodes (a tensor that goroutines
// build on at once), and two rules keep them apart:
//
//   - A node is computed by one realization at a time. One whose schedule would compute a
//     node that another is computing (a kernel's result, an upload of host data) waits for
//     that realization to end and schedules again, finding the node realized by then: it
//     neither computes the node twice nor replaces the buffer that the other's later kernels
//     read.
//   - A transient node read by a realization in flight is not released under it: its
//     readers are counted, and the last to be done with it releases it.
//
// Scheduling holds the lock because it reads the sources of unrealized nodes, which
// attaching a buffer drops. A realization waits only before it has claimed anything, for
// one that holds its claims until it ends, so no two wait for each other.
var flight = struct {
	sync.Mutex
	computing map[*graph.Node]*realization // unrealized nodes claimed by a realization
	readers   map[*graph.Node]int          // realized transient nodes: realizations reading them
}{computing: map[*graph.Node]*realization{}, readers: map[*graph.Node]int{}}

// A realization is one call of Realize in flight.
type realization struct {
	done    chan struct{} // made by the first to wait for it (under flight's lock), closed when it ends
	claimed []*graph.Node // the nodes it computes, claimed in flight.computing
	reads   []*graph.Node // the transient nodes it counts among their readers
}

// begin schedules nodes and claims what the schedule computes, first waiting for the
// realizations in flight that compute any of it.
func begin(nodes []*graph.Node) (*realization, []*graph.Kernel, error) {
	for {
		flight.Lock()
		kernels, err := graph.Schedule(nodes)
		if err != nil {
			flight.Unlock()
			return nil, nil, err
		}
		computes, reads := footprint(kernels, nodes)
		var other *realization
		for _, n := range computes {
			if other = flight.computing[n]; other != nil {
				break
			}
		}
		if other != nil {
			if other.done == nil {
				other.done = make(chan struct{})
			}
			done := other.done
			flight.Unlock()
			<-done
			continue
		}
		r := &realization{claimed: computes, reads: reads}
		for _, n := range computes {
			flight.computing[n] = r
		}
		for _, n := range reads {
			flight.readers[n]++
		}
		flight.Unlock()
		return r, kernels, nil
	}
}

// footprint returns what a schedule computes (the kernels' results and the host leaves not
// yet uploaded) and the realized transient nodes it reads.
func footprint(kernels []*graph.Kernel, nodes []*graph.Node) (computes, reads []*graph.Node) {
	// A kernel's result is neither a host leaf nor realized: only leaves can be either, and
	// a schedule has few, so lists serve where a set would cost more than it saves.
	leaf := func(n *graph.Node) {
		if n.Realized() == nil {
			if n.Op == graph.OpHost && !slices.Contains(computes, n) {
				computes = append(computes, n)
			}
		} else if n.Transient() && !slices.Contains(reads, n) {
			reads = append(reads, n)
		}
	}
	for _, n := range nodes {
		leaf(n)
	}
	for _, k := range kernels {
		computes = append(computes, k.Out)
		for _, in := range k.Inputs {
			leaf(in)
		}
	}
	return computes, reads
}

// end drops what r still claims and counts itself out of the readers of what it read, then
// wakes the realizations waiting for it.
func (r *realization) end() {
	flight.Lock()
	for _, n := range r.claimed {
		if flight.computing[n] == r {
			delete(flight.computing, n)
		}
	}
	for _, n := range r.reads {
		unread(n)
	}
	if r.done != nil {
		close(r.done)
	}
	flight.Unlock()
}

// unread counts a reader of n out. The caller holds flight's lock.
func unread(n *graph.Node) {
	if flight.readers[n]--; flight.readers[n] <= 0 {
		delete(flight.readers, n)
	}
}

// attach gives n, which r computed, its storage: n is realized, and no longer r's claim.
func (r *realization) attach(n *graph.Node, st *Storage) {
	flight.Lock()
	n.SetRealized(st)
	if flight.computing[n] == r {
		delete(flight.computing, n)
	}
	flight.Unlock()
}

// release frees the buffer of n, a transient node r is done reading, unless another
// realization in flight still reads it (it releases the buffer when done).
func (r *realization) release(n *graph.Node) {
	flight.Lock()
	if i := slices.Index(r.reads, n); i >= 0 {
		r.reads = slices.Delete(r.reads, i, i+1)
		unread(n)
	}
	var st *Storage
	if flight.readers[n] == 0 {
		st, _ = n.Release().(*Storage)
	}
	flight.Unlock()
	if st != nil {
		_ = st.Free()
	}
}
