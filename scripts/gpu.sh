#!/usr/bin/env bash
# Runs crossbar's Nvidia checks on a GPU machine that has the driver but no Go toolchain, in
# two halves:
#
#   scripts/gpu.sh build   on a machine with Go, from anywhere in the repository: builds with
#                          CGO_ENABLED=0 into .dev/ (git-ignored) the test binaries of
#                          backend_cuda and backend_tpu, the bench, and copies the DeepBench
#                          list and this script (.dev/run.sh) next to them.
#   scripts/gpu.sh run     on the GPU machine, from the repository root with .dev/ carried
#                          over: records nvidia-smi and the date, then runs, each step under
#                          its own timeout and whatever the previous one did: the CUDA tests
#                          on cuda:0 (events, cuBLAS binding, device copy, the fake drivers),
#                          the conformance suite on cuda:0 and on JAX's CUDA PJRT plugin (its
#                          matmul, reduce, fused and nn families), the
#                          go test benchmarks (crossbar vs cuBLAS, copy/triad vs memcpy, host
#                          copies through the pinned halves vs the DMA alone) and
#                          the bench suites stream, cublas and lines (JSON lines, written as
#                          measured),
#                          then in what time is left random programs on cuda:0, the
#                          conformance suite's matmul family under compute-sanitizer's
#                          memcheck, and random programs on the PJRT plugin. Logs go to $OUT
#                          (default ./out), one per step, with summary.txt listing each
#                          step's status and duration.
#
# The test binaries read testdata/ relative to their package, so each runs from its package
# directory. cuBLAS and NVRTC are looked for where the backend looks (CROSSBAR_CUBLAS_LIB,
# CROSSBAR_NVRTC_LIB, the standard library directories); when they are not there, the
# copies that pip's nvidia-* wheels (JAX's CUDA dependencies) put in python3's site-packages
# are used. The step timeouts (seconds) can be changed through the environment:
# T_CUDA_TESTS (50), T_CONFORMANCE (120), T_PJRT (80), T_GOBENCH (100), T_BENCH (110),
# T_LINES (30: the lines suite, softmax, layer norm and argmax against their decomposition),
# T_MMA_SYNC (45: the cubes again with CROSSBAR_CUDA_WGMMA=off), T_NO_TMA (40: the cubes
# again with CROSSBAR_CUDA_TMA=off), T_RANDOM (45: 150 random programs on cuda:0),
# T_SANITIZER (60: the matmul family of the conformance suite under compute-sanitizer's
# memcheck), T_PJRT_RANDOM (40: 100 random programs on the PJRT plugin, last). Should the
# conformance run fail, it is run again without tensor copies (CROSSBAR_CUDA_TMA=off),
# then without warpgroup MMAs (CROSSBAR_CUDA_WGMMA=off), and the first setting that passes
# is kept for the rest. T_TOTAL (550) bounds the whole run: the last steps are cut short
# or skipped (the conformance runs and the measurements come first).
# T_TUNE (seconds, unset by default) adds a tuning run of the cublas cubes and a measurement
# with the tuned tiles.
set -uo pipefail
cd "$(dirname "$0")/.."

build() {
  set -e
  if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
    export PATH=$PATH:/usr/local/go/bin
  fi
  mkdir -p .dev
  export CGO_ENABLED=0
  # -s -w: no symbol tables, so that .dev/ stays small enough to carry.
  echo "== building into .dev/ (CGO_ENABLED=0)"
  go test -c -ldflags='-s -w' -o .dev/cuda.test ./backend_cuda
  go test -c -ldflags='-s -w' -o .dev/tpu.test ./backend_tpu
  go build -ldflags='-s -w' -o .dev/bench ./bench
  local list=../shared/data/deepbench_gemm.txt
  if [ -f "$list" ]; then
    install -m 0644 "$list" .dev/deepbench_gemm.txt
  else
    echo "warning: $list not found: the cublas suite will measure the cubes only" >&2
  fi
  install -m 0755 scripts/gpu.sh .dev/run.sh
  ls -l .dev
  du -sh .dev
}

OUT=${OUT:-./out}

# find_lib NAME_GLOB: prints the first file matching NAME_GLOB in the dirs the backend
# searches, else in pip's nvidia-* wheels under python3's site-packages.
find_lib() {
  local pat=$1 d f
  for d in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib \
    /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda/targets/sbsa-linux/lib /opt/cuda/lib64; do
    for f in "$d"/$pat; do [ -e "$f" ] && { echo "$f"; return 0; }; done
  done
  return 1
}

