#!/usr/bin/env bash
# Copy the plugin SDKs into the package, where `bomhost plugin new` vendors them from.
#
# The SDKs are written in examples/plugins/bomhost-plugin-sdk (Rust) and
# examples/plugins/bomhost-plugin-sdk-c (C); an installed bomhost has no checkout, so the
# package ships copies in bomhost/authoring/sdk/. Run this after changing an SDK; a test
# (tests/authoring/test_plugin_new.py) fails while the copies differ.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/bomhost/authoring/sdk"
rm -rf "$dest/rust" "$dest/c"
mkdir -p "$dest/rust" "$dest/c"
cp -R "$root/examples/plugins/bomhost-plugin-sdk/Cargo.toml" "$root/examples/plugins/bomhost-plugin-sdk/README.md" \
  "$root/examples/plugins/bomhost-plugin-sdk/src" "$dest/rust/"
cp "$root/examples/plugins/bomhost-plugin-sdk-c/bomhost.h" "$root/examples/plugins/bomhost-plugin-sdk-c/README.md" "$dest/c/"
echo "synced $dest"
