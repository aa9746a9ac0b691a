package backend_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/crossbar-compute/crossbar/backend"
	_ "github.com/crossbar-compute/crossbar/backend/cpu" // registers "cpu"
	"github.com/crossbar-compute/crossbar/graph"
)

// A framework opens a device by name, realizes nodes on it (each kernel compiled once per
// structure and device, then cached) and reads the results back as little-endian bytes.
func ExampleRealize() {
	dev, err := backend.Open("cpu")
	if err != nil {
		panic(err)
	}
	data := make([]byte, 4*4)
	for i, v := range []float32{1, 2, 3, 4} {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
	}
	x, err := graph.Host(graph.Float32, []int{2, 2}, data)
	if err != nil {
		panic(err)
	}
	y, err := graph.Contract(x, x) // x·x
	if err != nil {
		panic(err)
	}
	if err := backend.Realize(dev, y); err != nil {
		panic(err)
	}
	out, err := backend.Read(dev, y)
	if err != nil {
		panic(err)
	}
	vals := make([]float32, 4)
	for i := range vals {
		vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(out[4*i:]))
	}
	fmt.Println(vals)

	// A device that is not present is ErrUnavailable, with what was looked for.
	_, err = backend.Open("nonexistent")
	fmt.Println(errors.Is(err, backend.ErrUnavailable))
	// Output:
	// [7 10 15 22]
	// true
}
