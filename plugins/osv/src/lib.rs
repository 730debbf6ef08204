//! `builtin:osv`: known advisories for the changed components, from the OSV service or from
//! an OSV dump, as bomdrift's `enrichment.vulns` entries (protocol 2, batch invocation).
//!
//! Which components are asked about is bomdrift's rule: every added component and the new
//! side of every version change, when it has a purl. Each becomes one OSV query by package
//! (ecosystem and name from the purl) and version.
//!
//! - Online (default): one `POST {base_url}/v1/querybatch` per call (bomhost sends at most
//!   1,000 components per call, OSV's batch limit), then one `GET {base_url}/v1/vulns/{id}`
//!   per advisory named, deduplicated across components. A failed lookup leaves that
//!   advisory's severity `NONE` (bomdrift); a failed batch fails the call, so the run records
//!   a `plugin_errors` entry (`plugin_reported`) and goes on.
//! - Offline (`config.osv_db`, set by `bomhost diff --osv-db PATH`): the dump is read with
//!   `read_file` (a zip in OSV's `all.zip` layout) and each record's `affected[]` is evaluated
//!   here: `versions`, and `ranges` of type ECOSYSTEM/SEMVER with the ecosystem's version rules.
//!
//! - EPSS and KEV (online only; `no_epss` / `no_kev` turn them off, as bomdrift's flags): the
//!   CVE ids among the advisories' ids and aliases are scored by FIRST.org's EPSS API
//!   (`GET {epss_url}?cve=...`, 100 a request; an advisory gets the highest score of its CVEs)
//!   and looked up in CISA's KEV catalogue (`GET {kev_url}`, the whole feed). Both are
//!   best-effort, as in bomdrift: a failure is a warning in the log and the advisories keep
//!   their other fields.
//!
//! Both ways build the advisory the same way from the same record (`vuln_ref`), so the same
//! records give the same findings. Ids are sorted per component, so the report does not depend
//! on the order a server answers in.

mod cvss;
mod cvss4;
mod cvss4_tables;
mod pep440;
mod zip;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use bomhost_plugin::{export_raw_plugin, log, read_file_max, Level};
use serde::Deserialize;
use serde_json::{json, Value};

const DEFAULT_BASE_URL: &str = "https://api.osv.dev";
const DEFAULT_EPSS_URL: &str = "https://api.first.org/data/v1/epss";
const DEFAULT_KEV_URL: &str = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// FIRST.org's documented ceiling of CVEs per EPSS request.
const EPSS_BATCH: usize = 100;
/// The largest dump or response this plugin accepts into memory.
const MAX_READ: usize = 1 << 30;
/// The first buffer for a querybatch answer: 1,000 results of ~40 advisory ids each fit, so the
/// POST is not sent twice (a too-small buffer means asking again).
const QUERYBATCH_BUFFER: usize = 16 << 20;

#[link(wasm_import_module = "bomdrift")]
extern "C" {
    #[link_name = "http_request"]
    fn host_http_request(req_ptr: *const u8, req_len: usize, buf_ptr: *mut u8, cap: usize) -> i64;
}

/// `bomdrift.http_request` with a buffer doubled on -4 (too small), as the SDK's wrappers do.
/// A retry sends the request again, so `first_cap` should fit the usual answer.
fn http_request(request: &Value, first_cap: usize) -> Result<Vec<u8>, i64> {
    let req = request.to_string();
    let mut cap = first_cap;
    loop {
        let mut buf: Vec<u8> = Vec::with_capacity(cap);
        let n = unsafe { host_http_request(req.as_ptr(), req.len(), buf.as_mut_ptr(), cap) };
        if n >= 0 && (n as usize) <= cap {
            unsafe { buf.set_len(n as usize) };
            return Ok(buf);
        }
        if n == -4 && cap < MAX_READ {
            cap *= 2;
            continue;
        }
        return Err(n);
    }
}

fn host_error(code: i64) -> &'static str {
    match code {
        -1 => "denied by the policy",
        -2 => "connection failed or non-2xx status",
        -3 => "a quota of the policy would be exceeded",
        -4 => "response too large",
        -5 => "timed out",
        -7 => "request refused as malformed",
        _ => "host error",
    }
}

