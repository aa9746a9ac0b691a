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

// Open returns the device with the given name: "cpu", "cuda" (its first device), "cuda:1".
func Open(name string) (Device, error) {
	prefix, idx := name, 0
	if i := strings.IndexByte(name, ':'); i >= 0 {
		prefix = name[:i]
		n, err := strconv.Atoi(name[i+1:])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("backend: open %q: bad device index: %w", name, ErrUnavailable)
		}
		idx = n
	}
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
		if idx >= len(ds) {
			return nil, fmt.Errorf("backend: open %q: %s has %d device(s): %w", name, prefix, len(ds), ErrUnavailable)
		}
		return ds[idx], nil
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
