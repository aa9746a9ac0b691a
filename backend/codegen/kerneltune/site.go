package kerneltune

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/crossbar-compute/crossbar/backend"
	"github.com/crossbar-compute/crossbar/backend/autotune"
	"github.com/crossbar-compute/crossbar/backend/codegen"
	"github.com/crossbar-compute/crossbar/graph"
)

// A Device is a device that compiles kernels through codegen with options of the caller's
// choosing, which is what measuring a candidate needs.
type Device interface {
	backend.Device
	// CompileWith compiles k with code-generation options o, as they are.
	CompileWith(k *graph.Kernel, o codegen.Options) (backend.Program, error)
}

// A Site is one device as the tuner sees it: the backend's name (the prefix of its kernel
// signatures and of its errors), the device, its fingerprint in tuning keys, its codegen
// target, and the options it compiles a kernel with when nothing is tuned.
type Site struct {
	backend string
	dev     Device
	fp      autotune.Fingerprint
	target  codegen.Target
	base    func(*graph.Kernel) codegen.Options
	fams    families
	// Check, if set, rejects a kernel the device cannot run for reasons of its own (GL's
	// storage blocks), before NewKernelTuning allocates anything.
	Check func(*graph.Kernel) error
}

// NewSite returns the site of dev, a device of backend ("gl", "cuda") with fingerprint fp
// and target t; base returns the options dev compiles k with when nothing is tuned. base
// is called at every lookup, so that a change of the device's options is never hidden by
// the memo of the cache.
func NewSite(backend string, dev Device, fp autotune.Fingerprint, t codegen.Target, base func(*graph.Kernel) codegen.Options) *Site {
	return &Site{backend: backend, dev: dev, fp: fp, target: t, base: base, fams: newFamilies(backend)}
}

// Problem returns the tuning problem of k on the device; ok is false for a kernel no
// family tunes.
func (s *Site) Problem(k *graph.Kernel) (p Problem, ok bool) {
	return s.fams.problemOf(k, s.target, s.base(k))
}

// Options returns the options to compile k with: its base options, with the knobs of the
// tuning cache where k's family, dtype and shape have an entry on this device that is not
// the base's own choice.
func (s *Site) Options(k *graph.Kernel) codegen.Options {
	o, _ := s.options(k)
	return o
}

// Variant names the options Options gives k when they are not its base options, for
// backend.VariantDevice; "" otherwise.
func (s *Site) Variant(k *graph.Kernel) string {
	if o, tuned := s.options(k); tuned {
		return o.String()
	}
	return ""
}

// options returns the options of k and whether they differ from its base options.
func (s *Site) options(k *graph.Kernel) (codegen.Options, bool) {
	base := s.base(k)
	p, ok := s.fams.problemOf(k, s.target, base)
	if !ok {
		return base, false
	}
	c := s.cached(p)
	if c == nil || c.Equal(p.Family.Config(base)) {
		return base, false
	}
	o := p.Family.With(base, c)
	return o, o != base
}

// memoKey is what a lookup of the cache depends on.
type memoKey struct {
	family string
	dt     graph.DType
	dims   [3]int
	device autotune.Fingerprint
}

// memo is the process's lookup of cached configurations, shared by every site (the keys
// tell backends and devices apart); nil records that the cache has none.
var memo struct {
	mu    sync.Mutex
	tuner *autotune.Tuner
	found map[memoKey]autotune.Config
}

// cached returns the cached configuration of p on the device, or nil.
func (s *Site) cached(p Problem) autotune.Config {
	mk := memoKey{family: p.Family.Name, dt: p.DType, device: s.fp}
	copy(mk.dims[:], p.Dims)
	memo.mu.Lock()
	defer memo.mu.Unlock()
	if c, ok := memo.found[mk]; ok {
		return c
	}
	if memo.tuner == nil {
		memo.tuner = envTuner(s.backend)
	}
	var c autotune.Config
	if key, err := p.Key(s.fp); err == nil {
		// Mode on searches only ahead of time: here it reads the cache like mode cached.
		t := *memo.tuner
		if t.Mode == autotune.ModeOn {
			t.Mode = autotune.ModeCached
		}
		res, _ := t.Tune(context.Background(), key, p.Family.Space(s.target), nil)
		if res.CacheErr != nil {
			slog.Warn(s.backend+": the tuning cache keeps entries in memory only", "err", res.CacheErr)
		}
		if res.Source == autotune.SourceCache {
			c = res.Best
		}
	}
	if memo.found == nil {
		memo.found = map[memoKey]autotune.Config{}
	}
	memo.found[mk] = c
	return c
}

// envTuner returns the tuner of CROSSBAR_TUNE and CROSSBAR_CACHE_DIR; a missing cache file
// is nothing to look up, and is not created.
func envTuner(backend string) *autotune.Tuner {
	mode, err := autotune.ModeFromEnv()
	if err != nil {
		slog.Warn(backend+": "+autotune.EnvMode+" not understood; kernels use cached knobs", "err", err)
	}
	if mode == autotune.ModeOff {
		return &autotune.Tuner{Mode: mode}
	}
	dir, err := autotune.DefaultDir()
	if err != nil {
		return &autotune.Tuner{Mode: autotune.ModeOff}
	}
	if _, err := os.Stat(filepath.Join(dir, autotune.CacheFile)); err != nil {
		return &autotune.Tuner{Mode: autotune.ModeOff}
	}
	return &autotune.Tuner{Mode: mode, Cache: autotune.OpenCache(dir)}
}

// Reset forgets the mode, the cache and every answer; the next lookup reads the
// environment again. A search that stores a winner resets, so that later compilations use
// it at once.
func Reset() {
	memo.mu.Lock()
	memo.tuner, memo.found = nil, nil
	memo.mu.Unlock()
}