/// What a batch's lookups found: the advisory ids per query, and each advisory's details.
type Found = (Vec<Vec<String>>, HashMap<String, VulnRef>);

// ---- OSV records (the fields this plugin reads; the rest is skipped unparsed) ----

#[derive(Deserialize)]
struct Record {
    id: String,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    withdrawn: Option<Value>,
    #[serde(default)]
    severity: Option<Vec<SeverityEntry>>,
    #[serde(default)]
    database_specific: Option<Value>,
    #[serde(default)]
    affected: Option<Vec<Affected>>,
}

#[derive(Deserialize)]
struct SeverityEntry {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct Affected {
    #[serde(default)]
    package: Option<Package>,
    #[serde(default)]
    ranges: Option<Vec<Range>>,
    #[serde(default)]
    versions: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Package {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct Range {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<Event>,
}

#[derive(Deserialize)]
struct Event {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
    limit: Option<String>,
}

/// bomdrift's VulnRef for one record: severity and aliases.
struct VulnRef {
    severity: &'static str,
    aliases: Vec<String>,
}

/// Severity: the GHSA label (`database_specific.severity`) first, as bomdrift; else the
/// highest CVSS v3 or v4 base score among `severity[]`, bucketed as NVD; else `NONE`.
fn vuln_ref(record: &Record) -> VulnRef {
    let label = record
        .database_specific
        .as_ref()
        .and_then(|d| d.get("severity"))
        .and_then(Value::as_str)
        .map(|l| match l.trim().to_ascii_uppercase().as_str() {
            "CRITICAL" => "CRITICAL",
            "HIGH" => "HIGH",
            "MEDIUM" | "MODERATE" => "MEDIUM",
            "LOW" => "LOW",
            _ => "NONE",
        });
    let severity = label.filter(|l| *l != "NONE").unwrap_or_else(|| {
        let best = record
            .severity
            .iter()
            .flatten()
            .filter_map(|s| match s.kind.as_str() {
                "CVSS_V3" => cvss::base_score_v3(s.score.trim()),
                "CVSS_V4" => cvss4::base_score(s.score.trim()),
                _ => None,
            })
            .fold(None, |acc: Option<f64>, s| Some(acc.map_or(s, |a| a.max(s))));
        best.map_or("NONE", cvss::bucket)
    });
    let mut aliases: BTreeSet<String> = record.aliases.clone().unwrap_or_default().into_iter().collect();
    aliases.remove(&record.id);
    VulnRef { severity, aliases: aliases.into_iter().collect() }
}

// ---- Queries ----

struct Query {
    item: usize,
    ecosystem: String,
    name: String,
    version: String,
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// OSV's `(ecosystem, name, version)` for a purl, or `None` for a type OSV has no ecosystem for.
fn query_for(purl: &str, fallback_version: Option<&str>) -> Option<(String, String, String)> {
    let rest = purl.strip_prefix("pkg:")?;
    let rest = rest.split('#').next()?.split('?').next()?;
    let (path, version) = match rest.rfind('@') {
        Some(at) if at > rest.find('/').unwrap_or(0) => (&rest[..at], Some(percent_decode(&rest[at + 1..]))),
        _ => (rest, None),
    };
    let (kind, path) = path.split_once('/')?;
    let segments: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect();
    let (name, namespace) = segments.split_last()?;
    let namespace = namespace.join("/");
    let kind = kind.to_ascii_lowercase();
    let ecosystem = match kind.as_str() {
        "pypi" => "PyPI",
        "npm" => "npm",
        "cargo" => "crates.io",
        "golang" => "Go",
        "maven" => "Maven",
        "gem" => "RubyGems",
        "nuget" => "NuGet",
        "composer" => "Packagist",
        "pub" => "Pub",
        "hex" => "Hex",
        "hackage" => "Hackage",
        "cran" => "CRAN",
        _ => return None,
    };
    let full = if namespace.is_empty() {
        name.clone()
    } else if kind == "maven" {
        format!("{}:{}", namespace, name)
    } else {
        format!("{}/{}", namespace, name)
    };
    let version = version.or_else(|| fallback_version.map(str::to_string)).filter(|v| !v.is_empty())?;
    Some((ecosystem.to_string(), full, version))
}

/// The name OSV matches on: PEP 503 for PyPI (runs of `-_.` as one `-`, lower case).
fn normalize(ecosystem: &str, name: &str) -> String {
    if ecosystem != "PyPI" {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.chars() {
        if c == '-' || c == '_' || c == '.' {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_sep = false;
        }
    }
    out
}

// ---- Version rules ----

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Zero, // `introduced: "0"`: before every version
    Pep440(pep440::Version),
    Semver(u64, u64, u64, semver::Prerelease),
}

#[derive(Clone, Copy, PartialEq)]
enum Scheme {
    Pep440,
    Semver,
}

/// The ordering a range of this type uses in this ecosystem; `None`: ranges not evaluated
/// (only the enumerated `versions` count), see docs/plugins.md.
fn scheme(range_type: &str, ecosystem: &str) -> Option<Scheme> {
    match (range_type, ecosystem) {
        ("SEMVER", _) => Some(Scheme::Semver),
        ("ECOSYSTEM", "PyPI") => Some(Scheme::Pep440),
        ("ECOSYSTEM", "npm") | ("ECOSYSTEM", "crates.io") | ("ECOSYSTEM", "Go") => Some(Scheme::Semver),
        _ => None,
    }
}

fn key(scheme: Scheme, text: &str) -> Option<Key> {
    match scheme {
        Scheme::Pep440 => pep440::parse(text).map(Key::Pep440),
        Scheme::Semver => {
            let t = text.trim();
            let v = semver::Version::parse(t.strip_prefix('v').unwrap_or(t)).ok()?;
            Some(Key::Semver(v.major, v.minor, v.patch, v.pre))
        }
    }
}

/// One range, prepared once per record: events parsed and sorted by version, limits apart.
struct PreparedRange {
    scheme: Scheme,
    events: Vec<(Key, u8)>, // 0 introduced, 1 fixed, 2 last_affected
    limits: Vec<Key>,
}

fn prepare_range(scheme: Scheme, range: &Range) -> PreparedRange {
    let mut events: Vec<(Key, u8)> = Vec::new();
    let mut limits = Vec::new();
    for e in &range.events {
        let (text, kind) = if let Some(v) = &e.introduced {
            (v, 0)
        } else if let Some(v) = &e.fixed {
            (v, 1)
        } else if let Some(v) = &e.last_affected {
            (v, 2)
        } else if let Some(v) = &e.limit {
            (v, 3)
        } else {
            continue;
        };
        if kind == 0 && text == "0" {
            events.push((Key::Zero, 0));
        } else if kind == 3 && text == "*" {
            continue;
        } else if let Some(k) = key(scheme, text) {
            if kind == 3 {
                limits.push(k);
            } else {
                events.push((k, kind));
            }
        }
    }
    events.sort_by(|a, b| a.0.cmp(&b.0)); // stable: equal versions keep the record's order
    PreparedRange { scheme, events, limits }
}

/// OSV's range evaluation: events sorted by version, `introduced` opens, `fixed` closes at,
/// `last_affected` closes after; a `limit` bounds the whole range from above.
fn in_range(version: &Key, range: &PreparedRange) -> bool {
    if range.limits.iter().any(|k| version >= k) {
        return false;
    }
    let mut affected = false;
    for (k, kind) in &range.events {
        match kind {
            0 if version >= k => affected = true,
            1 if version >= k => affected = false,
            2 if version.cmp(k) == Ordering::Greater => affected = false,
            _ => {}
        }
    }
    affected
}

/// An `affected[]` entry with its versions and ranges parsed once (a dump lists hundreds of
/// versions per record, and many components ask about the same package).
struct PreparedAffected {
    ecosystem: String,
    name: String,
    listed: BTreeSet<String>,
    listed_keys: BTreeSet<pep440::Version>, // PyPI: "1.0" lists "1.0.0" too
    ranges: Vec<PreparedRange>,
}

fn prepare(affected: &Affected) -> Option<PreparedAffected> {
    let p = affected.package.as_ref()?;
    let listed: BTreeSet<String> = affected.versions.iter().flatten().cloned().collect();
    let listed_keys = if p.ecosystem == "PyPI" {
        listed.iter().filter_map(|v| pep440::parse(v)).collect()
    } else {
        BTreeSet::new()
    };
    let ranges = affected
        .ranges
        .iter()
        .flatten()
        .filter_map(|r| scheme(&r.kind, &p.ecosystem).map(|s| prepare_range(s, r)))
        .collect();
    Some(PreparedAffected {
        ecosystem: p.ecosystem.clone(),
        name: normalize(&p.ecosystem, &p.name),
        listed,
        listed_keys,
        ranges,
    })
}

fn affects(a: &PreparedAffected, version: &str, pep: &Option<pep440::Version>, semver: &Option<Key>) -> bool {
    if a.listed.contains(version) || pep.as_ref().map_or(false, |v| a.listed_keys.contains(v)) {
        return true;
    }
    a.ranges.iter().any(|r| {
        let k = match r.scheme {
            Scheme::Pep440 => pep.clone().map(Key::Pep440),
            Scheme::Semver => semver.clone(),
        };
        k.map_or(false, |k| in_range(&k, r))
    })
}

// ---- Online ----

fn online(base: &str, queries: &[Query]) -> Result<Found, String> {
    let body = json!({"queries": queries.iter().map(|q| json!({
        "package": {"name": q.name, "ecosystem": q.ecosystem},
        "version": q.version,
    })).collect::<Vec<_>>()});
    let url = format!("{}/v1/querybatch", base);
    let answer = http_request(&json!({
        "method": "POST", "url": url,
        "headers": [["content-type", "application/json"]],
        "body": body.to_string(),
    }), QUERYBATCH_BUFFER)
    .map_err(|code| format!("osv: POST {} failed: {} ({})", url, host_error(code), code))?;
    let answer: Value = serde_json::from_slice(&answer)
        .map_err(|e| format!("osv: POST {}: answer is not JSON: {}", url, e))?;
    let results = answer["results"].as_array().cloned().unwrap_or_default();
    if results.len() != queries.len() {
        return Err(format!("osv: POST {}: {} results for {} queries", url, results.len(), queries.len()));
    }
    let ids: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            r["vulns"].as_array().into_iter().flatten().filter_map(|v| v["id"].as_str().map(str::to_string)).collect()
        })
        .collect();
    let unique: BTreeSet<&String> = ids.iter().flatten().collect();
    let mut details = HashMap::new();
    let mut failed = 0;
    for id in &unique {
        let url = format!("{}/v1/vulns/{}", base, encode_path(id));
        let record = http_request(&json!({"method": "GET", "url": url}), 256 * 1024)
            .ok()
            .and_then(|body| serde_json::from_slice::<Record>(&body).ok());
        match record {
            Some(r) => {
                details.insert(id.to_string(), vuln_ref(&r));
            }
            None => failed += 1,
        }
    }
    if failed > 0 {
        log(
            Level::Warning,
            &format!(
                "osv: {}/{} /v1/vulns/{{id}} lookup(s) failed; those advisories have severity NONE",
                failed,
                unique.len()
            ),
        );
    }
    Ok((ids, details))
}

// ---- EPSS and KEV ----

/// The CVE ids among an advisory's id and aliases (EPSS and KEV are keyed by CVE).
fn cves(id: &str, aliases: &[String]) -> Vec<String> {
    std::iter::once(id).chain(aliases.iter().map(String::as_str)).filter(|a| a.starts_with("CVE-")).map(str::to_string).collect()
}

/// FIRST.org's EPSS scores: `GET {url}?cve=A,B,...`, 100 CVEs a request (its documented limit).
fn epss_scores(url: &str, cves: &[String]) -> HashMap<String, f64> {
    let mut scores = HashMap::new();
    for chunk in cves.chunks(EPSS_BATCH) {
        let request = format!("{}?cve={}", url.trim_end_matches('/'), chunk.join(","));
        let answer = http_request(&json!({"method": "GET", "url": request}), 1 << 20)
            .map_err(|code| format!("{} ({})", host_error(code), code))
            .and_then(|body| serde_json::from_slice::<Value>(&body).map_err(|e| format!("answer is not JSON: {}", e)));
        match answer {
            Ok(doc) => {
                for row in doc["data"].as_array().into_iter().flatten() {
                    // FIRST.org sends the score as a string ("0.876").
                    let score = row["epss"].as_str().and_then(|s| s.parse::<f64>().ok()).or_else(|| row["epss"].as_f64());
                    if let (Some(cve), Some(score)) = (row["cve"].as_str(), score) {
                        scores.insert(cve.to_string(), score);
                    }
                }
            }
            Err(why) => log(Level::Warning, &format!("osv: EPSS scores unavailable: GET {}: {}", url, why)),
        }
    }
    scores
}

/// The CVE ids of CISA's Known Exploited Vulnerabilities catalogue (one JSON feed).
fn kev_catalog(url: &str) -> HashSet<String> {
    let answer = http_request(&json!({"method": "GET", "url": url}), 4 << 20)
        .map_err(|code| format!("{} ({})", host_error(code), code))
        .and_then(|body| serde_json::from_slice::<Value>(&body).map_err(|e| format!("answer is not JSON: {}", e)));
    match answer {
        Ok(doc) => doc["vulnerabilities"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v["cveID"].as_str().map(str::to_string))
            .collect(),
        Err(why) => {
            log(Level::Warning, &format!("osv: KEV catalogue unavailable: GET {}: {}", url, why));
            HashSet::new()
        }
    }
}

fn encode_path(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{:02X}", b),
        })
        .collect()
}

