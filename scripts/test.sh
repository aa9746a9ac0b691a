#!/usr/bin/env bash
# Runs every test of crossbar. Installs what the tests need when it is missing: Debian
# packages through apt-get when run as root; otherwise it says what is missing (and fails
# under CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v qemu-aarch64 >/dev/null 2>&1 || need_pkgs+=(qemu-user)
# The arm64 dynamic loader, for test binaries that purego links dynamically.
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || need_pkgs+=(libc6-arm64-cross)
# backend_gl: cgo, and Mesa's llvmpipe behind a headless EGL context.
command -v gcc >/dev/null 2>&1 || need_pkgs+=(gcc)
command -v g++ >/dev/null 2>&1 || need_pkgs+=(g++) # backend_cuda: the CUDA emulator compiles kernels as C++
for p in libegl1 libegl-mesa0 libgl1-mesa-dri libegl-dev libgl-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
# internal/openblas and the bench's gemm suites compare against OpenBLAS, loaded with purego.
dpkg -s libopenblas0 >/dev/null 2>&1 || need_pkgs+=(libopenblas0)
# backend_tpu: mlir-opt-15 parses and verifies every emitted StableHLO module.
command -v mlir-opt-15 >/dev/null 2>&1 || need_pkgs+=(mlir-15-tools)

# backend_cuda: NVRTC compiles every generated CUDA kernel (no GPU needed). Debian ships it
# as libnvrtc11.2 (NVRTC 11.8) in the non-free component, for amd64.
need_nonfree=false
if [ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] && ! dpkg -s libnvrtc11.2 >/dev/null 2>&1; then
  need_pkgs+=(libnvrtc11.2)
  need_nonfree=true
fi

