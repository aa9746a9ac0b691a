package autotune

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSpaceValidate(t *testing.T) {
	prior := Config{"a": 1, "b": 2}
	tests := []struct {
		name  string
		space Space
		want  string // substring of the error; "" for none
	}{
		{"ok", Space{Knobs: []Knob{{"a", []int{1, 2}}, {"b", []int{2, 4}}}, Prior: prior}, ""},
		{"prior off the grid", Space{Knobs: []Knob{{"a", []int{4, 8}}, {"b", []int{8}}}, Prior: prior}, ""},
		{"no knobs", Space{Prior: prior}, "no knobs"},
		{"no prior", Space{Knobs: []Knob{{"a", []int{1}}, {"b", []int{2}}}}, "no prior"},
		{"empty name", Space{Knobs: []Knob{{"", []int{1}}}, Prior: prior}, "empty knob name"},
		{"bad name", Space{Knobs: []Knob{{"a,b", []int{1}}}, Prior: prior}, "only letters"},
		{"duplicate", Space{Knobs: []Knob{{"a", []int{1}}, {"a", []int{2}}}, Prior: prior}, "given twice"},
		{"no values", Space{Knobs: []Knob{{"a", nil}, {"b", []int{2}}}, Prior: prior}, "no values"},
		{"unsorted", Space{Knobs: []Knob{{"a", []int{2, 1}}, {"b", []int{2}}}, Prior: prior}, "strictly increasing"},
		{"repeated value", Space{Knobs: []Knob{{"a", []int{1, 1}}, {"b", []int{2}}}, Prior: prior}, "strictly increasing"},
		{"prior misses knob", Space{Knobs: []Knob{{"a", []int{1}}, {"b", []int{2}}, {"c", []int{3}}}, Prior: prior}, "does not set knob c"},
		{"prior extra knob", Space{Knobs: []Knob{{"a", []int{1}}}, Prior: prior}, "not a knob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.space.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate(%+v) = %v, want nil", tt.space, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "autotune: ") {
				t.Fatalf("Validate(%+v) = %v, want an autotune error containing %q", tt.space, err, tt.want)
			}
		})
	}
}

func TestSpaceNeighbours(t *testing.T) {
	sp := Space{Knobs: []Knob{{"a", []int{1, 2, 4}}, {"b", []int{8, 16, 32}}}}
	tests := []struct {
		c    Config
		want []string
	}{
		{Config{"a": 2, "b": 16}, []string{"a=1,b=16", "a=4,b=16", "a=2,b=8", "a=2,b=32"}},
		{Config{"a": 1, "b": 32}, []string{"a=2,b=32", "a=1,b=16"}},
		// Off the grid: the nearest grid values on either side; beyond it: the last one.
		{Config{"a": 3, "b": 64}, []string{"a=2,b=64", "a=4,b=64", "a=3,b=32"}},
		{Config{"a": 0, "b": 8}, []string{"a=1,b=8", "a=0,b=16"}},
	}
	for _, tt := range tests {
		var got []string
		for _, n := range sp.Neighbours(tt.c) {
			got = append(got, n.String())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Neighbours(%s) = %v, want %v", tt.c, got, tt.want)
		}
	}
}

func TestSpaceSizeAllowsAll(t *testing.T) {
	sp := tileSpace()
	if got := sp.Size(); got != 400 {
		t.Errorf("Size = %d, want 400", got)
	}
	n, valid := 0, 0
	sp.all(func(c Config) bool {
		n++
		if sp.Allows(c) {
			valid++
		}
		return true
	})
	if n != 400 || valid == 0 || valid == 400 {
		t.Errorf("all visited %d points, %d valid; want 400 with some but not all valid", n, valid)
	}
	if sp.Allows(Config{"BlockM": 64, "BlockN": 64, "BlockK": 16}) {
		t.Errorf("Allows accepted a configuration missing a knob")
	}
	if sp.Allows(Config{"BlockM": 48, "BlockN": 64, "BlockK": 16, "Unroll": 1}) {
		t.Errorf("Allows accepted a value off the grid")
	}
	sp.Valid = func(Config) bool { panic("faulty predicate") }
	if sp.Allows(sp.Prior) {
		t.Errorf("Allows accepted a configuration whose predicate panicked")
	}
	big := Space{}
	for range 64 {
		big.Knobs = append(big.Knobs, Knob{"k", []int{1, 2, 3, 4}})
	}
	if got := big.Size(); got != math.MaxInt {
		t.Errorf("Size of 4^64 points = %d, want MaxInt", got)
	}
}

