//! banned-packages, as a sandboxed WASM plugin that loads its list with `read_file`.
//!
//! The list is the file named by `[plugin.config] banned_file` (relative paths start at the
//! policy file's folder), parsed exactly as the external example `check-banned.py` parses
//! banned.txt: universal newlines, whitespace stripped as Python's `str.strip()` does, blank
//! lines and `#` lines ignored. Findings are the external example's: kind `banned`, severity
//! `error`, rule_id `banned/<prefix>`, message `<purl> matches banned prefix <prefix>`.
//!
//! When the list cannot be loaded (no `banned_file`, read denied or failed, not UTF-8), each
//! component with a purl gets one finding instead: kind `plugin-config`, severity `error`,
//! rule_id `banned/config`, saying why, so a misconfigured ban list fails loudly in the report
//! (and trips `--fail-on`) instead of passing every component.

use bomhost_plugin::{export_plugin, read_file_max, Finding, Severity, Value};

/// A ban list is a short text file; anything bigger is a mistake worth reporting.
const MAX_LIST_BYTES: usize = 1024 * 1024;

fn banned_packages_file(request: &Value) -> Vec<Finding> {
    // Like check-banned.py: a component without a purl is never flagged (nor is the list read).
    let purl = match request["component"]["purl"].as_str() {
        Some(p) if !p.is_empty() => p,
        _ => return Vec::new(),
    };
    let prefixes = match load_prefixes(&request["config"]["banned_file"]) {
        Ok(list) => list,
        Err(why) => {
            let message = format!("banned-packages-file-wasm could not load its list: {}", why);
            return vec![Finding::new("plugin-config", Severity::Error, "banned/config", message)];
        }
    };
    prefixes
        .iter()
        .filter(|prefix| purl.starts_with(prefix.as_str()))
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

fn load_prefixes(banned_file: &Value) -> Result<Vec<String>, String> {
    let path = match banned_file.as_str() {
        Some(p) if !p.is_empty() => p,
        _ => return Err("[plugin.config] banned_file (a path) is not set".to_string()),
    };
    let bytes = read_file_max(path, MAX_LIST_BYTES)
        .map_err(|e| format!("read_file({}) failed: {} ({})", path, e, e.code()))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8", path))?;
    Ok(parse_list(&text))
}

/// check-banned.py's parsing: Python text mode splits lines at `\n`, `\r\n` and `\r`; the
/// blank lines that splitting `\r\n` at both characters yields are dropped like any other.
fn parse_list(text: &str) -> Vec<String> {
    text.split(|c| c == '\n' || c == '\r')
        .map(|line| line.trim_matches(py_space))
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Python's `str.isspace()`: Unicode White_Space plus the four ASCII separators U+001C..1F.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

export_plugin!(banned_packages_file);
