//! Write a bomhost WASM plugin (protocol 2) as one function: request in, findings out.
//!
//! ```ignore
//! use bomhost_plugin::{export_plugin, Finding, Severity, Value};
//!
//! fn check(request: &Value) -> Vec<Finding> {
//!     let purl = request["component"]["purl"].as_str().unwrap_or("");
//!     if purl.starts_with("pkg:npm/left-pad") {
//!         return vec![Finding::new("banned", Severity::Error, "banned/left-pad", purl)];
//!     }
//!     Vec::new()
//! }
//!
//! export_plugin!(check);
//! ```
//!
//! The crate hides the ABI (`abi`: the `bomdrift_alloc` / `bomdrift_enrich` exports and the
//! response encoding) and wraps the host functions of import module `bomdrift` (`host`:
//! `read_file`, `http_get`, `http_request`, `log`, `now_ms`). `batch` has the request and
//! response types of batch invocation (`invoke = "batch"`), exported with
//! `export_batch_plugin!`. The linker imports only the host functions a
//! plugin actually calls, so a plugin that never reads a file still loads under the default
//! policy, which does not grant `bomdrift.read_file`.

pub mod abi;
pub mod batch;
pub mod host;

pub use batch::{batch_response, BatchFinding, BatchItem, BatchRequest};
pub use host::{
    http_get, http_get_max, http_request, http_request_max, http_request_sized, log, now_ms,
    read_file, read_file_max, HostError, Level,
};
pub use serde_json::{self, json, Value};

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// How serious a finding is; the protocol's three values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    /// The protocol's spelling: `info`, `warning` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding, as bomdrift's protocol spells it (all four fields are required strings), plus
/// protocol 2's optional `data` object of structured detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub kind: String,
    pub severity: Severity,
    pub rule_id: String,
    pub message: String,
    pub data: Option<Value>,
}

impl Finding {
    pub fn new(
        kind: impl Into<String>,
        severity: Severity,
        rule_id: impl Into<String>,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            kind: kind.into(),
            severity,
            rule_id: rule_id.into(),
            message: message.into(),
            data: None,
        }
    }

    /// The same finding with `data` (a JSON object; bomhost ignores anything else).
    pub fn with_data(mut self, data: Value) -> Finding {
        self.data = Some(data);
        self
    }
}

impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Finding", 5)?;
        s.serialize_field("kind", &self.kind)?;
        s.serialize_field("message", &self.message)?;
        s.serialize_field("severity", self.severity.as_str())?;
        s.serialize_field("rule_id", &self.rule_id)?;
        if let Some(data) = &self.data {
            s.serialize_field("data", data)?;
        }
        s.end()
    }
}

struct Response<'a> {
    findings: &'a [Finding],
    error: Option<&'a str>,
}

impl Serialize for Response<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Response", 2)?;
        s.serialize_field("findings", self.findings)?;
        if let Some(error) = self.error {
            s.serialize_field("error", error)?;
        }
        s.end()
    }
}

/// The response bytes `{"findings":[...]}` for `findings` (for plugins using `export_raw_plugin!`).
pub fn response(findings: &[Finding]) -> Vec<u8> {
    response_with_error(findings, None)
}

/// `{"findings":[...],"error":"..."}`: the findings a plugin has, and (protocol 2) why it could
/// not do the rest, which bomhost records as a `plugin_reported` error (a source offline).
pub fn response_with_error(findings: &[Finding], error: Option<&str>) -> Vec<u8> {
    // Serialising strings into a Vec cannot fail.
    serde_json::to_vec(&Response { findings, error }).unwrap_or_default()
}

/// Export the ABI for `$plugin: fn(&bomhost_plugin::Value) -> Vec<bomhost_plugin::Finding>`.
///
/// A request that is not JSON (the host never sends one) gets an invalid response, so the
/// mistake shows in the report as `bad_output` instead of as a silent empty answer.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:path) => {
        fn __bomhost_plugin_raw(request: &[u8]) -> ::std::vec::Vec<u8> {
            $crate::abi::findings_for(request, $plugin)
        }
        $crate::export_raw_plugin!(__bomhost_plugin_raw);
    };
}

/// Export the ABI for a batch plugin, `$plugin: fn(&BatchRequest) -> Vec<BatchFinding>`; its
/// manifest must say `protocol_version = 2` and `invoke = "batch"`. A request that is not a
/// batch request gets an invalid response (`bad_output` in the report).
#[macro_export]
macro_rules! export_batch_plugin {
    ($plugin:path) => {
        fn __bomhost_batch_plugin_raw(request: &[u8]) -> ::std::vec::Vec<u8> {
            $crate::abi::batch_findings_for(request, $plugin)
        }
        $crate::export_raw_plugin!(__bomhost_batch_plugin_raw);
    };
}

/// Export the ABI for `$plugin: fn(&[u8]) -> Vec<u8>`: raw request bytes in, raw response
/// bytes out. For plugins (and tests) that need full control of the response.
#[macro_export]
macro_rules! export_raw_plugin {
    ($plugin:path) => {
        #[no_mangle]
        pub extern "C" fn bomdrift_alloc(len: i32) -> i32 {
            $crate::abi::alloc(len)
        }

        #[no_mangle]
        pub extern "C" fn bomdrift_enrich(ptr: i32, len: i32) -> i64 {
            $crate::abi::enrich(ptr, len, $plugin)
        }
    };
}
