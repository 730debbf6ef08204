//! The runtime-contract test plugin (tests/plugins/contract.py), as a WASM module built with the
//! SDK: what it answers is chosen by the component's name, like tests/assets/plugins/behave.py.
//!
//! finding-N: N findings | none: no findings | garbage: not JSON | badshape: a finding
//! without its fields | crash: a panic (an `unreachable` trap) | sleep: a busy loop until the
//! wall-clock budget stops it | flood: 8 MiB of output.

use bomhost_plugin::{export_raw_plugin, response, Finding, Severity, Value};

const SEVERITIES: [Severity; 3] = [Severity::Info, Severity::Warning, Severity::Error];

fn behave(raw: &[u8]) -> Vec<u8> {
    let request: Value = match bomhost_plugin::serde_json::from_slice(raw) {
        Ok(v) => v,
        Err(_) => return b"request is not JSON".to_vec(),
    };
    let name = request["component"]["name"].as_str().unwrap_or("");
    let purl = match request["component"]["purl"].as_str() {
        Some(p) if !p.is_empty() => p,
        _ => name,
    };
    if let Some(n) = name.strip_prefix("finding-") {
        let n: usize = n.parse().unwrap_or(0);
        let findings: Vec<Finding> = (0..n)
            .map(|i| {
                let message = format!("{} #{}", purl, i);
                Finding::new("test", SEVERITIES[i % 3], format!("test/{}", i), message)
            })
            .collect();
        return response(&findings);
    }
    match name {
        "garbage" => b"this is not json\n".to_vec(),
        "badshape" => b"{\"findings\": [{\"kind\": \"x\"}]}\n".to_vec(),
        "flood" => vec![b'x'; 8 * 1024 * 1024],
        "crash" => panic!("boom"),
        "sleep" => spin(),
        _ => response(&[]),
    }
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
