// Package autotune chooses the knobs of a kernel (tile sizes, workgroup shape, unrolling,
// split-K, cache blocking) by measuring candidates on the device, and remembers the winner
// per device so that each kernel is tuned once. Every device uses it: the CPU device for its
// GEMM blocking and block sizes, the source-generating backends for the codegen options.
//
// # The model
//
// A kernel family describes its tuning problem as a [Space]: named knobs with their
// candidate values, a validity predicate that rejects configurations the device cannot run
// (shared memory, registers, workgroup size), and an analytic prior, the configuration a
// model predicts without measuring (the BLIS blocking from the cache sizes for CPU GEMM, an
// occupancy estimate for GPU tiles). The prior is the answer whenever tuning is off or
// fails, and the first candidate of every search, so a tuned result is never slower than
// it as measured.
//
// A search ([Tuner.Tune]) is exhaustive for small spaces and a seeded beam search for large
// ones: it keeps the best few configurations and measures their neighbours, one knob moved
// to an adjacent value, until none is left or a candidate limit is reached. Given the same
// seed and the same measurements, it measures the same candidates in the same order.
//
// Measuring is the caller's [Measure] function, which runs the kernel once in a given
// configuration and returns the time the device took. The tuner owns the protocol: warm-up
// runs (which absorb compilation), repetitions sized by a time budget, an optional flush
// hook before each repetition ([NewFlusher] evicts the CPU caches), the median with the
// 20th and 80th percentiles, and an early stop for a candidate whose first repetitions are
// all far slower than the best so far. A candidate whose Measure returns an error or panics
// ranks last; if every candidate fails, the result is the prior, marked Fallback.
//
// # The cache
//
// Winners go into a [Cache], an append-only JSON-lines file (CacheFile) in
// CROSSBAR_CACHE_DIR, by default the "crossbar" directory of [os.UserCacheDir]. An entry is
// keyed by the kernel's signature, the shape bucket ([Bucket]), the dtype and the device's
// [Fingerprint] (model, driver and compiler versions); each line carries [FormatVersion].
// Lines that are corrupt or of another version are skipped and counted, and the last line
// of a key wins. Several processes may tune into one file at once: each line is appended
// by a single write under a file lock. A directory that cannot be written leaves the cache
// working in memory, and the reason is reported once, in [Result.CacheErr].
//
// # Modes
//
// CROSSBAR_TUNE selects the [Mode]: off (the prior, always), cached (the default: a cached
// entry, else the prior; never measures) or on (a cached entry, else a search whose winner
// is stored). A context bounds every call; when it ends, Tune returns the best
// configuration measured so far with the context's error.
//
// # Plugging in a kernel family
//
// A family supplies four things: a Key (a kernel signature that includes a version of its
// space, the bucketed shape, the dtype, the device's fingerprint), a Space with its prior,
// a Measure that compiles and times the kernel in a configuration (compiling once per
// configuration, timing with device events where there are any), and the translation of
// the chosen Config into its own parameters (asm.GemmParams, codegen.Options):
//
//	t, err := autotune.NewFromEnv()
//	res, err := t.Tune(ctx, key, space, measure)
//	p := asm.GemmParams{MC: res.Best["MC"], KC: res.Best["KC"], NC: res.Best["NC"]}
//
// An error from Tune names bad input or a cancelled context; res.Best is usable either way.
package autotune
