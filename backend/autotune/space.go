package autotune

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// A Knob is one tunable parameter of a kernel and the values the search may give it, in
// increasing order: "adjacent" values are neighbours in this list.
type Knob struct {
	Name   string
	Values []int
}

// A Space is what a kernel family offers to the tuner: its knobs, a predicate that rejects
// configurations the device cannot compile or run (too much shared memory, too many
// registers, a tile larger than a workgroup allows), and the analytic prior.
type Space struct {
	Knobs []Knob

	// Valid reports whether the device can run c; nil accepts every configuration. It must
	// be cheap: the search calls it before measuring anything.
	Valid func(Config) bool

	// Prior is the family's analytic choice (for CPU GEMM the BLIS blocking, for GPU tiles an
	// occupancy model). It sets every knob, but its values need not be on the grid of
	// Values: during a search an off-grid value joins its knob's grid. It is always measured
	// first, and it is the answer whenever tuning is off, fails, or finds nothing better.
	Prior Config
}

// Validate checks that the space is well formed: named knobs, each once, with values in
// strictly increasing order, and a prior that sets exactly these knobs.
func (s *Space) Validate() error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("autotune: %w", err)
	}
	return nil
}

func (s *Space) validate() error {
	if len(s.Knobs) == 0 {
		return fmt.Errorf("space has no knobs")
	}
	seen := make(map[string]bool, len(s.Knobs))
	for _, k := range s.Knobs {
		if err := checkKnobName(k.Name); err != nil {
			return fmt.Errorf("space: %w", err)
		}
		if seen[k.Name] {
			return fmt.Errorf("space: knob %s given twice", k.Name)
		}
		seen[k.Name] = true
		if len(k.Values) == 0 {
			return fmt.Errorf("space: knob %s has no values", k.Name)
		}
		for i := 1; i < len(k.Values); i++ {
			if k.Values[i] <= k.Values[i-1] {
				return fmt.Errorf("space: knob %s: values %v are not strictly increasing", k.Name, k.Values)
			}
		}
	}
	if s.Prior == nil {
		return fmt.Errorf("space has no prior")
	}
	for _, k := range s.Knobs {
		if _, ok := s.Prior[k.Name]; !ok {
			return fmt.Errorf("space: prior %s does not set knob %s", s.Prior, k.Name)
		}
	}
	for n := range s.Prior {
		if !seen[n] {
			return fmt.Errorf("space: prior %s sets %s, which is not a knob", s.Prior, n)
		}
	}
	return nil
}

// Size returns the number of grid points (before the validity predicate), saturating at
// math.MaxInt.
func (s *Space) Size() int {
	n := 1
	for _, k := range s.Knobs {
		if len(k.Values) == 0 {
			return 0
		}
		if n > math.MaxInt/len(k.Values) {
			return math.MaxInt
		}
		n *= len(k.Values)
	}
	return n
}

// Allows reports whether c sets exactly the space's knobs to values of their grids and
// passes the validity predicate. The prior may lie off the grid; Allows is about candidates.
func (s *Space) Allows(c Config) bool {
	if len(c) != len(s.Knobs) {
		return false
	}
	for _, k := range s.Knobs {
		v, ok := c[k.Name]
		if !ok {
			return false
		}
		if _, found := slices.BinarySearch(k.Values, v); !found {
			return false
		}
	}
	return s.valid(c)
}

// Fits reports whether c sets exactly the space's knobs, whatever the values; a cached
// configuration that does not fit was made for another version of the kernel family.
func (s *Space) Fits(c Config) bool {
	if len(c) != len(s.Knobs) {
		return false
	}
	for _, k := range s.Knobs {
		if _, ok := c[k.Name]; !ok {
			return false
		}
	}
	return true
}

// valid runs the predicate, counting a panic in it as a rejection: a faulty predicate must
// not take the tuning call down.
func (s *Space) valid(c Config) (ok bool) {
	if s.Valid == nil {
		return true
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return s.Valid(c)
}

// Neighbours returns the configurations that differ from c in one knob moved to the
// adjacent value below or above, in knob order, below before above. A value off the grid
// moves to the nearest grid values on either side. Neither the validity predicate nor
// duplicates are filtered here.
func (s *Space) Neighbours(c Config) []Config {
	var out []Config
	for _, k := range s.Knobs {
		v, ok := c[k.Name]
		if !ok {
			continue
		}
		i, found := slices.BinarySearch(k.Values, v)
		lo, hi := i-1, i
		if found {
			hi = i + 1
		}
		if lo >= 0 {
			n := c.Clone()
			n[k.Name] = k.Values[lo]
			out = append(out, n)
		}
		if hi < len(k.Values) {
			n := c.Clone()
			n[k.Name] = k.Values[hi]
			out = append(out, n)
		}
	}
	return out
}

// all calls yield for every grid point in odometer order (the last knob fastest), until
// yield returns false.
func (s *Space) all(yield func(Config) bool) {
	idx := make([]int, len(s.Knobs))
	for {
		c := make(Config, len(s.Knobs))
		for i, k := range s.Knobs {
			c[k.Name] = k.Values[idx[i]]
		}
		if !yield(c) {
			return
		}
		i := len(idx) - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < len(s.Knobs[i].Values) {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

// Covering picks valid configurations of s until every value of every knob (with pairs,
// every pair of values of two knobs) that some valid configuration has is in a picked one:
// a sample for smoke tests of a space's kernels, in which a faulty knob value, or a faulty
// combination of two, shows. It goes through the valid configurations in an order drawn
// from seed and offers take each one that covers something not yet covered; take reports
// whether it took it (false: the configuration does not suit the caller, such as one a
// template refuses for the caller's shapes). It returns the configurations taken, the
// number of valid configurations, and the number of values (or pairs) left uncovered. It
// walks the whole grid, so it is for spaces of up to a few million points.
func (s *Space) Covering(pairs bool, seed uint64, take func(Config) bool) (taken []Config, valid, uncovered int) {
	var configs []Config
	s.all(func(c Config) bool {
		if s.valid(c) {
			configs = append(configs, c)
		}
		return true
	})
	rand.New(rand.NewPCG(seed, uint64(len(s.Knobs)))).Shuffle(len(configs), func(i, j int) {
		configs[i], configs[j] = configs[j], configs[i]
	})
	// A value is (knob, value, -1, 0); a pair (knob, value, later knob, value).
	covered := func(c Config) [][4]int {
		var out [][4]int
		for i, a := range s.Knobs {
			if !pairs {
				out = append(out, [4]int{i, c[a.Name], -1, 0})
				continue
			}
			for j := i + 1; j < len(s.Knobs); j++ {
				out = append(out, [4]int{i, c[a.Name], j, c[s.Knobs[j].Name]})
			}
		}
		return out
	}
	todo := map[[4]int]bool{}
	for _, c := range configs {
		for _, p := range covered(c) {
			todo[p] = true
		}
	}
	for _, c := range configs {
		if len(todo) == 0 {
			break
		}
		ps := covered(c)
		if !slices.ContainsFunc(ps, func(p [4]int) bool { return todo[p] }) || !take(c) {
			continue
		}
		for _, p := range ps {
			delete(todo, p)
		}
		taken = append(taken, c)
	}
	return taken, len(configs), len(todo)
}