// ---- Offline ----

fn offline(path: &str, queries: &[Query]) -> Result<Found, String> {
    let dump = read_file_max(path, MAX_READ)
        .map_err(|e| format!("osv: cannot read the OSV dump {}: {}", path, e))?;
    let wanted: BTreeSet<(String, String)> =
        queries.iter().map(|q| (q.ecosystem.clone(), normalize(&q.ecosystem, &q.name))).collect();
    // Records that name a wanted package, by package: only those are kept in memory.
    let mut by_package: HashMap<(String, String), Vec<usize>> = HashMap::new();
    let mut records: Vec<(String, Vec<PreparedAffected>, VulnRef)> = Vec::new();
    let mut unreadable = 0usize;
    let outcome = zip::for_each(&dump, |name, bytes| {
        if !name.ends_with(".json") {
            return;
        }
        let record: Record = match serde_json::from_slice(bytes) {
            Ok(r) => r,
            Err(_) => {
                unreadable += 1;
                return;
            }
        };
        if record.withdrawn.as_ref().map_or(false, |w| !w.is_null()) {
            return;
        }
        let keys: BTreeSet<(String, String)> = record
            .affected
            .iter()
            .flatten()
            .filter_map(|a| a.package.as_ref())
            .map(|p| (p.ecosystem.clone(), normalize(&p.ecosystem, &p.name)))
            .filter(|k| wanted.contains(k))
            .collect();
        if keys.is_empty() {
            return;
        }
        for k in keys {
            by_package.entry(k).or_default().push(records.len());
        }
        let prepared = record.affected.iter().flatten().filter_map(prepare).collect();
        let vref = vuln_ref(&record);
        records.push((record.id.clone(), prepared, vref));
    });
    if let Err(e) = outcome {
        return Err(format!("osv: {}: {}", path, e));
    }
    if unreadable > 0 {
        log(Level::Warning, &format!("osv: {}: {} record(s) are not OSV JSON and were skipped", path, unreadable));
    }
    let mut details = HashMap::new();
    let ids = queries
        .iter()
        .map(|q| {
            let name = normalize(&q.ecosystem, &q.name);
            let pep = if q.ecosystem == "PyPI" { pep440::parse(&q.version) } else { None };
            let semver = key(Scheme::Semver, &q.version);
            let mut out = Vec::new();
            for &i in by_package.get(&(q.ecosystem.clone(), name.clone())).into_iter().flatten() {
                let (id, affected, vref) = &records[i];
                let hit = affected
                    .iter()
                    .any(|a| a.ecosystem == q.ecosystem && a.name == name && affects(a, &q.version, &pep, &semver));
                if hit {
                    out.push(id.clone());
                    details
                        .entry(id.clone())
                        .or_insert_with(|| VulnRef { severity: vref.severity, aliases: vref.aliases.clone() });
                }
            }
            out
        })
        .collect();
    Ok((ids, details))
}

