//! `builtin:maintainer-age`: bomdrift's maintainer-age signal (src/enrich/maintainer.rs) as a
//! sandboxed plugin.
//!
//! For a newly added component whose source repository is on GitHub it asks the GitHub REST API
//! for the top contributor (`/contributors?per_page=1`), skips repositories with more than
//! `max_contributors` (50) contributors (monorepos: "top contributor joined recently" means
//! nothing there), finds that contributor's oldest commit, and reports `maintainer-age` (rule
//! `bomdrift.young-maintainer`, warning) when it is fewer than `young_maintainer_days` (default
//! 90) days before the run's fixed now. data: bomdrift's `MaintainerAgeFinding` without the
//! component: `{top_contributor, first_commit_at, days_old}`.
//!
//! The token: the shipped policy injects `Authorization: Bearer ${env:GITHUB_TOKEN}` into the
//! requests its GitHub rule matches. This module never sees it and never sends it itself.
//!
//! The broker hands a plugin response bodies, not headers, so bomdrift's two Link-header reads
//! are done from bodies, with the same answers:
//! - the contributor count: bomdrift reads the last page of `per_page=1&anon=true`; here one
//!   page of `max_contributors + 1` entries, more than `max_contributors` = a monorepo;
//! - the oldest commit: bomdrift reads the last page of `per_page=1`; here pages of 100 are
//!   probed (1, 2, 4, ...) until one is not full, then bisected, and the oldest commit is the
//!   last entry of the last non-empty page: the same commit in O(log pages) requests.
//!
//! The source repository is the component's `source_url` (bomdrift's rule and URL forms), else
//! a purl that names a GitHub repository (`pkg:github/owner/repo`,
//! `pkg:golang/github.com/owner/repo/...`). A failed request is answered with the protocol-2
//! `error` field (a warning and a `plugin_errors` entry), never a failed run.

use bomhost_plugin::{export_raw_plugin, http_request_sized, json, response_with_error, Finding, Severity, Value};

const YOUNG_MAINTAINER_DAYS: i64 = 90;
const MAX_CONTRIBUTORS_FOR_SIGNAL: u64 = 50;
const GITHUB_API_BASE: &str = "https://api.github.com";
const PAGE: usize = 100;

/// Offered first: one request for nearly every document (a smaller buffer is a second request).
const FIRST_BUFFER: usize = 1024 * 1024;
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

fn check(request: &Value) -> Result<Vec<Finding>, String> {
    let config = &request["config"];
    let component = &request["component"];
    let threshold = config["young_maintainer_days"].as_i64().unwrap_or(YOUNG_MAINTAINER_DAYS);
    let max_contributors = config["max_contributors"].as_u64().unwrap_or(MAX_CONTRIBUTORS_FOR_SIGNAL);
    let base = config["github_api_url"]
        .as_str()
        .filter(|s| !s.is_empty())
        .unwrap_or(GITHUB_API_BASE)
        .trim_end_matches('/')
        .to_string();
    let now_secs = request["run"]["now_ms"].as_i64().unwrap_or(0).div_euclid(1000);

    let repo = component["source_url"]
        .as_str()
        .and_then(parse_github_repo)
        .or_else(|| component["purl"].as_str().and_then(purl_github_repo));
    let (owner, repo) = match repo {
        Some(r) => r,
        None => return Ok(Vec::new()),
    };
    let api = Api { base, owner: encode(&owner), repo: encode(&repo) };

    let top = api.get("contributors?per_page=1")?;
    let login = match top.as_array().and_then(|a| a.first()).and_then(|c| c["login"].as_str()) {
        Some(l) => l.to_string(),
        None => return Ok(Vec::new()),
    };
    let counted = api.get(&format!("contributors?per_page={}&anon=true", max_contributors + 1))?;
    if counted.as_array().map_or(0, |a| a.len()) as u64 > max_contributors {
        return Ok(Vec::new());
    }
    let oldest = match api.oldest_commit(&encode(&login))? {
        Some(c) => c,
        None => return Ok(Vec::new()),
    };
    let date = match oldest.pointer("/commit/author/date").and_then(Value::as_str) {
        Some(d) => d.to_string(),
        None => return Ok(Vec::new()),
    };
    let commit_secs = match iso8601_to_unix_seconds(&date) {
        Some(s) => s,
        None => return Ok(Vec::new()),
    };
    let days = (now_secs - commit_secs) / 86_400;
    if days >= threshold {
        return Ok(Vec::new());
    }
    let name = component["name"].as_str().unwrap_or("");
    let message = format!(
        "`{}` top contributor `{}` made their first commit {} day(s) ago ({}). Investigate maintainer history before merging.",
        name, login, days, date
    );
    Ok(vec![Finding::new("maintainer-age", Severity::Warning, "bomdrift.young-maintainer", message)
        .with_data(json!({"top_contributor": login, "first_commit_at": date, "days_old": days}))])
}

