package cpu

import (
	"runtime"
	"testing"
	"weak"

	"github.com/crossbar-compute/crossbar/graph"
)

// TestProgramKeepsNoInputs checks that a compiled program, which the executor caches for as
// long as the process runs, does not keep the nodes (and so the data) of the graph it was
// compiled for.
func TestProgramKeepsNoInputs(t *testing.T) {
	in, err := graph.Host(graph.Float32, []int{1 << 16}, make([]byte, 4<<16))
	if err != nil {
		t.Fatal(err)
	}
	y, err := graph.Unary(graph.OpExp, in)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := graph.Schedule([]*graph.Node{y})
	if err != nil {
		t.Fatal(err)
	}
	p, err := compile(ks[0])
	if err != nil {
		t.Fatal(err)
	}
	w := weak.Make(in)
	in, y, ks = nil, nil, nil
	for range 3 {
		runtime.GC()
	}
	if w.Value() != nil {
		t.Error("the compiled program keeps its graph's input alive")
	}
	runtime.KeepAlive(p)
}