site_lib() {
  local pat=$1 d f
  local dirs
  dirs=$(timeout 10 python3 -c 'import site,sys
for d in site.getsitepackages()+[site.getusersitepackages()]+sys.path: print(d)' 2>/dev/null)
  for d in $dirs /usr/local/lib/python3*/dist-packages /usr/local/lib/python3*/site-packages /usr/lib/python3/dist-packages; do
    for f in "$d"/nvidia/*/lib/$pat "$d"/nvidia/cu*/lib/$pat; do [ -e "$f" ] && { echo "$f"; return 0; }; done
  done
  return 1
}

# step NAME TIMEOUT DIR CMD...: runs CMD in DIR under timeout, logs to $OUT/NAME.log and
# appends its status to $OUT/summary.txt. No step runs past $DEADLINE (seconds since the
# epoch): the last ones are cut short or skipped, and what the others wrote is kept.
step() {
  local name=$1 limit=$2 dir=$3
  shift 3
  local log=$OUT/$name.log start rc
  start=$(date +%s)
  if [ $((DEADLINE - start)) -lt 15 ]; then
    echo "== $name: skipped, the run's ${T_TOTAL}s are spent" | tee -a "$OUT/summary.txt"
    STEP_RC=125
    return 0
  fi
  [ "$limit" -gt $((DEADLINE - start)) ] && limit=$((DEADLINE - start))
  echo "== $name (timeout ${limit}s): $*" | tee -a "$OUT/summary.txt"
  (cd "$dir" && timeout -k 10 "$limit" "$@") >"$log" 2>&1
  rc=$?
  STEP_RC=$rc
  local took=$(($(date +%s) - start))
  case $rc in
  0) echo "   $name: ok (${took}s)" ;;
  124 | 137) echo "   $name: TIMEOUT after ${took}s (status $rc)" ;;
  *) echo "   $name: FAILED, status $rc (${took}s)" ;;
  esac | tee -a "$OUT/summary.txt"
  # Skipped and failed tests are worth a line each: a skip here usually means a missing library.
  grep -E -- '--- (SKIP|FAIL)' "$log" | head -n 20 | sed 's/^ */     /' | tee -a "$OUT/summary.txt"
  tail -n 5 "$log" | sed 's/^/     | /'
  return 0
}