// ---- The call ----

fn run(request: &Value) -> Value {
    let config = &request["config"];
    let items = request["batch"].as_array().cloned().unwrap_or_default();
    let mut queries = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let event = item["event"].as_str().unwrap_or("");
        if event != "added" && event != "version-changed" {
            continue;
        }
        let component = &item["component"];
        let purl = match component["purl"].as_str() {
            Some(p) => p,
            None => continue, // bomdrift queries purl-bearing components only
        };
        if let Some((ecosystem, name, version)) = query_for(purl, component["version"].as_str()) {
            queries.push(Query { item: i, ecosystem, name, version });
        }
    }
    if queries.is_empty() {
        return json!({"findings": []});
    }
    let offline_db = config["osv_db"].as_str();
    let found = match offline_db {
        Some(path) => offline(path, &queries),
        None => {
            let base = config["base_url"].as_str().unwrap_or(DEFAULT_BASE_URL).trim_end_matches('/');
            online(base, &queries)
        }
    };
    // A failed batch is answered with protocol 2's `error`: bomhost records it for every
    // component of the batch (`plugin_reported`, protocol/README.md section 5) and goes on.
    let (ids, details) = match found {
        Ok(found) => found,
        Err(why) => {
            log(Level::Error, &why);
            return json!({"findings": [], "error": why});
        }
    };
    // EPSS scores and KEV flags come from two more services: online runs only, each one
    // best-effort (a failure is a warning in the log, the advisories stay as they are).
    let all_cves: BTreeSet<String> = details.iter().flat_map(|(id, v)| cves(id, &v.aliases)).collect();
    let all_cves: Vec<String> = all_cves.into_iter().collect();
    let epss = if offline_db.is_none() && !config["no_epss"].as_bool().unwrap_or(false) && !all_cves.is_empty() {
        epss_scores(config["epss_url"].as_str().unwrap_or(DEFAULT_EPSS_URL), &all_cves)
    } else {
        HashMap::new()
    };
    let kev = if offline_db.is_none() && !config["no_kev"].as_bool().unwrap_or(false) && !all_cves.is_empty() {
        kev_catalog(config["kev_url"].as_str().unwrap_or(DEFAULT_KEV_URL))
    } else {
        HashSet::new()
    };
    let mut findings = Vec::new();
    for (q, ids) in queries.iter().zip(ids) {
        let purl = items[q.item]["component_purl"].as_str().unwrap_or("");
        let unique: BTreeSet<String> = ids.into_iter().collect();
        let mut refs: BTreeMap<String, Value> = BTreeMap::new();
        for id in unique {
            let (severity, aliases) = match details.get(&id) {
                Some(v) => (v.severity, v.aliases.clone()),
                None => ("NONE", Vec::new()),
            };
            let mut data = json!({"id": id, "severity": severity});
            let its_cves = cves(&id, &aliases);
            if !aliases.is_empty() {
                data["aliases"] = json!(aliases);
            }
            // bomdrift: the highest score among the advisory's CVEs; KEV when any is listed.
            let score = its_cves.iter().filter_map(|c| epss.get(c)).fold(None, |m: Option<f64>, s| Some(m.map_or(*s, |m| m.max(*s))));
            if let Some(score) = score {
                data["epss_score"] = json!(score);
            }
            if its_cves.iter().any(|c| kev.contains(c)) {
                data["kev"] = json!(true);
            }
            refs.insert(id.clone(), json!({
                "kind": "vulnerability",
                "rule_id": "bomdrift.cve",
                "severity": if severity == "CRITICAL" || severity == "HIGH" { "error" } else { "warning" },
                "message": format!(
                    "{} ({}) affects {}. Review the advisory and update or pin a patched version.",
                    id, severity, purl
                ),
                "component_purl": purl,
                "data": data,
            }));
        }
        findings.extend(refs.into_values());
    }
    json!({"findings": findings})
}

fn entry(input: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<Value>(input) {
        Ok(request) => run(&request).to_string().into_bytes(),
        Err(_) => b"request is not JSON".to_vec(),
    }
}

export_raw_plugin!(entry);
