//! `builtin:typosquat`: bomdrift's typosquat signal (src/enrich/typosquat/) as a sandboxed plugin.
//!
//! Each added component of a listed ecosystem is compared with that ecosystem's popular names
//! and reported when one is similar enough: kind `typosquat`, rule `bomdrift.typosquat`,
//! severity warning, data `{closest, score}`. The wording says "is similar to", never "is a
//! typosquat": a human reviewer makes that call. bomdrift's rules, per ecosystem:
//!
//! - Names are canonicalised on both sides: lower-cased; PyPI by PEP 503 (runs of `-`, `_`, `.`
//!   become one `-`). Go and Composer compare the last path segment only (a shared
//!   `github.com/org/` or `vendor/` prefix would make everything similar).
//! - A name on the list is popular itself: never reported. Two names with the same match form
//!   (a fork under another vendor) are not compared.
//! - `<popular><separator><suffix>` (`axios-retry`, `pytest-asyncio`) is an extension, not a
//!   squat, when the popular name has 5 or more characters.
//! - Otherwise Jaro-Winkler similarity, raised to 0.95 when the candidate ends with a
//!   popular name of 5+ characters after a prefix of more than 3 (`plain-crypto-js`).
//! - Maven compares artifactIds by Levenshtein distance (1 or 2), scored `1 - d/(len+1)` but
//!   never under the threshold, as bomdrift.
//! - Reported when the score is at least `typosquat_similarity_threshold` (default 0.92).
//!
//! - Every name of a list is exempt, but only its `target_names` (default 2,500) most popular
//!   are compared with (bomhost's rule: the lists here are longer than bomdrift's), and an npm
//!   scope's own copy of a name (`@types/strip-bom`) is not a look-alike of it.
//!
//! The lists are compiled in (`lists/`, see its README for their sources). A list given in the
//! config (`lists = { npm = "/path" }`, written by `bomhost refresh-typosquat`) replaces the
//! compiled-in one for its ecosystem; it is read through the host's `read_file`, which the run
//! grants for exactly that path. A list that cannot be read, or has no names, falls back to
//! the compiled-in one with a warning in the log (bomdrift's fallback).
//!
//! Batch invocation (`invoke = "batch"`): a list is parsed once per call, not per component.

use std::collections::{BTreeMap, BTreeSet};

use bomhost_plugin::{
    export_batch_plugin, json, log, read_file_max, BatchFinding, BatchItem, BatchRequest, Level,
    Severity, Value,
};

const DEFAULT_THRESHOLD: f64 = 0.92;
const SUFFIX_BOOST_SCORE: f64 = 0.95;
const MIN_LEGIT_LEN: usize = 5;
const SUFFIX_BOOST_MIN_DELTA: usize = 3;
const MAVEN_MAX_LEVENSHTEIN: usize = 2;
const MAX_LIST_BYTES: usize = 16 * 1024 * 1024;
/// How many of a list's most popular names are compared with (`target_names` in the config): half of the 5,000-name lists.
const DEFAULT_TARGETS: usize = 2500;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Eco {
    Npm,
    PyPI,
    Cargo,
    Maven,
    Go,
    Gem,
    NuGet,
    Composer,
}

impl Eco {
    fn from(ecosystem: &str) -> Option<Eco> {
        Some(match ecosystem {
            "npm" => Eco::Npm,
            "pypi" => Eco::PyPI,
            "cargo" => Eco::Cargo,
            "maven" => Eco::Maven,
            "go" | "golang" => Eco::Go,
            "gem" => Eco::Gem,
            "nuget" => Eco::NuGet,
            "composer" => Eco::Composer,
            _ => return None,
        })
    }

    fn key(self) -> &'static str {
        match self {
            Eco::Npm => "npm",
            Eco::PyPI => "pypi",
            Eco::Cargo => "cargo",
            Eco::Maven => "maven",
            Eco::Go => "go",
            Eco::Gem => "gem",
            Eco::NuGet => "nuget",
            Eco::Composer => "composer",
        }
    }

    fn embedded(self) -> &'static str {
        match self {
            Eco::Npm => include_str!("../lists/npm.txt"),
            Eco::PyPI => include_str!("../lists/pypi.txt"),
            Eco::Cargo => include_str!("../lists/cargo.txt"),
            Eco::Maven => include_str!("../lists/maven.txt"),
            Eco::Go => include_str!("../lists/go.txt"),
            Eco::Gem => include_str!("../lists/gem.txt"),
            Eco::NuGet => include_str!("../lists/nuget.txt"),
            Eco::Composer => include_str!("../lists/composer.txt"),
        }
    }

    /// Bytes that join a popular name to an extension's suffix (`axios-retry`).
    fn separators(self) -> &'static [u8] {
        match self {
            Eco::Npm => b"-_./",
            Eco::PyPI => b"-_.",
            Eco::Cargo => b"-",
            Eco::Maven => b"",
            Eco::Go => b"-/",
            Eco::Gem => b"-_",
            Eco::NuGet => b".",
            Eco::Composer => b"-/",
        }
    }
}

