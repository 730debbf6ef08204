#!/usr/bin/env bash
# Build the Rust example WASM plugins reproducibly and copy each .wasm next to its source.
#
# Offline by default, with Debian's toolchain (make toolchain): /usr/bin/rustc 1.63 targets
# wasm32-wasi and crates come from /usr/share/cargo/registry. Elsewhere, with rustup:
#   rustup target add wasm32-wasip1
#   BOMHOST_RUST=rustup scripts/build-plugins.sh
# The committed .wasm files are the Debian build; a test rebuilds and compares bytes.
#
# Reproducibility: the build runs in a temporary target dir outside the source, paths of the
# crate and the cargo registry are remapped, and the release profile strips debug info.
# Usage: scripts/build-plugins.sh [--out DIR]   (DIR defaults to each crate's folder)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out_dir=""
if [ "${1:-}" = "--out" ]; then out_dir="$2"; fi

plugins=(banned-packages-wasm)

if [ "${BOMHOST_RUST:-debian}" = "rustup" ]; then
  cargo=(cargo)
  target=wasm32-wasip1
  source_cfg=()
  flags=()   # online: crates.io resolves serde_json
else
  [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/wasm32-wasi ] || {
    echo "build-plugins: Debian's rustc with wasm32-wasi is missing: run 'make toolchain'" >&2
    exit 1
  }
  export RUSTC=/usr/bin/rustc
  cargo=(/usr/bin/cargo)
  target=wasm32-wasi
  flags=(--offline --locked)
  source_cfg=(--config 'source.crates-io.replace-with="debian"'
              --config 'source.debian.directory="/usr/share/cargo/registry"')
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export CARGO_HOME="$tmp/cargo-home"   # no user config or registry cache leaks into the build
export CARGO_TARGET_DIR="$tmp/target"
export SOURCE_DATE_EPOCH=0

for name in "${plugins[@]}"; do
  crate="$root/examples/plugins/$name"
  export RUSTFLAGS="--remap-path-prefix=$crate=/build/$name --remap-path-prefix=/usr/share/cargo/registry=/cargo/registry --remap-path-prefix=$CARGO_HOME=/cargo/home"
  (cd "$crate" && "${cargo[@]}" build --quiet --release "${flags[@]}" --target "$target" \
    "${source_cfg[@]}")
  artefact="$CARGO_TARGET_DIR/$target/release/${name//-/_}.wasm"
  dest="${out_dir:-$crate}/${name//-/_}.wasm"
  mkdir -p "$(dirname "$dest")"
  cp "$artefact" "$dest"
  echo "built $dest ($(wc -c <"$dest") bytes)"
done
