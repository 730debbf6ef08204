//! `builtin:registry`: bomdrift's registry signals (src/enrich/registry.rs) as a sandboxed plugin.
//!
//! For each npm or PyPI component it fetches the package's registry metadata, the same document
//! bomdrift fetches (`GET {npm}/{name}`, `GET {pypi}/pypi/{name}/json`), through the host's
//! policy broker, and reports:
//!
//! - `recently-published` (rule `bomdrift.recently-published`, warning): the version's publish
//!   time (npm `time[version]`, else `time.modified` as bomdrift; PyPI the first file's
//!   `upload_time_iso_8601`) is fewer than `recently_published_days` (default 14) whole days
//!   before the run's fixed now (`run.now_ms`, SOURCE_DATE_EPOCH-aware). data: bomdrift's
//!   `RecentlyPublished` without the component: `{published_at, days_old}`.
//! - `deprecated` (rule `bomdrift.deprecated`, error): npm `versions[version].deprecated`;
//!   PyPI a yanked file of that release (`PyPI yanked: <yanked_reason or "yanked">`), else an
//!   `Inactive`/`Abandoned` classifier (`PyPI classifier: <classifier>`). data: `{message}`.
//! - `maintainer-set-changed` (rule `bomdrift.maintainer-set-changed`, warning; npm
//!   version changes only): the maintainers of the two versions differ. data: `{added, removed}`
//!   (bomdrift's entry also holds `before`/`after`, which the report fills from the change set).
//!
//! Where bomdrift is looser, this plugin is exact (docs/plugins.md): the deprecation message is
//! the component's own version's (bomdrift takes whichever version it saw last), PyPI's yanked
//! flag is the release's (bomdrift reads the latest release's `info.yanked`), an empty npm
//! `deprecated` string means "not deprecated" (npm's un-deprecate), and scoped npm names come
//! from the purl (`@scope/name`). bomdrift checks only added components; `events` in the config
//! says which events get the recently-published and deprecated checks (default both).
//!
//! bomdrift swallows every network failure. Here a failed fetch is answered with the protocol-2
//! `error` field, so the report shows a warning and a `plugin_errors` entry while the run goes on.

use std::collections::BTreeSet;

use bomhost_plugin::{export_raw_plugin, http_request_sized, json, response_with_error, Finding, Severity, Value};

const MIN_PUBLISHED_AGE_DAYS: i64 = 14;
const NPM: &str = "https://registry.npmjs.org";
const PYPI: &str = "https://pypi.org";

/// Offered first: one request for nearly every document (a smaller buffer is a second request).
const FIRST_BUFFER: usize = 4 * 1024 * 1024;
/// The largest document read (the SDK's ceiling).
const MAX_BUFFER: usize = 16 * 1024 * 1024;

fn handle(raw: &[u8]) -> Vec<u8> {
    let request: Value = match bomhost_plugin::serde_json::from_slice(raw) {
        Ok(v) => v,
        Err(_) => return b"request is not JSON".to_vec(),
    };
    match check(&request) {
        Ok(findings) => response_with_error(&findings, None),
        Err(why) => response_with_error(&[], Some(&why)),
    }
}

export_raw_plugin!(handle);

fn config_str<'a>(config: &'a Value, key: &str, default: &'a str) -> &'a str {
    config[key].as_str().filter(|s| !s.is_empty()).unwrap_or(default)
}

