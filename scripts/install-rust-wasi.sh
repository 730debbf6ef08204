#!/usr/bin/env bash
# Install Debian's Rust toolchain with the wasm32-wasi standard library and the serde crates,
# all from Debian's archive: no rustup download, no crates.io. Idempotent.
set -euo pipefail
pkgs=(rustc cargo libstd-rust-dev-wasm32 librust-serde-json-dev librust-serde-derive-dev
      librust-miniz-oxide-dev librust-semver-dev librust-strsim-dev)
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
