#!/usr/bin/env bash
# Runs every test of crossbar. Installs what the tests need when it is missing: Debian
# packages through apt-get when run as root; otherwise it says what is missing (and fails
# under CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v qemu-aarch64 >/dev/null 2>&1 || need_pkgs+=(qemu-user)
# backend_gl: cgo, and Mesa's llvmpipe behind a headless EGL context.
command -v gcc >/dev/null 2>&1 || need_pkgs+=(gcc)
for p in libegl1 libegl-mesa0 libgl1-mesa-dri libegl-dev libgl-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done

if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  else
    echo "missing Debian packages: ${need_pkgs[*]} (run as root to install them)" >&2
    if [ "${CI:-}" = true ]; then exit 1; fi
  fi
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

echo "== go test -tags noasm"
go test -tags noasm -timeout 20m ./...

echo "== arm64 under qemu"
if command -v qemu-aarch64 >/dev/null 2>&1; then
  # Every package but backend_gl (cgo, GL) builds without cgo and runs emulated.
  pkgs=$(go list ./... | grep -v '/backend_gl$')
  # shellcheck disable=SC2086
  CGO_ENABLED=0 GOARCH=arm64 go test -exec qemu-aarch64 -timeout 25m $pkgs
else
  echo "qemu-aarch64 missing: arm64 tests skipped" >&2
  if [ "${CI:-}" = true ]; then exit 1; fi
fi
echo "== all tests passed"