fn check(request: &Value) -> Result<Vec<Finding>, String> {
    let config = &request["config"];
    let component = &request["component"];
    let event = request["event"].as_str().unwrap_or("added");
    let ecosystem = component["ecosystem"].as_str().unwrap_or("");
    let version = component["version"].as_str().unwrap_or("");
    let threshold = config["recently_published_days"].as_i64().unwrap_or(MIN_PUBLISHED_AGE_DAYS);
    let events: Vec<&str> = match config["events"].as_array() {
        Some(list) => list.iter().filter_map(Value::as_str).collect(),
        None => vec!["added", "version-changed"],
    };
    let now_ms = request["run"]["now_ms"].as_i64().unwrap_or(0);

    let meta = match ecosystem {
        "npm" => {
            let name = package_name(component, "npm");
            let base = config_str(config, "npm_base_url", NPM).trim_end_matches('/');
            let doc = fetch(&format!("{}/{}", base, npm_encode(&name)))?;
            npm_meta(&doc, version, request["before"]["version"].as_str())
        }
        "pypi" => {
            let name = pep503(&package_name(component, "pypi"));
            let base = config_str(config, "pypi_base_url", PYPI).trim_end_matches('/');
            let doc = fetch(&format!("{}/pypi/{}/json", base, name))?;
            pypi_meta(&doc, version)
        }
        _ => return Ok(Vec::new()),
    };

    let name = component["name"].as_str().unwrap_or("");
    let mut out = Vec::new();
    if events.contains(&event) {
        if let Some(published) = meta.published_at {
            if let Some(days) = days_since(&published, now_ms) {
                if days < threshold {
                    out.push(
                        Finding::new(
                            "recently-published",
                            Severity::Warning,
                            "bomdrift.recently-published",
                            format!(
                                "`{}` was published {} day(s) ago ({}). Recent publishes correlate with takeover swaps.",
                                name, days, published
                            ),
                        )
                        .with_data(json!({"published_at": published, "days_old": days})),
                    );
                }
            }
        }
        if let Some(message) = meta.deprecated {
            out.push(
                Finding::new(
                    "deprecated",
                    Severity::Error,
                    "bomdrift.deprecated",
                    format!("`{}` is deprecated upstream: {}", name, message),
                )
                .with_data(json!({ "message": message })),
            );
        }
    }
    if let Some((added, removed)) = meta.maintainers_changed {
        let show = |v: &Vec<String>| if v.is_empty() { "(none)".to_string() } else { v.join(",") };
        out.push(
            Finding::new(
                "maintainer-set-changed",
                Severity::Warning,
                "bomdrift.maintainer-set-changed",
                format!("`{}` maintainer set changed: +{} / -{}.", name, show(&added), show(&removed)),
            )
            .with_data(json!({"added": added, "removed": removed})),
        );
    }
    Ok(out)
}

/// What one registry document says about one version.
struct Meta {
    published_at: Option<String>,
    deprecated: Option<String>,
    /// npm version changes: (added, removed) maintainer names, when the sets differ.
    maintainers_changed: Option<(Vec<String>, Vec<String>)>,
}

fn fetch(url: &str) -> Result<Value, String> {
    let body = http_request_sized("GET", url, &[], None, FIRST_BUFFER, MAX_BUFFER)
        .map_err(|e| format!("registry metadata unavailable: GET {} failed: {} ({})", url, e, e.code()))?;
    bomhost_plugin::serde_json::from_slice(&body)
        .map_err(|_| format!("registry metadata unavailable: GET {} did not answer JSON", url))
}

fn npm_meta(doc: &Value, version: &str, before: Option<&str>) -> Meta {
    let time = &doc["time"];
    let published_at = time[version]
        .as_str()
        .or_else(|| time["modified"].as_str())
        .map(str::to_string);
    let deprecated = doc["versions"][version]["deprecated"]
        .as_str()
        .filter(|m| !m.is_empty())
        .map(str::to_string);
    let maintainers_changed = before.and_then(|b| {
        let bef = npm_maintainers(doc, b);
        let aft = npm_maintainers(doc, version);
        if (bef.is_empty() && aft.is_empty()) || bef == aft {
            return None;
        }
        Some((aft.difference(&bef).cloned().collect(), bef.difference(&aft).cloned().collect()))
    });
    Meta { published_at, deprecated, maintainers_changed }
}