fn canonical(eco: Eco, name: &str) -> String {
    if eco == Eco::PyPI {
        pep503(name)
    } else {
        name.to_lowercase()
    }
}

fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.to_lowercase().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !dash {
                out.push('-');
            }
            dash = true;
        } else {
            out.push(c);
            dash = false;
        }
    }
    out.trim_matches('-').to_string()
}

/// The part of a canonical name that is compared.
fn match_form(eco: Eco, name: &str) -> &str {
    match eco {
        Eco::Go | Eco::Composer => name.rsplit('/').next().unwrap_or(name),
        _ => name,
    }
}

/// A popular-name list, most popular first. Every name on it is exempt (a popular package is
/// not a squat of another); only the first `targets` are compared with (squatters copy the
/// names people type most, and a long tail of short names such as `fault` or `format` would
/// make ordinary packages look similar).
struct List {
    names: Vec<String>,
    set: BTreeSet<String>,
}

fn parse(eco: Eco, text: &str, targets: usize) -> List {
    let mut names = Vec::new();
    let mut set = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name = canonical(eco, line);
        if !name.is_empty() && set.insert(name.clone()) && names.len() < targets {
            names.push(name);
        }
    }
    List { names, set }
}

fn load(eco: Eco, config: &Value) -> List {
    let targets = config["target_names"].as_u64().map_or(DEFAULT_TARGETS, |n| n as usize);
    if let Some(path) = config["lists"][eco.key()].as_str() {
        match read_file_max(path, MAX_LIST_BYTES) {
            Ok(bytes) => {
                let list = parse(eco, &String::from_utf8_lossy(&bytes), targets);
                if !list.names.is_empty() {
                    return list;
                }
                log(Level::Warning, &format!("typosquat: {} has no names; using the built-in {} list", path, eco.key()));
            }
            Err(e) => log(
                Level::Warning,
                &format!("typosquat: cannot read {} ({}); using the built-in {} list", path, e, eco.key()),
            ),
        }
    }
    parse(eco, eco.embedded(), targets)
}

/// `("@scope", "name")` for a scoped npm name.
fn scope_of(name: &str) -> Option<(&str, &str)> {
    if name.starts_with('@') {
        name.split_once('/')
    } else {
        None
    }
}

fn is_extension(candidate: &str, legit: &str, separators: &[u8]) -> bool {
    !separators.is_empty()
        && legit.len() >= MIN_LEGIT_LEN
        && candidate.starts_with(legit)
        && candidate.as_bytes().get(legit.len()).map_or(false, |b| separators.contains(b))
}

fn suffix_containment(candidate: &str, legit: &str) -> bool {
    legit.len() >= MIN_LEGIT_LEN
        && candidate.len() > legit.len() + SUFFIX_BOOST_MIN_DELTA
        && candidate.ends_with(legit)
}

/// The highest Jaro-Winkler score two strings of these lengths can reach (all of the shorter
/// matching, no transposition, the full prefix bonus): a pair under the threshold by this bound
/// is not scored, which changes no result and skips most of a 2,500-name list.
fn jaro_winkler_bound(a: usize, b: usize) -> f64 {
    let (short, long) = (a.min(b) as f64, a.max(b) as f64);
    if short == 0.0 {
        return 0.0;
    }
    let j = (1.0 + short / long + 1.0) / 3.0;
    j + 0.4 * (1.0 - j)
}

fn best_jaro_winkler<'a>(eco: Eco, candidate: &str, list: &'a List, threshold: f64) -> Option<(&'a str, f64)> {
    let cand = match_form(eco, candidate);
    if cand.is_empty() {
        return None;
    }
    // An npm scope owns its names: `@types/strip-bom` or `@nlpjs/request` republish or type a
    // popular package under the scope's own name, which is not a look-alike of it.
    let bare = if eco == Eco::Npm { scope_of(cand).map(|(_, b)| b) } else { None };
    let mut best: Option<(&str, f64)> = None;
    for name in &list.names {
        if name == candidate {
            continue;
        }
        let legit = match_form(eco, name);
        if legit == cand || bare == Some(legit) || is_extension(cand, legit, eco.separators()) {
            continue;
        }
        // Two names of one npm scope share `@scope/`, which would lift every score: compare
        // what follows it. Across scopes the whole names are compared (`@bable/core`).
        let (a, b) = match (scope_of(cand), scope_of(legit)) {
            (Some((cs, cb)), Some((ls, lb))) if cs == ls => (cb, lb),
            _ => (cand, legit),
        };
        let boosted = suffix_containment(a, b);
        if !boosted && jaro_winkler_bound(a.chars().count(), b.chars().count()) < threshold {
            continue;
        }
        let mut score = jaro_winkler(a, b);
        if boosted {
            score = score.max(SUFFIX_BOOST_SCORE);
        }
        if best.map_or(true, |(_, b)| score > b) {
            best = Some((name.as_str(), score));
        }
    }
    best
}

