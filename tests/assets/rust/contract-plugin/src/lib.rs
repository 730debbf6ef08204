//! The runtime-contract test plugin (tests/plugins/contract.py), as a WASM module built with the
//! SDK: what it answers is chosen by the component's name, like tests/assets/plugins/behave.py.
//!
//! finding-N: N findings | none: no findings | garbage: not JSON | badshape: a finding
//! without its fields | crash: a panic (an `unreachable` trap) | sleep: a busy loop until the
//! wall-clock budget stops it | flood: 8 MiB of output | post: `http_request` POST of the
//! purl to `config.url`, one finding (kind `http`) whose message is the answer's body, or
//! `error <code>` when the host refused or the request failed.
//!
//! A batch request (`invoke = "batch"`) is answered item by item, each finding naming its item's
//! `component_purl`; the first item that crashes, sleeps or writes garbage does so for the whole
//! call, and `stranger` adds a finding for a component that was not sent.

use bomhost_plugin::{export_raw_plugin, http_request, json, response, Finding, Severity, Value};

const SEVERITIES: [Severity; 3] = [Severity::Info, Severity::Warning, Severity::Error];

fn behave(raw: &[u8]) -> Vec<u8> {
    let request: Value = match bomhost_plugin::serde_json::from_slice(raw) {
        Ok(v) => v,
        Err(_) => return b"request is not JSON".to_vec(),
    };
    if let Some(items) = request["batch"].as_array() {
        let mut out: Vec<Value> = Vec::new();
        for item in items {
            let id = item["component_purl"].as_str().unwrap_or("");
            let found = match one(&item["component"], &request["config"]) {
                Ok(found) => found,
                Err(raw) => return raw,
            };
            let stranger = item["component"]["name"].as_str() == Some("stranger");
            let owner = if stranger { "pkg:npm/never-sent@0" } else { id };
            for f in found.iter().chain(stranger.then(|| finding(0, owner)).iter()) {
                out.push(json!({"component_purl": owner, "kind": f.kind, "message": f.message,
                                "severity": f.severity.as_str(), "rule_id": f.rule_id}));
            }
        }
        return bomhost_plugin::serde_json::to_vec(&json!({ "findings": out })).unwrap();
    }
    match one(&request["component"], &request["config"]) {
        Ok(found) => response(&found),
        Err(raw) => raw,
    }
}

fn finding(i: usize, purl: &str) -> Finding {
    Finding::new("test", SEVERITIES[i % 3], format!("test/{}", i), format!("{} #{}", purl, i))
}

/// Findings for one component, or `Err` with the raw bytes the whole call must answer.
fn one(component: &Value, config: &Value) -> Result<Vec<Finding>, Vec<u8>> {
    let name = component["name"].as_str().unwrap_or("");
    let purl = match component["purl"].as_str() {
        Some(p) if !p.is_empty() => p,
        _ => name,
    };
    if let Some(n) = name.strip_prefix("finding-") {
        let n: usize = n.parse().unwrap_or(0);
        return Ok((0..n).map(|i| finding(i, purl)).collect());
    }
    match name {
        "garbage" => Err(b"this is not json\n".to_vec()),
        "badshape" => Err(b"{\"findings\": [{\"kind\": \"x\"}]}\n".to_vec()),
        "flood" => Err(vec![b'x'; 8 * 1024 * 1024]),
        "crash" => panic!("boom"),
        "sleep" => spin(),
        "post" => Ok(vec![post(purl, config["url"].as_str().unwrap_or(""))]),
        _ => Ok(Vec::new()),
    }
}

/// POST the purl to `url`; the answer (or the host's error code) becomes the finding's message.
fn post(purl: &str, url: &str) -> Finding {
    let message = match http_request("POST", url, &[("Content-Type", "text/plain")], Some(purl)) {
        Ok(body) => String::from_utf8_lossy(&body).into_owned(),
        Err(e) => format!("error {}", e.code()),
    };
    Finding::new("http", Severity::Info, "test/http", message)
}

/// Burn time without end; only the host's wall-clock (or fuel) budget can stop it.
fn spin() -> ! {
    let mut x: u64 = 1;
    loop {
        // A volatile write keeps the optimiser from proving the loop has no effect.
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        unsafe { std::ptr::write_volatile(&mut x, x) };
    }
}

export_raw_plugin!(behave);