fn npm_maintainers(doc: &Value, version: &str) -> BTreeSet<String> {
    doc["versions"][version]["maintainers"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|m| m["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn pypi_meta(doc: &Value, version: &str) -> Meta {
    let files = doc["releases"][version].as_array();
    let published_at = files
        .and_then(|f| f.first())
        .and_then(|f| f["upload_time_iso_8601"].as_str())
        .map(str::to_string);
    let yanked = files.and_then(|f| f.iter().find(|file| file["yanked"].as_bool() == Some(true)));
    let mut deprecated = yanked.map(|file| {
        let reason = file["yanked_reason"].as_str().filter(|r| !r.is_empty()).unwrap_or("yanked");
        format!("PyPI yanked: {}", reason)
    });
    if deprecated.is_none() {
        if let Some(classifiers) = doc["info"]["classifiers"].as_array() {
            deprecated = classifiers
                .iter()
                .filter_map(Value::as_str)
                .find(|c| c.contains("Inactive") || c.contains("Abandoned"))
                .map(|c| format!("PyPI classifier: {}", c));
        }
    }
    Meta { published_at, deprecated, maintainers_changed: None }
}

/// The registry name: from the purl when there is one (npm scopes live in its namespace,
/// `pkg:npm/%40babel/core@7.0.0` is `@babel/core`), else the component's name.
fn package_name(component: &Value, purl_type: &str) -> String {
    let name = component["name"].as_str().unwrap_or("").to_string();
    let purl = match component["purl"].as_str() {
        Some(p) => p,
        None => return name,
    };
    let prefix = format!("pkg:{}/", purl_type);
    let rest = match purl.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(&prefix) => &purl[prefix.len()..],
        _ => return name,
    };
    let rest = rest.split(|c| c == '?' || c == '#').next().unwrap_or("");
    let path = match rest.rfind('@') {
        Some(at) if at > 0 => &rest[..at],
        _ => rest,
    };
    let segments: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect();
    if segments.is_empty() {
        name
    } else {
        segments.join("/")
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// bomdrift's URL encoding of an npm name (`@scope/name` -> `%40scope%2Fname`), plus every other
/// byte outside the unreserved set, so the URL stays printable ASCII whatever the SBOM says.
fn npm_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'!' | b'*' | b'(' | b')' | b'\'') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{:02X}", b));
        }
    }
    out
}

/// PEP 503 normalisation: PyPI answers a non-normalised name with a redirect, which the broker
/// never follows, so the request names the project the way PyPI files it.
fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if c == '-' || c == '_' || c == '.' {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        for l in c.to_lowercase() {
            if l.is_ascii_alphanumeric() {
                out.push(l);
            } else {
                out.push_str(&npm_encode(&l.to_string()));
            }
        }
    }
    out
}

/// Whole days from an RFC 3339 time to the run's now, truncated toward zero (bomdrift's
/// `(now - t).whole_days()`); None for a time that is not RFC 3339.
fn days_since(iso: &str, now_ms: i64) -> Option<i64> {
    let t_ns = rfc3339_ns(iso)?;
    let now_ns = now_ms as i128 * 1_000_000;
    Some(((now_ns - t_ns) / 86_400_000_000_000) as i64)
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)` as nanoseconds since the epoch.
fn rfc3339_ns(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let part = s.get(from..to)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac_ns: i128 = 0;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        let digits = &s[start..i.min(start + 9)];
        frac_ns = digits.parse::<i128>().ok()? * 10i128.pow(9 - digits.len() as u32);
    }
    let offset_s: i64 = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        b'+' | b'-' if i + 6 == b.len() && b[i + 3] == b':' => {
            let sign = if b[i] == b'-' { -1 } else { 1 };
            sign * (num(i + 1, i + 3)? * 3600 + num(i + 4, i + 6)? * 60)
        }
        _ => return None,
    };
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    Some(secs as i128 * 1_000_000_000 + frac_ns)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