struct Api {
    base: String,
    owner: String,
    repo: String,
}

impl Api {
    fn get(&self, path: &str) -> Result<Value, String> {
        let url = format!("{}/repos/{}/{}/{}", self.base, self.owner, self.repo, path);
        let headers = [("x-github-api-version", "2022-11-28")];
        let body = http_request_sized("GET", &url, &headers, None, FIRST_BUFFER, MAX_BUFFER)
            .map_err(|e| format!("GitHub lookup failed: GET {} failed: {} ({})", url, e, e.code()))?;
        bomhost_plugin::serde_json::from_slice(&body)
            .map_err(|_| format!("GitHub lookup failed: GET {} did not answer JSON", url))
    }

    fn commits(&self, login: &str, page: u64) -> Result<Vec<Value>, String> {
        let path = format!("commits?author={}&per_page={}&page={}", login, PAGE, page);
        Ok(self.get(&path)?.as_array().cloned().unwrap_or_default())
    }

    /// The last entry of the last non-empty page of the author's commits (newest first):
    /// pages 1, 2, 4, ... until one is not full, then bisection between the highest full page
    /// and the lowest empty one.
    fn oldest_commit(&self, login: &str) -> Result<Option<Value>, String> {
        let first = self.commits(login, 1)?;
        if first.len() < PAGE {
            return Ok(first.last().cloned());
        }
        let (mut full, mut full_body) = (1u64, first);
        let mut empty = loop {
            let probe = full.saturating_mul(2);
            let page = self.commits(login, probe)?;
            if page.len() == PAGE {
                full = probe;
                full_body = page;
            } else if !page.is_empty() {
                return Ok(page.last().cloned());
            } else {
                break probe;
            }
        };
        while empty - full > 1 {
            let mid = full + (empty - full) / 2;
            let page = self.commits(login, mid)?;
            if page.len() == PAGE {
                full = mid;
                full_body = page;
            } else if !page.is_empty() {
                return Ok(page.last().cloned());
            } else {
                empty = mid;
            }
        }
        Ok(full_body.last().cloned())
    }
}

/// Percent-encode everything outside the unreserved set (`dependabot[bot]`), so the URL is
/// printable ASCII and the query means what it says.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{:02X}", b));
        }
    }
    out
}

/// bomdrift's `parse_github_repo`: `(owner, repo)` of a GitHub URL in any of its usual forms
/// (`https://`, `git+https://`, `git://`, `ssh://`, `git@github.com:`), `.git` and any path,
/// query or fragment after the repository dropped.
fn parse_github_repo(url: &str) -> Option<(String, String)> {
    let mut s = url.trim();
    for prefix in ["git+", "https://", "http://", "git://", "ssh://", "git@"] {
        while let Some(rest) = s.strip_prefix(prefix) {
            s = rest;
        }
    }
    let rest = s
        .strip_prefix("github.com/")
        .or_else(|| s.strip_prefix("github.com:"))
        .or_else(|| s.strip_prefix("www.github.com/"))?;
    let mut parts = rest.split('/');
    let owner = parts.next()?.to_string();
    let repo_raw = parts.next()?;
    let repo = repo_raw
        .split(|c| c == '#' || c == '?')
        .next()
        .unwrap_or(repo_raw)
        .trim_end_matches('/')
        .trim_end_matches(".git")
        .to_string();
    if owner.is_empty() || repo.is_empty() {
        return None;
    }
    Some((owner, repo))
}

/// A purl naming a GitHub repository: `pkg:github/owner/repo@v` or
/// `pkg:golang/github.com/owner/repo[/subpath]@v`.
fn purl_github_repo(purl: &str) -> Option<(String, String)> {
    let rest = purl.split(|c| c == '?' || c == '#').next()?;
    let rest = match rest.rfind('@') {
        Some(at) => &rest[..at],
        None => rest,
    };
    let lower = rest.to_ascii_lowercase();
    let path = if lower.starts_with("pkg:github/") {
        &rest["pkg:github/".len()..]
    } else if lower.starts_with("pkg:golang/github.com/") {
        &rest["pkg:golang/github.com/".len()..]
    } else {
        return None;
    };
    parse_github_repo(&format!("github.com/{}", path))
}

/// bomdrift's parser: exactly `YYYY-MM-DDTHH:MM:SSZ` (GitHub's form) to Unix seconds, else None
/// (and no finding).
fn iso8601_to_unix_seconds(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> { s.get(from..to)?.parse().ok() };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || !(0..=23).contains(&hour)
        || !(0..=59).contains(&minute)
        || !(0..=60).contains(&second)
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
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