/// Jaro-Winkler similarity (prefix scale 0.1, at most 4 characters), on characters.
///
/// Written here rather than taken from strsim: Debian's strsim 0.10 (the one an offline build
/// can use) counts transpositions differently from strsim 0.11, which bomdrift uses, and gives
/// `requessts`/`requests` 0.97 where bomdrift (and the textbook definition) gives 0.95.
/// Levenshtein, which did not change, still comes from strsim.
fn jaro_winkler(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let j = jaro(&a, &b);
    let prefix = a.iter().zip(&b).take(4).take_while(|(x, y)| x == y).count();
    j + 0.1 * prefix as f64 * (1.0 - j)
}

fn jaro(a: &[char], b: &[char]) -> f64 {
    if a == b {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_hit = vec![false; a.len()];
    let mut b_hit = vec![false; b.len()];
    let mut matches = 0usize;
    for (i, c) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_hit[j] && b[j] == *c {
                a_hit[i] = true;
                b_hit[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut half_transpositions = 0usize;
    let mut k = 0usize;
    for (i, c) in a.iter().enumerate() {
        if a_hit[i] {
            while !b_hit[k] {
                k += 1;
            }
            if *c != b[k] {
                half_transpositions += 1;
            }
            k += 1;
        }
    }
    let m = matches as f64;
    let t = half_transpositions as f64 / 2.0;
    (m / a.len() as f64 + m / b.len() as f64 + (m - t) / m) / 3.0
}

fn artifact_id(coordinate: &str) -> &str {
    coordinate.rsplit(':').next().unwrap_or(coordinate)
}

fn best_maven<'a>(candidate: &str, list: &'a List, threshold: f64) -> Option<(&'a str, f64)> {
    let cand = artifact_id(candidate);
    let mut best: Option<(&str, usize, &str)> = None;
    for name in &list.names {
        let legit = artifact_id(name);
        if name == candidate || legit == cand {
            continue;
        }
        let d = strsim::levenshtein(cand, legit);
        if d == 0 || d > MAVEN_MAX_LEVENSHTEIN {
            continue;
        }
        if best.map_or(true, |(_, bd, _)| d < bd) {
            best = Some((name.as_str(), d, legit));
        }
    }
    best.map(|(name, d, legit)| {
        let raw = 1.0 - d as f64 / (legit.chars().count() as f64 + 1.0);
        (name, raw.max(threshold))
    })
}

/// The package's full name: npm's scope belongs to it (`@babel/parser`), and SBOM readers
/// report it apart from the name, so it is taken from the purl (`pkg:npm/%40babel/parser@...`).
fn full_name(eco: Eco, component: &Value) -> String {
    let name = component["name"].as_str().unwrap_or("").to_string();
    if eco != Eco::Npm || name.starts_with('@') {
        return name;
    }
    let purl = component["purl"].as_str().unwrap_or("");
    let rest = match purl.get(..8) {
        Some(head) if head.eq_ignore_ascii_case("pkg:npm/") => &purl[8..],
        _ => return name,
    };
    let path = rest.split(|c| c == '@' || c == '?' || c == '#').next().unwrap_or("");
    match path.strip_prefix("%40") {
        Some(scoped) if scoped.contains('/') => format!("@{}", scoped),
        _ => name,
    }
}

fn check(item: &BatchItem, eco: Eco, list: &List, threshold: f64) -> Option<BatchFinding> {
    let name = full_name(eco, &item.component);
    let name = name.as_str();
    let candidate = canonical(eco, name);
    if candidate.is_empty() || list.set.contains(&candidate) {
        return None;
    }
    let (closest, score) = match eco {
        Eco::Maven => best_maven(&candidate, list, threshold)?,
        _ => best_jaro_winkler(eco, &candidate, list, threshold)?,
    };
    if score < threshold {
        return None;
    }
    let finding = item.finding(
        "typosquat",
        Severity::Warning,
        "bomdrift.typosquat",
        format!(
            "`{}` is similar to the popular {} package `{}` (similarity {:.2}): check the source before merging",
            name,
            eco.key(),
            closest,
            score
        ),
    );
    Some(BatchFinding::new(
        finding.component_purl,
        finding.finding.with_data(json!({"closest": closest, "score": score})),
    ))
}

fn typosquat(request: &BatchRequest) -> Vec<BatchFinding> {
    let threshold = request.config["typosquat_similarity_threshold"].as_f64().unwrap_or(DEFAULT_THRESHOLD);
    let mut lists: BTreeMap<Eco, List> = BTreeMap::new();
    let mut out = Vec::new();
    for item in &request.batch {
        if item.event != "added" {
            continue;
        }
        let eco = match item.component["ecosystem"].as_str().and_then(Eco::from) {
            Some(eco) => eco,
            None => continue,
        };
        let list = lists.entry(eco).or_insert_with(|| load(eco, &request.config));
        if let Some(finding) = check(item, eco, list, threshold) {
            out.push(finding);
        }
    }
    out
}

export_batch_plugin!(typosquat);
