//! CVSS v4.0 base scores (the specification's macrovector lookup and interpolation).
//!
//! A vector is reduced to its macrovector (EQ1..EQ6 levels), whose score comes from FIRST's
//! table (`cvss4_tables.rs`, generated); the score is then lowered towards the next lower
//! macrovector of each EQ in proportion to how far the vector lies from that macrovector's
//! highest-severity vectors. Environmental (`M*`) and threat (`E`) metrics are applied as the
//! specification says (`X` means "not defined": the base value, or `E:A`, `CR/IR/AR:H`). The
//! tests score random vectors with the `cvss` package and compare.

use std::collections::HashMap;

use crate::cvss4_tables as t;

const MANDATORY: [&str; 11] = ["AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"];

fn allowed(metric: &str) -> Option<&'static [&'static str]> {
    Some(match metric {
        "AV" | "MAV" => &["N", "A", "L", "P"],
        "AC" | "MAC" => &["L", "H"],
        "AT" | "MAT" => &["N", "P"],
        "PR" | "MPR" => &["N", "L", "H"],
        "UI" | "MUI" => &["N", "P", "A"],
        "VC" | "VI" | "VA" | "SC" | "MVC" | "MVI" | "MVA" | "MSC" => &["H", "L", "N"],
        "SI" | "SA" => &["H", "L", "N"],
        "MSI" | "MSA" => &["S", "H", "L", "N"],
        "E" => &["A", "P", "U"],
        "CR" | "IR" | "AR" => &["H", "M", "L"],
        // Supplemental metrics: parsed, never scored.
        "S" => &["N", "P"],
        "AU" => &["N", "Y"],
        "R" => &["A", "U", "I"],
        "V" => &["D", "C"],
        "RE" => &["L", "M", "H"],
        "U" => &["Clear", "Green", "Amber", "Red"],
        _ => return None,
    })
}

struct Vector(HashMap<String, String>);

impl Vector {
    fn parse(text: &str) -> Option<Vector> {
        let mut parts = text.trim().split('/');
        if parts.next()? != "CVSS:4.0" {
            return None;
        }
        let mut metrics = HashMap::new();
        for part in parts {
            let (k, v) = part.split_once(':')?;
            let ok = (v == "X" && !MANDATORY.contains(&k)) || allowed(k)?.contains(&v);
            if !ok || metrics.insert(k.to_string(), v.to_string()).is_some() {
                return None;
            }
        }
        if MANDATORY.iter().any(|m| !metrics.contains_key(*m)) {
            return None;
        }
        Some(Vector(metrics))
    }

    fn get(&self, metric: &str) -> Option<&str> {
        self.0.get(metric).map(String::as_str)
    }

    /// The effective value of `metric`: modified if given, else the base; absent is `X`, and
    /// an undefined `E` is `A` and `CR`/`IR`/`AR` are `H`.
    fn m(&self, metric: &str) -> &str {
        let selected = self.get(metric).unwrap_or("X");
        match (metric, selected) {
            ("E", "X") => return "A",
            ("CR" | "IR" | "AR", "X") => return "H",
            _ => {}
        }
        match self.get(&format!("M{}", metric)) {
            Some(modified) if modified != "X" => modified,
            _ => selected,
        }
    }

    fn is(&self, metric: &str, value: &str) -> bool {
        self.m(metric) == value
    }

    fn macrovector(&self) -> [u8; 6] {
        let (av_n, pr_n, ui_n) = (self.is("AV", "N"), self.is("PR", "N"), self.is("UI", "N"));
        let eq1 = if av_n && pr_n && ui_n {
            0
        } else if (av_n || pr_n || ui_n) && !self.is("AV", "P") {
            1
        } else {
            2
        };
        let eq2 = if self.is("AC", "L") && self.is("AT", "N") { 0 } else { 1 };
        let (vc, vi, va) = (self.is("VC", "H"), self.is("VI", "H"), self.is("VA", "H"));
        let eq3 = if vc && vi {
            0
        } else if vc || vi || va {
            1
        } else {
            2
        };
        let eq4 = if self.is("MSI", "S") || self.is("MSA", "S") {
            0
        } else if self.is("SC", "H") || self.is("SI", "H") || self.is("SA", "H") {
            1
        } else {
            2
        };
        let eq5 = match self.m("E") {
            "A" => 0,
            "P" => 1,
            _ => 2,
        };
        let eq6 = if (self.is("CR", "H") && vc) || (self.is("IR", "H") && vi) || (self.is("AR", "H") && va) {
            0
        } else {
            1
        };
        [eq1, eq2, eq3, eq4, eq5, eq6]
    }
}

