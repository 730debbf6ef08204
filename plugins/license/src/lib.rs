//! `builtin:license`: bomdrift's licence policy (src/enrich/license.rs) as a sandboxed plugin.
//!
//! Runs only when a policy is configured (`--allow-licenses`, `--deny-licenses`,
//! `--allow-exception`, `--deny-exception`, or `[diff.license]`), on added components and the
//! new side of version changes. Each licence string of the component is judged; a violation is
//! kind `license-violation`, rule `bomdrift.license-violation`, severity error, data
//! `{license, matched_rule, kind}` with bomdrift's kinds `deny`, `not-allowed`, `ambiguous`.
//!
//! bomdrift's rules:
//!
//! - No licence at all, `NOASSERTION`, `OTHER` or an empty string is `ambiguous` (unless
//!   `allow_ambiguous`).
//! - A string that parses as an SPDX expression (identifiers of the SPDX list in `spdx/`,
//!   `LicenseRef-`/`DocumentRef-` references, `+`, `WITH`, `AND`, `OR`, parentheses) is
//!   evaluated: any licence of it on the deny list is a `deny` (the licensee might pick it);
//!   otherwise, with an allow list or an exception policy, the expression must evaluate true
//!   with each leaf permitted when its licence is allowed and its exception passes
//!   (`deny_exceptions`, `allow_exceptions`): `MIT OR GPL-3.0-only` with `allow = ["MIT"]` is
//!   fine. A failure names the most specific leaf (`exception:X denied`, `not in allow list:
//!   X`), with ` (in <expression>)` for a compound one.
//! - Anything else is matched as a plain string: a compound-looking one is `ambiguous`; then
//!   deny, then allow.
//! - Patterns are exact identifiers or end in `*` (a prefix: `GPL-*`). GNU licences match under
//!   each spelling: `GPL-2.0-only` also as `GPL-2.0`, `GPL-2.0+` as `GPL-2.0-or-later`.

use bomhost_plugin::{export_plugin, json, Finding, Severity, Value};

const LICENSES: &str = include_str!("../spdx/licenses.txt");
const EXCEPTIONS: &str = include_str!("../spdx/exceptions.txt");

struct Policy {
    allow: Vec<String>,
    deny: Vec<String>,
    allow_ambiguous: bool,
    allow_exceptions: Vec<String>,
    deny_exceptions: Vec<String>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default()
}

impl Policy {
    fn from(config: &Value) -> Policy {
        Policy {
            allow: strings(&config["allow"]),
            deny: strings(&config["deny"]),
            allow_ambiguous: config["allow_ambiguous"].as_bool().unwrap_or(false),
            allow_exceptions: strings(&config["allow_exceptions"]),
            deny_exceptions: strings(&config["deny_exceptions"]),
        }
    }

    fn active(&self) -> bool {
        !(self.allow.is_empty() && self.deny.is_empty() && self.allow_exceptions.is_empty() && self.deny_exceptions.is_empty())
    }

    fn exception_policy(&self) -> bool {
        !(self.allow_exceptions.is_empty() && self.deny_exceptions.is_empty())
    }
}

// ---- SPDX expressions ----

#[derive(Debug)]
struct Leaf {
    license: String,
    or_later: bool,
    exception: Option<String>,
}

#[derive(Debug)]
enum Expr {
    Leaf(Leaf),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

fn listed<'a>(list: &'a str, id: &str) -> Option<&'a str> {
    list.lines().filter(|l| !l.starts_with('#')).find(|l| l.eq_ignore_ascii_case(id))
}

fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in s.chars() {
        if c == '(' || c == ')' || c.is_whitespace() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// A recursive-descent parser: `or := and ("OR" and)*`, `and := atom ("AND" atom)*`,
/// `atom := "(" or ")" | license ["WITH" exception]`. None when the string is not SPDX.
struct Parser {
    tokens: Vec<String>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.pos).map(String::as_str)
    }

    fn next(&mut self) -> Option<String> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self, depth: usize) -> Option<Expr> {
        let mut left = self.and(depth)?;
        while self.peek() == Some("OR") {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and(depth)?));
        }
        Some(left)
    }

    fn and(&mut self, depth: usize) -> Option<Expr> {
        let mut left = self.atom(depth)?;
        while self.peek() == Some("AND") {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.atom(depth)?));
        }
        Some(left)
    }

    fn atom(&mut self, depth: usize) -> Option<Expr> {
        if depth > 64 {
            return None; // deeper than any real expression: not evaluated, matched as a string
        }
        let token = self.next()?;
        if token == "(" {
            let inner = self.or(depth + 1)?;
            return if self.next().as_deref() == Some(")") { Some(inner) } else { None };
        }
        if matches!(token.as_str(), ")" | "AND" | "OR" | "WITH") {
            return None;
        }
        let (id, or_later) = match token.strip_suffix('+') {
            Some(base) if !base.is_empty() => (base.to_string(), true),
            _ => (token.clone(), false),
        };
        let license = if id.starts_with("LicenseRef-") || id.starts_with("DocumentRef-") {
            id
        } else {
            listed(LICENSES, &id)?.to_string()
        };
        let mut exception = None;
        if self.peek() == Some("WITH") {
            self.pos += 1;
            let name = self.next()?;
            exception = Some(listed(EXCEPTIONS, &name)?.to_string());
        }
        Some(Expr::Leaf(Leaf { license, or_later, exception }))
    }
}

fn parse(s: &str) -> Option<Expr> {
    let mut p = Parser { tokens: tokens(s), pos: 0 };
    let expr = p.or(0)?;
    if p.pos == p.tokens.len() {
        Some(expr)
    } else {
        None
    }
}

fn leaves<'a>(e: &'a Expr, out: &mut Vec<&'a Leaf>) {
    match e {
        Expr::Leaf(l) => out.push(l),
        Expr::And(a, b) | Expr::Or(a, b) => {
            leaves(a, out);
            leaves(b, out);
        }
    }
}

fn is_gnu(id: &str) -> bool {
    ["GPL-", "LGPL-", "AGPL-", "GFDL-"].iter().any(|p| id.starts_with(p))
}

/// Every spelling a policy may use for a leaf's licence.
fn names(leaf: &Leaf) -> Vec<String> {
    let id = leaf.license.as_str();
    let mut out = vec![if leaf.or_later { format!("{}+", id) } else { id.to_string() }];
    if is_gnu(id) {
        let base = id.trim_end_matches("-only").trim_end_matches("-or-later");
        let later = leaf.or_later || id.ends_with("-or-later");
        out.push(base.to_string());
        out.push(format!("{}{}", base, if later { "-or-later" } else { "-only" }));
        if later {
            out.push(format!("{}+", base));
        }
    } else if leaf.or_later {
        out.push(id.to_string());
    }
    out.dedup();
    out
}

fn matches(license: &str, pattern: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => license.starts_with(prefix),
        None => license == pattern,
    }
}

fn first_match<'a>(candidates: &[String], patterns: &'a [String]) -> Option<&'a str> {
    patterns.iter().find(|p| candidates.iter().any(|c| matches(c, p))).map(String::as_str)
}

enum Outcome {
    Permitted,
    BaseNotAllowed(String),
    ExceptionDenied(String),
    ExceptionNotAllowed(String),
}

fn leaf_outcome(leaf: &Leaf, policy: &Policy) -> Outcome {
    let names = names(leaf);
    if !policy.allow.is_empty() && first_match(&names, &policy.allow).is_none() {
        return Outcome::BaseNotAllowed(names[0].clone());
    }
    if let Some(ex) = &leaf.exception {
        if policy.deny_exceptions.iter().any(|d| d == ex) {
            return Outcome::ExceptionDenied(ex.clone());
        }
        if !policy.allow_exceptions.is_empty() && !policy.allow_exceptions.iter().any(|a| a == ex) {
            return Outcome::ExceptionNotAllowed(ex.clone());
        }
    }
    Outcome::Permitted
}

fn permitted(e: &Expr, policy: &Policy) -> bool {
    match e {
        Expr::Leaf(l) => matches!(leaf_outcome(l, policy), Outcome::Permitted),
        Expr::And(a, b) => permitted(a, policy) && permitted(b, policy),
        Expr::Or(a, b) => permitted(a, policy) || permitted(b, policy),
    }
}

struct Violation {
    license: String,
    rule: String,
    kind: &'static str,
}

