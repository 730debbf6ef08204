#!/usr/bin/env bash
# Build every Rust WASM plugin crate and every C plugin reproducibly; each .wasm goes next to
# its source.
#
# C plugins (examples/plugins/*-c, tests/assets/c/*): one .c file each on the C SDK
# (examples/plugins/bomhost-plugin-sdk-c/bomhost.h), built with Debian's clang for wasm32-wasi
# against wasi-libc (make toolchain: scripts/install-c-wasi.sh); the flags are in c_flags below.
# clang's output depends on the source bytes only (no debug info, paths mapped), so a clone at
# another path builds the same bytes.
#
# The crates: the examples in examples/plugins/*-wasm, the first-party plugins in plugins/<name>/
# (their .wasm goes to bomhost/builtins/<name>/, next to the manifest that pins it) and the
# contract-test plugin in tests/assets/rust/; the SDK (examples/plugins/bomhost-plugin-sdk) is
# their path dependency, never built alone. Each crate commits its Cargo.lock.
#
# Offline by default, with Debian's toolchain (make toolchain): /usr/bin/rustc 1.63 targets
# wasm32-wasi and crates come from /usr/share/cargo/registry. Elsewhere, with rustup:
#   rustup target add wasm32-wasip1
#   BOMHOST_RUST=rustup scripts/build-plugins.sh
# The committed .wasm files are the Debian build; a test rebuilds them in a copy of the sources
# at another path and compares bytes.
#
# Reproducibility: the sources are staged into a temporary tree with the checkout's layout, and
# each crate is built as the only member of a workspace rooted there. Cargo hashes a path
# dependency's location relative to the workspace root but absolutely when it lies outside it,
# and that hash names every symbol (so it changes the order of functions in the .wasm): with the
# SDK outside each crate, a clone at another path would build other bytes. File paths (the
# staged tree, the cargo registry, CARGO_HOME) are remapped to fixed names, and the release
# profile strips debug info. RUSTFLAGS are the same for every crate, so the shared dependencies
# are compiled once per build.
# Usage: scripts/build-plugins.sh [--out DIR]   (DIR defaults to each crate's folder)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out_dir=""
if [ "${1:-}" = "--out" ]; then out_dir="$(mkdir -p "$2" && cd "$2" && pwd)"; fi

sdk=examples/plugins/bomhost-plugin-sdk
crates=(
  examples/plugins/banned-packages-wasm
  examples/plugins/banned-packages-file-wasm
  examples/plugins/registry-lookup-wasm
  plugins/registry
  plugins/maintainer-age
  plugins/version-jump
  plugins/typosquat
  plugins/license
  tests/assets/rust/contract-plugin
  plugins/osv
)

c_sdk=examples/plugins/bomhost-plugin-sdk-c
c_plugins=(
  examples/plugins/banned-packages-c/banned_packages.c:banned_packages_c.wasm
  tests/assets/c/contract-plugin/contract_plugin.c:contract_plugin_c.wasm
  tests/assets/c/lookup-plugin/lookup_plugin.c:lookup_plugin.wasm
)
# The same flags as `bomhost plugin new --lang c` writes into a plugin's Makefile.
c_flags=(--target=wasm32-wasi -O2 -std=c11 -Wall -Wextra -Werror -mexec-model=reactor
         "-ffile-prefix-map=$root=/build" -Wl,--strip-all)
command -v clang >/dev/null && [ -f /usr/lib/wasm32-wasi/libc.a ] || {
  echo "build-plugins: clang with wasi-libc is missing: run 'make toolchain'" >&2
  exit 1
}
for entry in "${c_plugins[@]}"; do
  src="$root/${entry%%:*}"
  dest="${out_dir:-$(dirname "$src")}/${entry##*:}"
  clang "${c_flags[@]}" -I "$root/$c_sdk" -o "$dest" "$src"
  echo "built $dest ($(wc -c <"$dest") bytes)"
done

if [ "${BOMHOST_RUST:-debian}" = "rustup" ]; then
  cargo=(cargo)
  target=wasm32-wasip1
  source_cfg=()
  flags=()   # online: crates.io resolves serde and serde_json
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
stage="$tmp/src"
export RUSTFLAGS="--remap-path-prefix=$stage=/build --remap-path-prefix=/usr/share/cargo/registry=/cargo/registry --remap-path-prefix=$CARGO_HOME=/cargo/home"

for rel in "$sdk" "${crates[@]}"; do
  mkdir -p "$stage/$rel"
  cp -R "$root/$rel/Cargo.toml" "$root/$rel/src" "$stage/$rel/"
  [ ! -f "$root/$rel/Cargo.lock" ] || cp "$root/$rel/Cargo.lock" "$stage/$rel/"
  for data in lists spdx; do   # include_str! data
    [ ! -d "$root/$rel/$data" ] || cp -R "$root/$rel/$data" "$stage/$rel/"
  done
done

for rel in "${crates[@]}"; do
  crate="$root/$rel"
  name="$(basename "$rel")"
  # The staged workspace root: this crate as its only member, with the crate's release profile
  # (a member's own profile would be ignored) and its lock file.
  manifest="$stage/$rel/Cargo.toml"
  {
    printf '[workspace]\nmembers = ["%s"]\n\n' "$rel"
    sed -n '/^\[profile\.release\]/,/^\[[^p]/p' "$crate/Cargo.toml" | sed '/^\[[^p]/d'
  } >"$stage/Cargo.toml"
  sed '/^\[profile\.release\]/,/^\[[^p]/{/^\[[^p]/!d}' "$crate/Cargo.toml" >"$manifest"
  cp "$crate/Cargo.lock" "$stage/Cargo.lock"
  (cd "$stage" && "${cargo[@]}" build --quiet --release "${flags[@]}" --target "$target" \
    "${source_cfg[@]}")
  artefact="$CARGO_TARGET_DIR/$target/release/${name//-/_}.wasm"
  home="$crate"
  case "$rel" in plugins/*) home="$root/bomhost/builtins/$name" ;; esac
  dest="${out_dir:-$home}/${name//-/_}.wasm"
  cp "$artefact" "$dest"
  echo "built $dest ($(wc -c <"$dest") bytes)"
done
