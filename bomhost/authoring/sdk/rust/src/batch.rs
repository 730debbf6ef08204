//! Batch invocation (`invoke = "batch"`, protocol/README.md section 8): the request and
//! response types.
//!
//! A batch request carries every changed component of one chunk (`batch`); each finding of the
//! answer names the item it belongs to by that item's `component_purl`. A finding naming a
//! component that was not sent makes the whole call `bad_output`, so build findings with
//! `BatchItem::finding` (or `BatchFinding::new` with an item's id) rather than from a purl of
//! your own.
//!
//! The types implement serde's `Deserialize` / `Serialize` by hand (through `Value`), which
//! keeps serde's proc-macro crates out of the offline build.

use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::{Finding, Severity, Value};

/// One item of a batch request: a changed component, its event and (for version- and
/// license-changed) the component before.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchItem {
    /// The id every finding for this item must carry: the purl, else the name.
    pub component_purl: String,
    /// The component (after the change), as in a per-component request.
    pub component: Value,
    /// `added`, `version-changed`, `removed` or `license-changed`.
    pub event: String,
    /// The component before the change; `None` for added and removed.
    pub before: Option<Value>,
}

impl BatchItem {
    /// The component's purl, if it has one.
    pub fn purl(&self) -> Option<&str> {
        match self.component["purl"].as_str() {
            Some(p) if !p.is_empty() => Some(p),
            _ => None,
        }
    }

    /// A finding for this item.
    pub fn finding(
        &self,
        kind: impl Into<String>,
        severity: Severity,
        rule_id: impl Into<String>,
        message: impl Into<String>,
    ) -> BatchFinding {
        BatchFinding::new(
            self.component_purl.clone(),
            Finding::new(kind, severity, rule_id, message),
        )
    }

    fn from_value(v: &Value) -> Result<BatchItem, String> {
        let component_purl = v["component_purl"]
            .as_str()
            .ok_or("batch item without a component_purl string")?
            .to_string();
        let event = v["event"].as_str().ok_or("batch item without an event string")?.to_string();
        if !v["component"].is_object() {
            return Err("batch item without a component object".to_string());
        }
        let before = if v["before"].is_object() { Some(v["before"].clone()) } else { None };
        Ok(BatchItem { component_purl, component: v["component"].clone(), event, before })
    }
}

/// A whole batch request (`request-batch.schema.json`).
#[derive(Clone, Debug, PartialEq)]
pub struct BatchRequest {
    pub protocol_version: u64,
    /// The chunk's components, in bomdrift's order.
    pub batch: Vec<BatchItem>,
    /// The manifest's `[plugin.config]` table (`{}` when it has none).
    pub config: Value,
    /// `{"bomhost_version": ..., "now_ms": ...}`.
    pub run: Value,
}

impl BatchRequest {
    /// Parse the raw request bytes; `Err` says why it is not a batch request.
    pub fn from_slice(raw: &[u8]) -> Result<BatchRequest, String> {
        let v: Value = serde_json::from_slice(raw).map_err(|e| e.to_string())?;
        BatchRequest::from_value(&v)
    }

    fn from_value(v: &Value) -> Result<BatchRequest, String> {
        let items = v["batch"].as_array().ok_or("not a batch request (no \"batch\" list)")?;
        let batch = items.iter().map(BatchItem::from_value).collect::<Result<Vec<_>, _>>()?;
        Ok(BatchRequest {
            protocol_version: v["protocol_version"].as_u64().unwrap_or(2),
            batch,
            config: if v["config"].is_null() { Value::Object(Default::default()) } else { v["config"].clone() },
            run: v["run"].clone(),
        })
    }
}

impl<'de> Deserialize<'de> for BatchRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(deserializer)?;
        BatchRequest::from_value(&v).map_err(D::Error::custom)
    }
}

impl<'de> Deserialize<'de> for BatchItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(deserializer)?;
        BatchItem::from_value(&v).map_err(D::Error::custom)
    }
}

/// One finding of a batch response: a `Finding` plus the id of the item it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchFinding {
    pub component_purl: String,
    pub finding: Finding,
}

impl BatchFinding {
    pub fn new(component_purl: impl Into<String>, finding: Finding) -> BatchFinding {
        BatchFinding { component_purl: component_purl.into(), finding }
    }
}

impl Serialize for BatchFinding {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let f = &self.finding;
        let mut s = serializer.serialize_struct("BatchFinding", 6)?;
        s.serialize_field("component_purl", &self.component_purl)?;
        s.serialize_field("kind", &f.kind)?;
        s.serialize_field("message", &f.message)?;
        s.serialize_field("severity", f.severity.as_str())?;
        s.serialize_field("rule_id", &f.rule_id)?;
        if let Some(data) = &f.data {
            s.serialize_field("data", data)?;
        }
        s.end()
    }
}

struct BatchResponse<'a> {
    findings: &'a [BatchFinding],
}

impl Serialize for BatchResponse<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("BatchResponse", 1)?;
        s.serialize_field("findings", self.findings)?;
        s.end()
    }
}

/// The response bytes `{"findings":[...]}` of a batch call (`response-batch.schema.json`).
pub fn batch_response(findings: &[BatchFinding]) -> Vec<u8> {
    serde_json::to_vec(&BatchResponse { findings }).unwrap_or_default()
}
