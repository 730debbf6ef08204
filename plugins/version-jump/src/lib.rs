//! `builtin:version-jump`: bomdrift's version-jump signal (src/enrich/version_jump.rs) as a
//! sandboxed plugin.
//!
//! A version change whose major version goes up by `multi_major_delta` (bomdrift's
//! `--multi-major-delta`, default 2) or more is reported: kind `version-jump`, rule
//! `bomdrift.version-jump`, severity info (bomdrift's signal is informational: it trips no
//! severity gate), data `{before_major, after_major}` (the report fills `before`/`after` from the
//! change set). A single major bump is the ordinary SemVer signal and is not reported.
//!
//! The major version is read as bomdrift reads it: an optional leading `v`, then digits up to
//! the first `.`, `-` or `+`. A version without a numeric major (`latest`, a commit hash), or
//! with a leading zero (`01.2.3`, not SemVer), is skipped, never guessed.
//!
//! No host function is called: the plugin needs no grant beyond the default policy.

use bomhost_plugin::{export_plugin, json, Finding, Severity, Value};

const DEFAULT_DELTA: u64 = 2;

/// The major version of `version`, or None when it has none bomdrift would trust.
fn major(version: &str) -> Option<u64> {
    let s = version.strip_prefix('v').unwrap_or(version);
    let head = s.split(|c| c == '.' || c == '-' || c == '+').next()?;
    if head.is_empty() || !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if head.len() > 1 && head.starts_with('0') {
        return None;
    }
    head.parse::<u64>().ok()
}

fn version_jump(request: &Value) -> Vec<Finding> {
    if request["event"].as_str() != Some("version-changed") {
        return Vec::new();
    }
    let delta = request["config"]["multi_major_delta"].as_u64().unwrap_or(DEFAULT_DELTA).max(1);
    let after = &request["component"];
    let before = &request["before"];
    let (b, a) = match (
        before["version"].as_str().and_then(major),
        after["version"].as_str().and_then(major),
    ) {
        (Some(b), Some(a)) => (b, a),
        _ => return Vec::new(),
    };
    if a < b || a - b < delta {
        return Vec::new();
    }
    let name = after["name"].as_str().unwrap_or("");
    vec![Finding::new(
        "version-jump",
        Severity::Info,
        "bomdrift.version-jump",
        format!(
            "`{}` jumped {} major versions ({} -> {}): confirm the upgrade is intentional and the source matches",
            name,
            a - b,
            b,
            a
        ),
    )
    .with_data(json!({"before_major": b, "after_major": a}))]
}

export_plugin!(version_jump);
