#!/usr/bin/env bash
# Build the Rust example plugins (filled in by the WASM runtime work).
set -euo pipefail
