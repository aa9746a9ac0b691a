package autotune

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A Config is one point of a search space: a value for every knob, by knob name. Its JSON
// form is an object whose keys encoding/json sorts, so it is as stable as String.
type Config map[string]int

// String returns the canonical form "name=value,name=value" with names in lexical order;
// two equal configurations always have the same string, so it serves as a map key.
func (c Config) String() string {
	names := make([]string, 0, len(c))
	for n := range c {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteByte('=')
		b.WriteString(strconv.Itoa(c[n]))
	}
	return b.String()
}

// Clone returns a copy that can be changed without changing c.
func (c Config) Clone() Config {
	if c == nil {
		return nil
	}
	d := make(Config, len(c))
	for n, v := range c {
		d[n] = v
	}
	return d
}

// Equal reports whether c and d set the same knobs to the same values.
func (c Config) Equal(d Config) bool {
	if len(c) != len(d) {
		return false
	}
	for n, v := range c {
		if w, ok := d[n]; !ok || w != v {
			return false
		}
	}
	return true
}

// ParseConfig reads the form written by Config.String. The empty string is the empty
// configuration.
func ParseConfig(s string) (Config, error) {
	c := Config{}
	if s == "" {
		return c, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("autotune: parse config %q: %q is not name=value", s, part)
		}
		if err := checkKnobName(name); err != nil {
			return nil, fmt.Errorf("autotune: parse config %q: %w", s, err)
		}
		v, err := strconv.Atoi(val)
		if err != nil {
			return nil, fmt.Errorf("autotune: parse config %q: knob %s: %w", s, name, err)
		}
		if _, dup := c[name]; dup {
			return nil, fmt.Errorf("autotune: parse config %q: knob %s given twice", s, name)
		}
		c[name] = v
	}
	return c, nil
}

// checkKnobName keeps names to characters that cannot collide with the separators of the
// canonical string.
func checkKnobName(name string) error {
	if name == "" {
		return fmt.Errorf("empty knob name")
	}
	for _, r := range name {
		ok := r == '_' || r == '.' || r == '-' ||
			('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
		if !ok {
			return fmt.Errorf("knob name %q: only letters, digits, '_', '.' and '-' are allowed", name)
		}
	}
	return nil
}
