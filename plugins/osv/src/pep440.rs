//! PEP 440 versions, parsed and ordered exactly as `packaging.version.Version` does.
//!
//! The grammar is packaging's `VERSION_PATTERN` (case-insensitive, surrounding whitespace
//! ignored), written as a scanner: each optional part is tried longest spelling first, which
//! accepts the same strings the regular expression does. The sort key is packaging's
//! `_cmpkey`: trailing zeros of the release dropped, a dev release without pre or post sorts
//! before any pre-release, a missing local part sorts before any local part. Online (the OSV
//! service matches with packaging) and offline (this module) therefore agree.

use std::cmp::Ordering;

/// A decimal number of any length, compared by value (no overflow on 20-digit segments).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Num(String);

impl Num {
    fn new(digits: &str) -> Num {
        let trimmed = digits.trim_start_matches('0');
        Num(if trimmed.is_empty() { "0".to_string() } else { trimmed.to_string() })
    }
    fn zero() -> Num {
        Num("0".to_string())
    }
    fn is_zero(&self) -> bool {
        self.0 == "0"
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Num) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Num) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Pre-release key: none with a dev part only sorts first, none otherwise last.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Pre {
    BeforeAll,
    Some(u8, Num), // 0 a, 1 b, 2 rc
    AfterAll,
}

/// A local segment part: strings sort before numbers (packaging: (-inf, s) < (n, "")).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Local {
    Str(String),
    Int(Num),
}

/// The comparison key of a valid version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    epoch: Num,
    release: Vec<Num>,
    pre: Pre,
    post: Option<Num>,
    dev: (u8, Num), // (0, n) for devN; (1, 0) for none: a release sorts after its dev releases
    local: Option<Vec<Local>>,
}

struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn digits(&mut self) -> Option<&'a str> {
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        std::str::from_utf8(&self.s[start..self.i]).ok()
    }
    fn sep(&mut self) -> bool {
        if self.i < self.s.len() && matches!(self.s[self.i], b'-' | b'_' | b'.') {
            self.i += 1;
            return true;
        }
        false
    }
    fn word(&mut self, words: &[&str]) -> Option<usize> {
        for (k, w) in words.iter().enumerate() {
            if self.s[self.i..].starts_with(w.as_bytes()) {
                self.i += w.len();
                return Some(k);
            }
        }
        None
    }
    /// `[-_.]? WORD [-_.]? digits?`; nothing consumed when WORD is absent.
    fn labelled(&mut self, words: &[&str]) -> Option<(usize, Option<&'a str>)> {
        let save = self.i;
        self.sep();
        match self.word(words) {
            None => {
                self.i = save;
                None
            }
            Some(k) => {
                // Greedy as the regular expression: a separator after the label is consumed
                // even without a number ("1.0a-" is valid), never needed by what follows.
                self.sep();
                Some((k, self.digits()))
            }
        }
    }
}

/// Parse a version as packaging does; `None` where packaging raises `InvalidVersion`.
pub fn parse(text: &str) -> Option<Version> {
    let lower = text.trim().to_ascii_lowercase();
    let mut sc = Scanner { s: lower.as_bytes(), i: 0 };
    if sc.s.first() == Some(&b'v') {
        sc.i = 1;
    }
    let mut epoch = Num::zero();
    let first = sc.digits()?;
    let mut release_first = first;
    if sc.i < sc.s.len() && sc.s[sc.i] == b'!' {
        epoch = Num::new(first);
        sc.i += 1;
        release_first = sc.digits()?;
    }
    let mut release = vec![Num::new(release_first)];
    while sc.i + 1 < sc.s.len() && sc.s[sc.i] == b'.' && sc.s[sc.i + 1].is_ascii_digit() {
        sc.i += 1;
        release.push(Num::new(sc.digits()?));
    }
    const PRE: [&str; 8] = ["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"];
    let pre = sc.labelled(&PRE).map(|(k, n)| {
        let rank = match PRE[k] {
            "alpha" | "a" => 0,
            "beta" | "b" => 1,
            _ => 2,
        };
        (rank, n.map(Num::new).unwrap_or_else(Num::zero))
    });
    let mut post = None;
    let save = sc.i;
    if sc.i < sc.s.len() && sc.s[sc.i] == b'-' {
        sc.i += 1;
        match sc.digits() {
            Some(n) => post = Some(Num::new(n)),
            None => sc.i = save,
        }
    }
    if post.is_none() {
        if let Some((_, n)) = sc.labelled(&["post", "rev", "r"]) {
            post = Some(n.map(Num::new).unwrap_or_else(Num::zero));
        }
    }
    let dev = sc.labelled(&["dev"]).map(|(_, n)| n.map(Num::new).unwrap_or_else(Num::zero));
    let mut local = None;
    if sc.i < sc.s.len() && sc.s[sc.i] == b'+' {
        sc.i += 1;
        let rest = std::str::from_utf8(&sc.s[sc.i..]).ok()?;
        let mut parts = Vec::new();
        for part in rest.split(|c| c == '-' || c == '_' || c == '.') {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
                return None;
            }
            parts.push(if part.bytes().all(|b| b.is_ascii_digit()) {
                Local::Int(Num::new(part))
            } else {
                Local::Str(part.to_string())
            });
        }
        sc.i = sc.s.len();
        local = Some(parts);
    }
    if sc.i != sc.s.len() {
        return None;
    }
    while release.len() > 1 && release.last().map_or(false, Num::is_zero) {
        release.pop();
    }
    if release.len() == 1 && release[0].is_zero() {
        // packaging strips every trailing zero: "0.0" and "0" share the key (0,) kept empty.
        release.clear();
    }
    let pre_key = match (&pre, &post, &dev) {
        (None, None, Some(_)) => Pre::BeforeAll,
        (None, _, _) => Pre::AfterAll,
        (Some((rank, n)), _, _) => Pre::Some(*rank, n.clone()),
    };
    Some(Version {
        epoch,
        release,
        pre: pre_key,
        post,
        dev: match dev {
            Some(n) => (0, n),
            None => (1, Num::zero()),
        },
        local,
    })
}
