package backend

import (
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// A Backend is one vendor's runtime: it finds that vendor's devices.
type Backend interface {
	// Name is the prefix of its devices' names: "cpu", "cuda", "gl", ...
	Name() string
	// Priority orders backends for Default: the present device of the highest priority wins.
	Priority() int
	// Devices returns the devices present. With none, the error wraps ErrUnavailable and says
	// what was looked for and where.
	Devices() ([]Device, error)
}

var (
	regMu    sync.Mutex
	backends []Backend
)

// Register adds a backend; packages call it from init. Registering a name twice panics,
// as it is a programming error in the importing binary, not bad input.
func Register(b Backend) {
	regMu.Lock()
	defer regMu.Unlock()
	for _, o := range backends {
		if o.Name() == b.Name() {
			panic("backend: Register called twice for " + b.Name())
		}
	}
	backends = append(backends, b)
	sort.SliceStable(backends, func(i, j int) bool { return backends[i].Priority() > backends[j].Priority() })
}

// Backends returns the registered backends, highest priority first.
func Backends() []Backend {
	regMu.Lock()
	defer regMu.Unlock()
	return append([]Backend(nil), backends...)
}

// Devices returns every device of every registered backend that is present, best first.
func Devices() []Device {
	var out []Device
	for _, b := range Backends() {
		ds, err := b.Devices()
		if err == nil {
			out = append(out, ds...)
		}
	}
	return out
}

// Open returns the device with the given name: "cpu", "cuda" (its first device), "cuda:1",
// or a longer name that a backend gives its devices ("pjrt:cuda:0"; "pjrt:cuda" is the first
// of those).
func Open(name string) (Device, error) {
	prefix, rest, qualified := strings.Cut(name, ":")
	var names []string
	for _, b := range Backends() {
		names = append(names, b.Name())
		if b.Name() != prefix {
			continue
		}
		ds, err := b.Devices()
		if err != nil {
			return nil, fmt.Errorf("backend: open %q: %w", name, err)
		}
		if !qualified {
			if len(ds) == 0 {
				return nil, fmt.Errorf("backend: open %q: %s has no devices: %w", name, prefix, ErrUnavailable)
			}
			return ds[0], nil
		}
		for _, d := range ds {
			if d.Name() == name {
				return d, nil
			}
		}
		if idx, err := strconv.Atoi(rest); err == nil {
			if idx < 0 || idx >= len(ds) {
				return nil, fmt.Errorf("backend: open %q: %s has %d device(s): %w", name, prefix, len(ds), ErrUnavailable)
			}
			return ds[idx], nil
		}
		for _, d := range ds {
			if strings.HasPrefix(d.Name(), name+":") {
				return d, nil
			}
		}
		var have []string
		for _, d := range ds {
			have = append(have, d.Name())
		}
		return nil, fmt.Errorf("backend: open %q: no such device (%s has: %s): %w", name, prefix, strings.Join(have, ", "), ErrUnavailable)
	}
	return nil, fmt.Errorf("backend: open %q: no backend %q is registered (registered: %s; import its package): %w",
		name, prefix, strings.Join(names, ", "), ErrUnavailable)
}

// Default is the device named by CROSSBAR_DEVICE if set and present, else the best present
// device that is not a software emulation, else the CPU.
func Default() Device {
	if name := os.Getenv("CROSSBAR_DEVICE"); name != "" {
		d, err := Open(name)
		if err == nil {
			return d
		}
		warnOnce.Do(func() { slog.Warn("crossbar: CROSSBAR_DEVICE ignored", "err", err) })
	}
	ds := Devices()
	for _, d := range ds {
		if !d.Capabilities().Software {
			return d
		}
	}
	if len(ds) > 0 {
		return ds[0]
	}
	return nil
}

var warnOnce sync.Once