fn judge_spdx(raw: &str, expr: &Expr, policy: &Policy) -> Option<Violation> {
    let mut all = Vec::new();
    leaves(expr, &mut all);
    for leaf in &all {
        if let Some(rule) = first_match(&names(leaf), &policy.deny) {
            return Some(Violation { license: raw.to_string(), rule: format!("deny: {}", rule), kind: "deny" });
        }
    }
    if (policy.allow.is_empty() && !policy.exception_policy()) || permitted(expr, policy) {
        return None;
    }
    let outcomes: Vec<Outcome> = all.iter().map(|l| leaf_outcome(l, policy)).collect();
    let exception_first = outcomes.iter().find_map(|o| match o {
        Outcome::ExceptionDenied(x) => Some((format!("exception:{} denied", x), "deny")),
        Outcome::ExceptionNotAllowed(x) => Some((format!("exception:{} not in allow list", x), "not-allowed")),
        _ => None,
    });
    let any_first = outcomes.iter().find_map(|o| match o {
        Outcome::ExceptionDenied(x) => Some((format!("exception:{} denied", x), "deny")),
        Outcome::ExceptionNotAllowed(x) => Some((format!("exception:{} not in allow list", x), "not-allowed")),
        Outcome::BaseNotAllowed(x) => Some((format!("not in allow list: {}", x), "not-allowed")),
        Outcome::Permitted => None,
    });
    let picked = if policy.exception_policy() { exception_first.or(any_first) } else { any_first };
    let (mut rule, kind) = picked.unwrap_or_else(|| (format!("not in allow list: {}", raw), "not-allowed"));
    if all.len() > 1 && !rule.contains(" (in ") {
        rule.push_str(&format!(" (in {})", raw));
    }
    Some(Violation { license: raw.to_string(), rule, kind })
}

fn looks_compound(s: &str) -> bool {
    s.contains('(') || s.contains(')') || s.split_whitespace().any(|t| matches!(t, "AND" | "OR" | "WITH"))
}

fn judge_string(raw: &str, policy: &Policy) -> Option<Violation> {
    if looks_compound(raw) {
        return if policy.allow_ambiguous {
            None
        } else {
            Some(Violation { license: raw.to_string(), rule: format!("ambiguous: {}", raw), kind: "ambiguous" })
        };
    }
    let me = [raw.to_string()];
    if let Some(rule) = first_match(&me, &policy.deny) {
        return Some(Violation { license: raw.to_string(), rule: format!("deny: {}", rule), kind: "deny" });
    }
    if !policy.allow.is_empty() && first_match(&me, &policy.allow).is_none() {
        return Some(Violation { license: raw.to_string(), rule: format!("not in allow list: {}", raw), kind: "not-allowed" });
    }
    None
}

fn judge(raw: &str, policy: &Policy) -> Option<Violation> {
    let s = raw.trim();
    if matches!(s.to_ascii_uppercase().as_str(), "" | "NOASSERTION" | "OTHER") {
        return if policy.allow_ambiguous {
            None
        } else {
            Some(Violation { license: s.to_string(), rule: format!("ambiguous: {}", s), kind: "ambiguous" })
        };
    }
    match parse(s) {
        Some(expr) => judge_spdx(s, &expr, policy),
        None => judge_string(s, policy),
    }
}

fn license(request: &Value) -> Vec<Finding> {
    let policy = Policy::from(&request["config"]);
    if !policy.active() || !matches!(request["event"].as_str(), Some("added") | Some("version-changed")) {
        return Vec::new();
    }
    let component = &request["component"];
    let name = component["name"].as_str().unwrap_or("");
    let version = component["version"].as_str().unwrap_or("");
    let licenses: Vec<String> = component["licenses"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let mut violations = Vec::new();
    if licenses.is_empty() {
        if !policy.allow_ambiguous {
            violations.push(Violation {
                license: "(empty)".to_string(),
                rule: "ambiguous: empty license set".to_string(),
                kind: "ambiguous",
            });
        }
    } else {
        violations.extend(licenses.iter().filter_map(|l| judge(l, &policy)));
    }
    violations
        .into_iter()
        .map(|v| {
            Finding::new(
                "license-violation",
                Severity::Error,
                "bomdrift.license-violation",
                format!("`{}@{}` licence {} violates the licence policy ({})", name, version, v.license, v.rule),
            )
            .with_data(json!({"license": v.license, "matched_rule": v.rule, "kind": v.kind}))
        })
        .collect()
}

export_plugin!(license);
