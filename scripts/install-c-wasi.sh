#!/usr/bin/env bash
# Install Debian's clang with wasi-libc and the wasm32 compiler-rt builtins, so C plugins (the C
# SDK in examples/plugins/bomhost-plugin-sdk-c, `bomhost plugin new --lang c`) build for
# wasm32-wasi offline: `clang --target=wasm32-wasi`. All from Debian's archive. Idempotent.
set -euo pipefail
pkgs=(clang lld wasi-libc libclang-rt-dev-wasm32)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing ${missing[*]} with apt-get" >&2
# One retry: a CI machine's first apt-get sometimes meets a mirror mid-sync.
for attempt in 1 2; do
  if $SUDO apt-get update -qq && \
     DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null; then
    exit 0
  fi
  echo "apt-get failed (attempt $attempt)" >&2
  sleep 5
done
exit 1