fn level(metric: &str, value: &str) -> f64 {
    match (metric, value) {
        ("AV", "N") | ("PR", "N") | ("UI", "N") | ("AC", "L") | ("AT", "N") => 0.0,
        ("AV", "A") | ("PR", "L") | ("UI", "P") | ("AC", "H") | ("AT", "P") => 0.1,
        ("AV", "L") | ("PR", "H") | ("UI", "A") => 0.2,
        ("AV", "P") => 0.3,
        ("VC" | "VI" | "VA", "H") => 0.0,
        ("VC" | "VI" | "VA", "L") => 0.1,
        ("VC" | "VI" | "VA", "N") => 0.2,
        ("SC", "H") => 0.1,
        ("SC", "L") => 0.2,
        ("SC", "N") => 0.3,
        ("SI" | "SA", "S") => 0.0,
        ("SI" | "SA", "H") => 0.1,
        ("SI" | "SA", "L") => 0.2,
        ("SI" | "SA", "N") => 0.3,
        ("CR" | "IR" | "AR", "H") => 0.0,
        ("CR" | "IR" | "AR", "M") => 0.1,
        ("CR" | "IR" | "AR", "L") => 0.2,
        _ => f64::NAN,
    }
}

fn lookup(mv: [u8; 6]) -> Option<f64> {
    let key: String = mv.iter().map(|d| char::from(b'0' + d)).collect();
    t::LOOKUP.binary_search_by(|(k, _)| (*k).cmp(key.as_str())).ok().map(|i| t::LOOKUP[i].1)
}

fn with(mv: [u8; 6], eq: usize) -> [u8; 6] {
    let mut out = mv;
    out[eq] += 1;
    out
}

/// The CVSS v4.0 base score of `vector` (`CVSS:4.0/AV:N/...`), or None if it is not one.
pub fn base_score(vector: &str) -> Option<f64> {
    let v = Vector::parse(vector)?;
    if ["VC", "VI", "VA", "SC", "SI", "SA"].iter().all(|m| v.is(m, "N")) {
        return Some(0.0);
    }
    let mv = v.macrovector();
    let value = lookup(mv)?;
    let [eq1, eq2, eq3, eq4, eq5, eq6] = mv;
    let next = |m: [u8; 6]| lookup(m).unwrap_or(f64::NAN);
    // Python's max(left, right) as the reference computes it: NaN on the left stays NaN.
    let py_max = |l: f64, r: f64| if r > l { r } else { l };
    let lower_eq3eq6 = match (eq3, eq6) {
        (0, 0) => py_max(next(with(mv, 5)), next(with(mv, 2))),
        (1, 0) => next(with(mv, 5)),
        (0, 1) | (1, 1) => next(with(mv, 2)),
        _ => next(with(with(mv, 2), 5)),
    };
    let lower = [next(with(mv, 0)), next(with(mv, 1)), lower_eq3eq6, next(with(mv, 3)), next(with(mv, 4))];

    // The first highest-severity vector of this macrovector that the vector does not exceed.
    let mut maxima = Vec::new();
    for a in t::max_eq1(eq1) {
        for b in t::max_eq2(eq2) {
            for c in t::max_eq3_eq6(eq3, eq6) {
                for d in t::max_eq4(eq4) {
                    for e in t::max_eq5(eq5) {
                        maxima.push(format!("{}{}{}{}{}", a, b, c, d, e));
                    }
                }
            }
        }
    }
    const SCORED: [&str; 14] = ["AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR"];
    let mut distance: HashMap<&str, f64> = HashMap::new();
    for max in &maxima {
        let values: HashMap<&str, &str> = max.split('/').filter_map(|p| p.split_once(':')).collect();
        distance = SCORED
            .iter()
            .map(|m| (*m, level(m, v.m(m)) - level(m, values.get(m).copied().unwrap_or(""))))
            .collect();
        if distance.values().all(|d| *d >= 0.0) {
            break;
        }
    }
    let d = |ms: &[&str]| ms.iter().map(|m| distance.get(m).copied().unwrap_or(0.0)).sum::<f64>();
    let current = [
        d(&["AV", "PR", "UI"]),
        d(&["AC", "AT"]),
        d(&["VC", "VI", "VA", "CR", "IR", "AR"]),
        d(&["SC", "SI", "SA"]),
        0.0,
    ];
    let step = 0.1;
    let max_severity = [
        t::max_severity_eq1(eq1) * step,
        t::max_severity_eq2(eq2) * step,
        t::max_severity_eq3_eq6(eq3, eq6) * step,
        t::max_severity_eq4(eq4) * step,
        1.0,
    ];
    let mut n = 0;
    let mut total = 0.0;
    for i in 0..5 {
        let available = value - lower[i];
        if available >= 0.0 {
            // NaN (no lower macrovector) fails the comparison, as in the reference.
            n += 1;
            total += available * (current[i] / max_severity[i]);
        }
    }
    let mean = if n == 0 { 0.0 } else { total / n as f64 };
    let score = (value - mean).clamp(0.0, 10.0);
    // Round half up to one decimal, with the reference's epsilon against float error.
    Some(((score + 1e-6) * 10.0).round() / 10.0)
}
