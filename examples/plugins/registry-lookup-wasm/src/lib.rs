//! registry-lookup: a batch plugin that asks a package registry about every changed component
//! with one POST per chunk, through the host's `http_request`.
//!
//! Request: `POST <config.base_url>/v1/lookup` with `{"purls": [...]}` (the chunk's components
//! that have a purl, in order). Answer: `{"results": [...]}`, one object per purl in the same
//! order (OSV's `querybatch` shape); `{"deprecated": "<reason>"}` makes a finding (kind
//! `deprecated`, severity `warning`, rule_id `registry/deprecated`), `{}` none.
//!
//! The plugin never sees a credential: the operator's policy rule injects it (`headers =
//! { Authorization = "Bearer ${env:REGISTRY_TOKEN}" }`). When the lookup fails (denied, quota,
//! timeout, non-2xx, an answer it cannot read) every component of the chunk gets one finding
//! of kind `registry-unavailable` (severity `warning`) saying why, so an unreachable registry
//! shows in the report instead of passing every component silently.

use bomhost_plugin::{
    export_batch_plugin, http_request, json, serde_json, BatchFinding, BatchItem, BatchRequest,
    Severity, Value,
};

fn lookup(request: &BatchRequest) -> Vec<BatchFinding> {
    let items: Vec<&BatchItem> = request.batch.iter().filter(|i| i.purl().is_some()).collect();
    if items.is_empty() {
        return Vec::new();
    }
    match query(&request.config, &items) {
        Ok(results) => items
            .iter()
            .zip(results.iter())
            .filter_map(|(item, result)| {
                let reason = result["deprecated"].as_str()?;
                let purl = item.purl().unwrap_or("");
                Some(item.finding(
                    "deprecated",
                    Severity::Warning,
                    "registry/deprecated",
                    format!("{} is deprecated: {}", purl, reason),
                ))
            })
            .collect(),
        Err(why) => items
            .iter()
            .map(|item| {
                item.finding(
                    "registry-unavailable",
                    Severity::Warning,
                    "registry/unavailable",
                    format!("registry lookup failed: {}", why),
                )
            })
            .collect(),
    }
}

/// One POST for the whole chunk; the `results` list, one entry per item.
fn query(config: &Value, items: &[&BatchItem]) -> Result<Vec<Value>, String> {
    let base = match config["base_url"].as_str() {
        Some(b) if !b.is_empty() => b.trim_end_matches('/'),
        _ => return Err("[plugin.config] base_url is not set".to_string()),
    };
    let purls: Vec<&str> = items.iter().filter_map(|i| i.purl()).collect();
    let body = serde_json::to_string(&json!({ "purls": purls })).unwrap_or_default();
    let url = format!("{}/v1/lookup", base);
    let headers = [("Content-Type", "application/json")];
    let answer = http_request("POST", &url, &headers, Some(&body))
        .map_err(|e| format!("POST {}: {} ({})", url, e, e.code()))?;
    let answer: Value =
        serde_json::from_slice(&answer).map_err(|_| format!("POST {}: answer is not JSON", url))?;
    match answer["results"].as_array() {
        Some(results) if results.len() == purls.len() => Ok(results.clone()),
        _ => Err(format!("POST {}: answer has no \"results\" list of {} entries", url, purls.len())),
    }
}

export_batch_plugin!(lookup);
