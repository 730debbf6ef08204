//! banned-packages, as a sandboxed WASM plugin: flag components whose purl starts with a
//! banned prefix listed in the manifest's `[plugin.config] banned = [...]`.
//!
//! Same findings as the external example `examples/plugins/banned-packages` (a test runs both
//! on the same SBOM pair and compares): kind `banned`, rule_id `banned/<prefix>`, message
//! `<purl> matches banned prefix <prefix>`, exact prefix match on the purl string.
//! It calls no host function, so it loads under the default policy.

use bomhost_plugin::{export_plugin, Finding, Severity, Value};

fn banned_packages(request: &Value) -> Vec<Finding> {
    let purl = match request["component"]["purl"].as_str() {
        Some(p) => p,
        None => return Vec::new(),
    };
    let banned = match request["config"]["banned"].as_array() {
        Some(list) => list,
        None => return Vec::new(),
    };
    banned
        .iter()
        .filter_map(Value::as_str)
        .filter(|prefix| !prefix.is_empty() && purl.starts_with(prefix))
        .map(|prefix| {
            Finding::new(
                "banned",
                Severity::Error,
                format!("banned/{}", prefix),
                format!("{} matches banned prefix {}", purl, prefix),
            )
        })
        .collect()
}

export_plugin!(banned_packages);
