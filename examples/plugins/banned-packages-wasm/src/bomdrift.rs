//! The bomhost WASM ABI (protocol_version 2), hidden behind one macro.
//!
//! A plugin author writes one function `fn(&Value) -> Vec<Finding>` and registers it with
//! `bomdrift_plugin!(my_fn);`. This module provides the exports the host calls:
//!
//! - `bomdrift_alloc(len) -> ptr`: a buffer the host writes the JSON request into;
//! - `bomdrift_enrich(ptr, len) -> (out_ptr << 32) | out_len`: parses the request, calls the
//!   author's function, and returns the UTF-8 JSON response `{"findings":[...]}`.
//!
//! The host builds a fresh instance for every call, so buffers are simply leaked: the whole
//! linear memory is dropped when the call returns.

use serde_json::{json, Value};

/// One finding, as bomdrift's protocol spells it (all four fields are required strings).
pub struct Finding {
    pub kind: String,
    pub message: String,
    /// `info`, `warning` or `error`.
    pub severity: &'static str,
    pub rule_id: String,
}

#[link(wasm_import_module = "bomdrift")]
extern "C" {
    #[link_name = "log"]
    fn host_log(level: i32, ptr: *const u8, len: usize);
}

/// Log one line into the report (0 debug, 1 info, 2 warning, 3 error); bounded by the policy.
/// Only plugins that call it import `bomdrift.log`.
#[allow(dead_code)]
pub fn log(level: i32, message: &str) {
    unsafe { host_log(level, message.as_ptr(), message.len()) }
}

#[doc(hidden)]
pub fn alloc(len: i32) -> i32 {
    let buf: Vec<u8> = Vec::with_capacity(len.max(0) as usize);
    std::mem::ManuallyDrop::new(buf).as_mut_ptr() as i32
}

#[doc(hidden)]
pub fn enrich(ptr: i32, len: i32, plugin: fn(&Value) -> Vec<Finding>) -> i64 {
    let input = unsafe { std::slice::from_raw_parts(ptr as *const u8, len.max(0) as usize) };
    let findings: Vec<Value> = match serde_json::from_slice::<Value>(input) {
        Ok(request) => plugin(&request)
            .into_iter()
            .map(|f| {
                json!({"kind": f.kind, "message": f.message, "severity": f.severity,
                       "rule_id": f.rule_id})
            })
            .collect(),
        // The host always sends valid JSON; answering with an invalid response makes the
        // mistake visible in the report as bad_output instead of a silent empty answer.
        Err(_) => return respond(b"request is not JSON".to_vec()),
    };
    respond(json!({ "findings": findings }).to_string().into_bytes())
}

fn respond(out: Vec<u8>) -> i64 {
    let out = std::mem::ManuallyDrop::new(out);
    ((out.as_ptr() as u32 as i64) << 32) | (out.len() as u32 as i64)
}

/// Export the ABI functions for `$plugin: fn(&serde_json::Value) -> Vec<Finding>`.
#[macro_export]
macro_rules! bomdrift_plugin {
    ($plugin:path) => {
        #[no_mangle]
        pub extern "C" fn bomdrift_alloc(len: i32) -> i32 {
            $crate::bomdrift::alloc(len)
        }

        #[no_mangle]
        pub extern "C" fn bomdrift_enrich(ptr: i32, len: i32) -> i64 {
            $crate::bomdrift::enrich(ptr, len, $plugin)
        }
    };
}
