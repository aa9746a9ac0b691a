// Command bench is crossbar's benchmark suite. It lists the devices this machine has, runs
// benchmark suites on each of them and prints one table row per measured case.
//
// Usage:
//
//	go run ./bench                              # every device, suites stream and matmul
//	go run ./bench -device cpu                  # only the CPU (comma-separated names: cpu,cuda:0)
//	go run ./bench -suite matmul -sizes 2048    # one suite, one size
//	go run ./bench -suite stream -n 67108864    # 64 Mi-element vectors
//	go run ./bench -quick                       # small sizes and few repetitions: a smoke run
//	go run ./bench -json > results.jsonl        # JSON lines instead of the table
//	OPENBLAS_CORETYPE=SkylakeX go run ./bench -device cpu -suite gemm,deepbench
//	                                            # SGEMM/DGEMM and DeepBench shapes vs OpenBLAS
//	go run ./bench -device cuda:0 -suite stream,cublas -n 134217728
//	                                            # a GPU against cuBLAS and its memcpy bandwidth
//	go run ./bench -device cuda:0 -suite lines  # softmax, layer norm, argmax vs their decomposition
//	go run ./bench -list                        # the suites and devices, and nothing else
//	go run ./bench -tune -device cpu -suite deepbench -tune-budget 15m
//	                                            # tune the DeepBench GEMMs into the tuning cache
//
// Flags:
//
//	-device  names    devices to run on, comma-separated (default: every device found)
//	-suite   names    suites to run, comma-separated (default "stream,matmul")
//	-n       int      stream: vector length in elements (default 16Mi; 1Mi with -quick); lines:
//	                  the elements of each shape
//	-sizes   list     matmul, gemm: square sizes, comma-separated (matmul: default 256,512,1024;
//	                  64,128,256 with -quick; gemm: default 1024,2048; 128,256 with -quick)
//	-deepbench file   deepbench: the problem list (default: ../shared/data/deepbench_gemm.txt
//	                  from the module root, else from the working directory)
//	-reps    int      timed repetitions of each case (default 5; 2 with -quick)
//	-quick            small sizes and few repetitions
//	-timeout dur      bound on the whole run (default 30m; 0: none)
//	-json             write the rows as JSON lines instead of a table
//	-tune             tune instead of benchmarking (see Tuning)
//	-tune-budget dur  -tune: bound on all the tuning (default 10m; 0: none)
//	-tune-shape dur   -tune: bound on one shape (default: an equal share of what is left)
//	-tune-shapes list -tune: float32 products MxNxK to tune instead of the suites' shapes
//	-v                report progress on standard error
//
// # Suites
//
//   - stream: the STREAM kernels on float32 vectors: copy (y = x+0), scale (y = 3x),
//     add (z = x+y), triad (z = x+3y) and dot (sum(x*y)). The rate is in GB/s, counting the
//     bytes the kernel reads and writes (2n·4 for copy and scale, 3n·4 for add and triad,
//     2n·4+4 for dot).
//   - matmul: square float32 matrix products C = A·B; the rate is 2n³/time in GFLOP/s.
//   - elementwise: the fused chain relu(a*b+c) over -n float32 and a sum over 4n float32,
//     each with its ratio to the bandwidth of a host memory copy measured in the same run,
//     and the fixed cost of realizing a 3-op graph over 1K elements (µs).
//   - lines: Softmax(-1), LayerNorm(-1) with scale and bias, and ArgMax(-1) of float32 rows
//     of 4096 (-n/4096 of them), of 128 (-n/128) and one row of min(-n, 128Ki), in GB/s of
//     what each reads and writes, next to a negation of the same input (its note gives the
//     ratio of the times). On a device that computes them in one kernel (Capabilities
//     Softmax, LayerNorm, ArgMax) each is measured again in its decomposition into
//     reductions and elementwise kernels on the same device ("(decomposed)", its note the
//     ratio to the one kernel's time). Results are checked against float64 on the host.
//   - gemm: square SGEMM and DGEMM (float32 and float64 MatMul of realized inputs) for each
//     size, each followed by the same product with OpenBLAS on the host on all cores
//     (openblas_set_num_threads(GOMAXPROCS)), wall time, from the same inputs. The crossbar
//     row's note gives the ratio of the rates ("0.93x OpenBLAS"), the OpenBLAS row's the core
//     type that ran. OpenBLAS is Debian's libopenblas.so.0 loaded at run time with purego
//     (internal/openblas; $CROSSBAR_OPENBLAS_LIB overrides the name); when it is absent its
//     rows are errors that say so and the crossbar rows still run. OpenBLAS does not
//     recognize the Zen 5 CPU of the reference machine and falls back to slow generic
//     (Prescott) kernels: set OPENBLAS_CORETYPE=Haswell or SkylakeX there. The header names
//     the core type in use. Each SGEMM is followed by the bfloat16 product of the same
//     operands rounded to bfloat16 (bf16gemm), its note the ratio to the SGEMM's rate.
//   - deepbench: the GEMM shapes of Baidu's DeepBench (a list "set m n k transA transB" per
//     line, -deepbench), float32, each next to OpenBLAS as in gemm. DeepBench's column-major
//     C[m,n] = op(A)[m,k]·op(B)[k,n] is computed as the same logical product on row-major
//     tensors: A is stored m×k, or k×m and used through a Transpose view when transA is T
//     (B likewise, k×n or n×k); OpenBLAS gets the same storage and flags (cblas row-major).
//     The case is "set-TT" (the two flags), the size m×n×k. The suite fails with an error
//     when no list is found. -quick runs the first three shapes with every dimension
//     divided by 8.
//   - cublas (cuda devices): GEMMs in float16 (hgemm), bfloat16 (bf16gemm) and float32
//     (sgemm), square at 8192 (-sizes when given; 1024 with -quick) and at DeepBench's
//     "train" shapes (the -deepbench list, stored as in deepbench), each case followed by the
//     same product with cuBLAS on the same device and values (cublasGemmEx, float32
//     accumulation, no TF32; libcublas.so.13, .12 or .11, or $CROSSBAR_CUBLAS_LIB, loaded with
//     purego). Both are timed with device events; the rate is in TFLOP/s and the crossbar row's
//     note gives the ratio ("0.63x cuBLAS"). Half inputs are made on the device by a cast of
//     values already rounded to the dtype, and both results are checked against float64 sums
//     on the host. Without cuBLAS the cuBLAS rows are skipped (the reason is in the status
//     column) and the crossbar rows still run; on other devices the suite is one skipped row.
//
// On a device that copies between its own buffers (cuda: cuMemcpyDtoD), the stream suite
// first measures that copy of an -n vector ("memcpy", 2n·4 bytes), and each kernel's note
// gives its rate as a ratio to it ("0.93x memcpy"): the share of the bandwidth the device
// can reach. A skipped case is not a failure. scripts/gpu.sh runs these GPU cases (and the
// go test benchmarks of backend_cuda, which compare the same way) on a machine without Go.
//
// A new suite is a new file: a type implementing Suite (suite.go) and an init function that
// calls register; the measure helper does the warm-up, the repetitions and the kernel count.
//
// # Method
//
// Inputs are realized on the device before any timing. Every case is run once untimed (it
// compiles the program, which the device's program cache then keeps) and then -reps times:
// each repetition builds the expression anew, so that the cached program is reused but a new
// output is computed, and realizes it inside the device's timer (backend.Device.Time: device
// events where the device has them, wall time otherwise). The table shows the best and the
// median time; the rate is computed from the best. The last output of each case is read back
// and checked against a computation on the host, so a wrong kernel is reported as an error
// instead of a fast number. A case that launches more kernels than expected says so in its
// status column.
//
// # Tuning
//
// With -tune, the bench tunes the kernels of the selected suites' shapes on each selected
// device instead of measuring them, and stores each winner in the tuning cache
// (CROSSBAR_CACHE_DIR, by default the crossbar directory of the user cache), where later
// runs in the default mode CROSSBAR_TUNE=cached find it. CPU: the GEMM blocking of the
// gemm, matmul and deepbench shapes; a gl or cuda device: the tiles of its matmul kernels
// (with -suite cublas, the cubes in float16 and bfloat16 too, on tensor cores), and with
// -suite elementwise the workgroups of elementwise kernels and reductions. Each
// shape gets an equal share of what is left of -tune-budget (at most -tune-shape), four
// fifths for the search and the rest for a recheck. Progress goes to standard error, one line
// per candidate. The report has a row per shape: the median time of the analytic prior and
// of the chosen configuration in the search, their ratio (GAIN), RECHECK (the same ratio
// measured again with the two alternating, which shows how much of a gain was noise), the
// candidates measured and the configuration. A shape already in the cache is not searched
// again (SOURCE cache). Large CPU products are timed on a sub-problem (the size column says
// which): see backend/cpu.NewGemmTuning.
//
// Errors never stop the run: a failing case gets its error in the status column and the
// next case runs. Ctrl-C (or -timeout) stops the run after the kernel in flight; the rows
// measured so far are still printed. The exit status is 0 when every case succeeded, 1 when
// some failed or the run was stopped, and 2 for bad flags or unknown suite names.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if opts.Verbose || opts.Tune {
		opts.Progress = os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default handling so that a second one kills.
		<-ctx.Done()
		stop()
	}()
	err = run(ctx, opts, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		var ue *usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is an error in the command line; main exits with status 2 for it.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// parseFlags turns the command line into Options. Flag syntax errors and bad values are
// usage errors; -h gives flag.ErrHelp.
func parseFlags(args []string, stderr io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	devices := fs.String("device", "", "devices to run on, comma-separated (default: every device found)")
	suites := fs.String("suite", strings.Join(defaultSuites, ","), "suites to run, comma-separated; valid: "+strings.Join(suiteNames(), ", "))
	fs.IntVar(&o.N, "n", 0, "stream: vector length in elements; lines: the elements of each shape (default 16777216; 1048576 with -quick)")
	sizes := fs.String("sizes", "", "matmul, gemm: square sizes, comma-separated (matmul default 256,512,1024, 64,128,256 with -quick; gemm 1024,2048, 128,256 with -quick)")
	fs.IntVar(&o.Reps, "reps", 0, "timed repetitions of each case (default 5; 2 with -quick)")
	fs.BoolVar(&o.Quick, "quick", false, "small sizes and few repetitions")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Minute, "bound on the whole run (0: none)")
	fs.BoolVar(&o.JSON, "json", false, "write the rows as JSON lines instead of a table")
	fs.BoolVar(&o.List, "list", false, "list the suites and devices and exit")
	fs.BoolVar(&o.Verbose, "v", false, "report progress on standard error")
	fs.BoolVar(&o.Tune, "tune", false, "tune the kernels of the selected suites' shapes and store them in the tuning cache, instead of benchmarking")
	fs.DurationVar(&o.TuneBudget, "tune-budget", 10*time.Minute, "-tune: bound on all the tuning (0: none)")
	fs.DurationVar(&o.TuneShape, "tune-shape", 0, "-tune: bound on one shape (default: an equal share of what is left of -tune-budget)")
	tuneShapes := fs.String("tune-shapes", "", "-tune: float32 products MxNxK to tune instead of the suites' shapes, comma-separated")
	fs.StringVar(&o.Deepbench, "deepbench", "", "deepbench, cublas: the DeepBench problem list (default: "+deepbenchRelPath+" from the module root or the working directory; cublas: none for the cubes alone)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./bench [flags]\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return o, usagef("unexpected arguments %q (flags only; see -h)", fs.Args())
	}
	for _, s := range splitList(*tuneShapes) {
		d, err := parseShape(s)
		if err != nil {
			return o, usagef("-tune-shapes: %v", err)
		}
		o.TuneShapes = append(o.TuneShapes, d)
	}
	o.Devices = splitList(*devices)
	o.Suites = splitList(*suites)
	if *sizes != "" {
		for _, s := range splitList(*sizes) {
			v, err := strconv.Atoi(s)
			if err != nil {
				return o, usagef("-sizes: %q is not an integer", s)
			}
			o.Sizes = append(o.Sizes, v)
		}
	}
	return o, nil
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
