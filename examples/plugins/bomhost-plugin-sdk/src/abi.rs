//! The guest side of the bomhost WASM ABI (protocol 2); used through the export macros.
//!
//! - `bomdrift_alloc(len) -> ptr`: a buffer the host writes the JSON request into;
//! - `bomdrift_enrich(ptr, len) -> (out_ptr << 32) | out_len`: the response bytes.
//!
//! The host builds a fresh instance for every call, so buffers are simply leaked: the whole
//! linear memory is dropped when the call returns.

use crate::batch::{batch_response, BatchFinding, BatchRequest};
use crate::{response, Finding, Value};

#[doc(hidden)]
pub fn alloc(len: i32) -> i32 {
    let buf: Vec<u8> = Vec::with_capacity(len.max(0) as usize);
    std::mem::ManuallyDrop::new(buf).as_mut_ptr() as i32
}

#[doc(hidden)]
pub fn enrich(ptr: i32, len: i32, plugin: fn(&[u8]) -> Vec<u8>) -> i64 {
    let input = unsafe { std::slice::from_raw_parts(ptr as *const u8, len.max(0) as usize) };
    let out = std::mem::ManuallyDrop::new(plugin(input));
    ((out.as_ptr() as u32 as i64) << 32) | (out.len() as u32 as i64)
}

#[doc(hidden)]
pub fn findings_for(request: &[u8], plugin: fn(&Value) -> Vec<Finding>) -> Vec<u8> {
    match serde_json::from_slice::<Value>(request) {
        Ok(request) => response(&plugin(&request)),
        Err(_) => b"request is not JSON".to_vec(),
    }
}

#[doc(hidden)]
pub fn batch_findings_for(request: &[u8], plugin: fn(&BatchRequest) -> Vec<BatchFinding>) -> Vec<u8> {
    match BatchRequest::from_slice(request) {
        Ok(request) => batch_response(&plugin(&request)),
        // Not a valid response either, so the mistake (e.g. a manifest without
        // `invoke = "batch"`) shows as bad_output.
        Err(why) => format!("bomhost_plugin: {}", why).into_bytes(),
    }
}