run() {
  T_TOTAL=${T_TOTAL:-550}
  DEADLINE=$(($(date +%s) + T_TOTAL))
  mkdir -p "$OUT"
  OUT=$(cd "$OUT" && pwd)
  : >"$OUT/summary.txt"
  for f in .dev/cuda.test .dev/tpu.test .dev/bench; do
    [ -x "$f" ] || echo "missing $f: run 'scripts/gpu.sh build' on a machine with Go first" | tee -a "$OUT/summary.txt"
  done
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(uname -a)"
    echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
    echo "== nvidia-smi"
    timeout 30 nvidia-smi 2>&1 || echo "nvidia-smi unavailable"
    timeout 30 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv 2>&1 || true
    echo "== libraries"
  } >"$OUT/info.log" 2>&1

  # Point the backend at cuBLAS and NVRTC when they are not in the standard places.
  local lib
  if [ -z "${CROSSBAR_CUBLAS_LIB:-}" ] && ! find_lib 'libcublas.so.1[123]' >/dev/null; then
    if lib=$(site_lib 'libcublas.so.1[123]'); then export CROSSBAR_CUBLAS_LIB=$lib; fi
  fi
  if [ -z "${CROSSBAR_NVRTC_LIB:-}" ] && ! find_lib 'libnvrtc.so.1[123]*' >/dev/null; then
    if lib=$(site_lib 'libnvrtc.so.1[123]*'); then export CROSSBAR_NVRTC_LIB=$lib; fi
  fi
  for v in CROSSBAR_CUBLAS_LIB CROSSBAR_NVRTC_LIB; do
    [ -n "${!v:-}" ] && export LD_LIBRARY_PATH="$(dirname "${!v}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  done
  {
    echo "CROSSBAR_CUBLAS_LIB=${CROSSBAR_CUBLAS_LIB:-} (standard: $(find_lib 'libcublas.so.1[123]' || echo none))"
    echo "CROSSBAR_NVRTC_LIB=${CROSSBAR_NVRTC_LIB:-} (standard: $(find_lib 'libnvrtc.so.1[123]*' || echo none))"
    echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  } >>"$OUT/info.log"
  cat "$OUT/info.log"

  local root
  root=$(pwd)
  local t
  # Each test binary gets a -test.timeout a little shorter than its step's, so that a test
  # that hangs is reported with its goroutines' stacks instead of being killed silently.
  t=${T_CUDA_TESTS:-50}
  # TestRealDriverLibrary checks the machine's driver: every entry point and the error names.
  if [ -z "${CROSSBAR_TEST_LIBCUDA:-}" ] && lib=$(find_lib 'libcuda.so.1'); then export CROSSBAR_TEST_LIBCUDA=$lib; fi
  step cuda-tests "$t" backend_cuda "$root/.dev/cuda.test" -test.v -test.timeout "$((t - 5))s" \
    -test.run '^(TestTime|TestBLAS|TestCopyBuffer|TestUnavailable|TestCUBLASUnavailable|TestRealDriverLibrary|TestFakeDriver|TestFakeCUBLAS)$'
  t=${T_CONFORMANCE:-120}
  step cuda-conformance "$t" backend_cuda "$root/.dev/cuda.test" -test.v -test.timeout "$((t - 5))s" \
    -test.run '^TestConformance$'
  # A failure narrowed down: without tensor copies, then without warpgroup MMAs; the first
  # setting that passes is kept, so that the benchmarks below measure correct kernels.
  local fallback
  for fallback in CROSSBAR_CUDA_TMA CROSSBAR_CUDA_WGMMA; do
    [ "$STEP_RC" = 0 ] && break
    export "$fallback=off"
    step "cuda-conformance-$fallback-off" "$t" backend_cuda "$root/.dev/cuda.test" -test.v -test.timeout "$((t - 5))s" \
      -test.run '^TestConformance$'
    [ "$STEP_RC" = 0 ] && echo "   conformance passes with $fallback=off: the steps below run with it" | tee -a "$OUT/summary.txt"
  done
  # XLA compiles each module for a while: the families that exercise its own ops (dot_general,
  # reduce, fusion across kernels) first; T_PJRT_RUN='^TestConformancePlugin$' runs them all.
  t=${T_PJRT:-80}
  step pjrt-conformance "$t" backend_tpu "$root/.dev/tpu.test" -test.v -test.timeout "$((t - 5))s" \
    -test.run "${T_PJRT_RUN:-^TestConformancePlugin\$/^(matmul|reduce|fused|nn)\$}"
  t=${T_GOBENCH:-100}
  step gobench "$t" backend_cuda "$root/.dev/cuda.test" -test.v -test.run '^$' -test.bench . \
    -test.benchtime 3x -test.timeout "$((t - 5))s"
  local list=()
  [ -f .dev/deepbench_gemm.txt ] && list=(-deepbench "$root/.dev/deepbench_gemm.txt")
  local tb=${T_BENCH:-110}
  step bench-suite "$tb" . "$root/.dev/bench" -device cuda:0 -suite stream,cublas -n 134217728 -reps 3 \
    -json -timeout "$((tb - 15))s" -v "${list[@]}"
  # Softmax, layer norm and argmax in one kernel a line against their decomposition.
  t=${T_LINES:-30}
  step bench-lines "$t" . "$root/.dev/bench" -device cuda:0 -suite lines -reps 5 -json -timeout "$((t - 10))s" -v
  # The cubes again on sm_80's mma.sync (on an sm_90 device the products above take the
  # warpgroup MMAs): the gain of wgmma, and a fallback's figures should it fail.
  t=${T_MMA_SYNC:-45}
  CROSSBAR_CUDA_WGMMA=off step bench-mma-sync "$t" . "$root/.dev/bench" -device cuda:0 -suite cublas -deepbench none \
    -reps 3 -json -timeout "$((t - 10))s" -v
  # And with the warpgroup MMAs' tiles copied by every thread instead of tensor copies.
  if [ "${CROSSBAR_CUDA_TMA:-}" != off ] && [ "${CROSSBAR_CUDA_WGMMA:-}" != off ]; then
    t=${T_NO_TMA:-40}
    CROSSBAR_CUDA_TMA=off step bench-no-tma "$t" . "$root/.dev/bench" -device cuda:0 -suite cublas -deepbench none \
      -reps 3 -json -timeout "$((t - 10))s" -v
  fi
  # In what time is left: random programs (package randprog), fused in ways the suite's
  # fixed cases need not reach, each compared with the CPU device;
  t=${T_RANDOM:-45}
  step cuda-random "$t" backend_cuda "$root/.dev/cuda.test" -test.v -test.timeout "$((t - 5))s" \
    -test.run '^TestRandomPrograms$'
  # the conformance suite's matmul family under compute-sanitizer's memcheck, which
  # reports any access of a kernel outside its buffers or its shared memory (the tiles'
  # chunk stores, tensor copies, split K);
  local sanitizer
  sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null || true)
  if [ -n "$sanitizer" ]; then
    t=${T_SANITIZER:-60}
    step memcheck "$t" backend_cuda "$sanitizer" --tool memcheck --error-exitcode 99 --print-limit 20 \
      "$root/.dev/cuda.test" -test.v -test.timeout "$((t - 5))s" -test.run '^TestConformance$/^(collect|suite)$/^matmul$'
  else
    echo "== memcheck: skipped, no compute-sanitizer" | tee -a "$OUT/summary.txt"
  fi
  # and random programs on the PJRT plugin.
  t=${T_PJRT_RANDOM:-40}
  step pjrt-random "$t" backend_tpu "$root/.dev/tpu.test" -test.v -test.timeout "$((t - 5))s" \
    -test.run '^TestRandomProgramsPlugin$'
  # Optional (T_TUNE seconds): tune the cubes' tiles in each dtype into a cache under $OUT,
  # then measure the cubes again with the tuned tiles.
  if [ -n "${T_TUNE:-}" ]; then
    export CROSSBAR_CACHE_DIR=$OUT/cache
    step tune "$((T_TUNE + 30))" . "$root/.dev/bench" -tune -device cuda:0 -suite cublas -tune-budget "${T_TUNE}s"
    step bench-tuned 90 . "$root/.dev/bench" -device cuda:0 -suite cublas -deepbench none -reps 3 -json -timeout 75s -v
  fi
  echo "logs in $OUT"
}

case "${1:-}" in
build) build ;;
run) run ;;
*)
  echo "usage: $0 build|run" >&2
  exit 2
  ;;
esac