func TestConfigString(t *testing.T) {
	c := Config{"NC": 4096, "KC": 256, "MC": 96, "Threads": -1}
	const want = "KC=256,MC=96,NC=4096,Threads=-1"
	if got := c.String(); got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
	back, err := ParseConfig(want)
	if err != nil || !back.Equal(c) {
		t.Fatalf("ParseConfig(%q) = %v, %v; want %v", want, back, err, c)
	}
	if empty, err := ParseConfig(""); err != nil || len(empty) != 0 {
		t.Errorf("ParseConfig(\"\") = %v, %v; want empty", empty, err)
	}
	for _, bad := range []string{"a", "a=x", "a=1,a=2", "=1", "a b=1", "a=1,"} {
		if _, err := ParseConfig(bad); err == nil || !strings.HasPrefix(err.Error(), "autotune: parse config") {
			t.Errorf("ParseConfig(%q) error = %v, want one naming the operation", bad, err)
		}
	}
	d := c.Clone()
	d["MC"] = 1
	if c["MC"] != 96 || c.Equal(d) {
		t.Errorf("Clone shares storage with the original")
	}
}

func TestBucket(t *testing.T) {
	tests := []struct{ in, want []int }{
		{[]int{0, 1, 2, 3, 7, 8}, []int{0, 1, 2, 3, 7, 8}},
		{[]int{9, 10, 11, 12, 13, 15, 16, 17}, []int{10, 10, 12, 12, 14, 16, 16, 20}},
		{[]int{100, 1000, 1024, 1025, 1760, 3072, 35}, []int{112, 1024, 1024, 1280, 1792, 3072, 40}},
		{[]int{}, []int{}},
	}
	for _, tt := range tests {
		got, err := Bucket(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Bucket(%v) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	// Every dimension lands in a bucket at most 25% above it, and buckets are idempotent.
	for d := 9; d < 5000; d++ {
		b := bucketDim(d)
		if b < d || float64(b) > 1.25*float64(d) || bucketDim(b) != b {
			t.Fatalf("bucket of %d is %d (bucket of that %d)", d, b, bucketDim(b))
		}
	}
	if got := bucketDim(math.MaxInt); got != math.MaxInt {
		t.Errorf("bucket of MaxInt = %d, want itself", got)
	}
	if _, err := Bucket([]int{4, -1}); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("Bucket of a negative dimension: error %v, want one", err)
	}
}

// TestSpaceCovering checks Covering on a space of three knobs whose validity couples two of
// them: every value (and with pairs every pair) of the valid configurations is in a taken
// one, none is left uncovered, a refused configuration is not counted as covering, and the
// same seed gives the same sample.
func TestSpaceCovering(t *testing.T) {
	s := Space{
		Knobs: []Knob{{Name: "A", Values: []int{1, 2, 4, 8}}, {Name: "B", Values: []int{1, 2, 3}}, {Name: "C", Values: []int{0, 1}}},
		Valid: func(c Config) bool { return c["A"]*c["B"] <= 12 },
	}
	for _, pairs := range []bool{false, true} {
		// B = 3 with C = 1 is refused by the taker: a pair only such configurations have is
		// left uncovered, as is nothing else.
		refuse := func(c Config) bool { return !(c["B"] == 3 && c["C"] == 1) }
		taken, valid, left := s.Covering(pairs, 7, refuse)
		again, _, _ := s.Covering(pairs, 7, refuse)
		if len(taken) != len(again) {
			t.Fatalf("pairs %v: %d then %d configurations from one seed", pairs, len(taken), len(again))
		}
		for i := range taken {
			if !taken[i].Equal(again[i]) {
				t.Fatalf("pairs %v: %v then %v from one seed", pairs, taken[i], again[i])
			}
		}
		if valid != 4*3*2-2*2 { // A=8 with B=2 or 3
			t.Errorf("pairs %v: %d valid configurations", pairs, valid)
		}
		has := func(f func(Config) bool) bool {
			for _, c := range taken {
				if !refuse(c) || !s.Valid(c) {
					t.Fatalf("pairs %v: took %v", pairs, c)
				}
				if f(c) {
					return true
				}
			}
			return false
		}
		missing := 0
		for _, a := range s.Knobs {
			for _, va := range a.Values {
				for _, b := range s.Knobs {
					for _, vb := range b.Values {
						if !pairs && (b.Name != a.Name || vb != va) || pairs && b.Name <= a.Name {
							continue
						}
						possible, possibleRefused := false, false
						s.all(func(c Config) bool {
							if c[a.Name] == va && c[b.Name] == vb && s.Valid(c) {
								if refuse(c) {
									possible = true
								} else {
									possibleRefused = true
								}
							}
							return true
						})
						if got := has(func(c Config) bool { return c[a.Name] == va && c[b.Name] == vb }); got != possible {
							t.Errorf("pairs %v: %s=%d, %s=%d covered %v, takeable %v", pairs, a.Name, va, b.Name, vb, got, possible)
						}
						if !possible && possibleRefused {
							missing++
						}
					}
				}
			}
		}
		if left != missing {
			t.Errorf("pairs %v: %d left uncovered, want %d", pairs, left, missing)
		}
		t.Logf("pairs %v: %d of %d valid configurations taken, %d left", pairs, len(taken), valid, left)
	}
}