# enable_nonfree adds Debian's contrib and non-free components to apt's sources unless some
# source has non-free already, in the format the machine uses (deb822 or one-line).
enable_nonfree() {
  if grep -Eqs '(^|[[:space:]])non-free([[:space:]]|$)' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    /etc/apt/sources.list.d/*.sources; then
    return
  fi
  local codename
  codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
  codename=${codename:-bookworm}
  echo "== enabling Debian contrib non-free ($codename) for libnvrtc11.2"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s %s-updates\nComponents: contrib non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$codename" "$codename" >/etc/apt/sources.list.d/crossbar-nonfree.sources
  else
    echo "deb http://deb.debian.org/debian $codename main contrib non-free" >/etc/apt/sources.list.d/crossbar-nonfree.list
  fi
}

if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if [ "$need_nonfree" = true ]; then enable_nonfree; fi
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  else
    echo "missing Debian packages: ${need_pkgs[*]} (run as root to install them)" >&2
    if [ "${CI:-}" = true ]; then exit 1; fi
  fi
fi

# with_debian SUITE: a private apt configuration for the non-free component of Debian SUITE,
# in a new temporary folder $apt_tmp (the system's sources are untouched); apt_opts selects
# it. Its package lists are fetched.
with_debian() {
  apt_tmp=$(mktemp -d)
  mkdir -p "$apt_tmp/parts" "$apt_tmp/lists/partial" "$apt_tmp/cache/archives/partial" "$apt_tmp/debs"
  : >"$apt_tmp/sources.list"
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$1" >"$apt_tmp/parts/$1.sources"
  apt_opts=(-o Dir::Etc::SourceList="$apt_tmp/sources.list" -o Dir::Etc::SourceParts="$apt_tmp/parts"
    -o Dir::State::Lists="$apt_tmp/lists" -o Dir::Cache="$apt_tmp/cache" -o APT::Sandbox::User="$(id -un)")
  apt-get "${apt_opts[@]}" update -qq
}

# unpack_debs DIR PKG...: downloads the packages through with_debian's configuration and
# unpacks them into DIR, without installing them, so that nothing enters the system.
unpack_debs() {
  local dir=$1 deb
  shift
  (cd "$apt_tmp/debs" && apt-get "${apt_opts[@]}" download -qq "$@") || return 1
  mkdir -p "$dir"
  for deb in "$apt_tmp"/debs/*.deb; do dpkg -x "$deb" "$dir"; done
}

can_fetch_debs() {
  [ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] && command -v apt-get >/dev/null 2>&1
}

# backend_cuda: NVRTC 12 as well, whose ptxas assembles the sm_90a kernels (warpgroup MMAs,
# tensor copies) that NVRTC 11.8 only turns into PTX, and reports each kernel's registers and
# spills. Debian 13 (trixie) ships it in non-free as libnvrtc12 (NVRTC 12.4).
nvrtc12_dir=${CROSSBAR_NVRTC12_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/crossbar/nvrtc12}
nvrtc12_lib=$nvrtc12_dir/usr/lib/x86_64-linux-gnu/libnvrtc.so.12
fetch_nvrtc12() {
  [ -e "$nvrtc12_lib" ] && return 0
  can_fetch_debs || return 1
  local builtins ok=0
  if with_debian trixie &&
    builtins=$(apt-cache "${apt_opts[@]}" depends libnvrtc12 | awk '/Depends: libnvrtc-builtins/ {print $2; exit}') &&
    [ -n "$builtins" ] && unpack_debs "$nvrtc12_dir" libnvrtc12 "$builtins"; then
    [ -e "$nvrtc12_lib" ] && ok=1
  fi
  rm -rf "$apt_tmp"
  [ "$ok" = 1 ]
}
if fetch_nvrtc12; then
  have_nvrtc12=true
else
  have_nvrtc12=false
  echo "NVRTC 12 (Debian trixie's libnvrtc12) could not be fetched into $nvrtc12_dir" >&2
  if [ "${CI:-}" = true ]; then exit 1; fi
fi

# backend_cuda: the real driver library (Debian 12's libcuda1, CUDA 12.2), whose entry
# points, error names and cuInit failure without a GPU TestRealDriverLibrary checks.
libcuda_dir=${CROSSBAR_LIBCUDA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/crossbar/libcuda1}
libcuda_lib=$libcuda_dir/usr/lib/x86_64-linux-gnu/nvidia/current/libcuda.so.1
fetch_libcuda() {
  [ -e "$libcuda_lib" ] && return 0
  can_fetch_debs || return 1
  local ok=0
  if with_debian bookworm && unpack_debs "$libcuda_dir" libcuda1; then
    [ -e "$libcuda_lib" ] && ok=1
  fi
  rm -rf "$apt_tmp"
  [ "$ok" = 1 ]
}
if fetch_libcuda; then
  export CROSSBAR_TEST_LIBCUDA=$libcuda_lib
else
  echo "the CUDA driver library (Debian bookworm's libcuda1) could not be fetched into $libcuda_dir" >&2
  if [ "${CI:-}" = true ]; then exit 1; fi
fi

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH=$PATH:/usr/local/go/bin
fi

echo "== go vet"
go vet ./...

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi

echo "== go test -race"
go test -race -timeout 20m ./...

if [ "$have_nvrtc12" = true ]; then
  echo "== backend_cuda with NVRTC 12: sm_90a CUBINs, and what ptxas reports of every kernel"
  CROSSBAR_NVRTC_LIB=$nvrtc12_lib CROSSBAR_TEST_NVRTC_MAJOR=12 \
    LD_LIBRARY_PATH=$(dirname "$nvrtc12_lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
    go test -count=1 -timeout 20m -run 'NVRTC|Ptxas|WarpgroupArch|PTXFallback' ./backend_cuda
fi

echo "== go test -tags noasm"
# This pass runs backend_cuda's emulated suites (the -race pass skips them): thousands of
# kernels built by g++ and run, about 12 minutes on a busy 2-core host.
go test -tags noasm -timeout 45m ./...

echo "== arm64 under qemu"
if command -v qemu-aarch64 >/dev/null 2>&1; then
  # Every package but backend_gl (cgo, GL) builds without cgo and runs emulated. Test
  # binaries that import purego are linked dynamically: qemu finds the arm64 loader under
  # QEMU_LD_PREFIX. backend_cuda's tests start child processes of the test binary, which
  # qemu-user cannot do, so it is built, not run; CROSSBAR_TEST_EMULATED tells the other
  # tests that start child processes to leave that part to the native run.
  export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
  export CROSSBAR_TEST_EMULATED=qemu-user
  pkgs=$(go list ./... | grep -v -e '/backend_gl$' -e '/backend_cuda$')
  CGO_ENABLED=0 GOARCH=arm64 go test -c -o /dev/null ./backend_cuda
  # shellcheck disable=SC2086
  CGO_ENABLED=0 GOARCH=arm64 go test -exec qemu-aarch64 -timeout 25m $pkgs
else
  echo "qemu-aarch64 missing: arm64 tests skipped" >&2
  if [ "${CI:-}" = true ]; then exit 1; fi
fi
echo "== all tests passed"
