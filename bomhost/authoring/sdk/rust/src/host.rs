//! Safe wrappers for the host functions of import module `bomdrift`.
//!
//! Each wrapper is a separate import: wasm-ld keeps only the ones a plugin calls, and the
//! operator's policy must allow every import a module keeps (`bomdrift.log` and
//! `bomdrift.now_ms` are in the default set; `read_file`, `http_get` and `http_request` are
//! not).

use std::fmt;

#[link(wasm_import_module = "bomdrift")]
extern "C" {
    #[link_name = "log"]
    fn host_log(level: i32, ptr: *const u8, len: usize);
    #[link_name = "now_ms"]
    fn host_now_ms() -> i64;
    #[link_name = "read_file"]
    fn host_read_file(path_ptr: *const u8, path_len: usize, buf_ptr: *mut u8, cap: usize) -> i64;
    #[link_name = "http_get"]
    fn host_http_get(url_ptr: *const u8, url_len: usize, buf_ptr: *mut u8, cap: usize) -> i64;
    #[link_name = "http_request"]
    fn host_http_request(req_ptr: *const u8, req_len: usize, buf_ptr: *mut u8, cap: usize) -> i64;
}

/// The first buffer offered to `read_file` / `http_get` / `http_request`; doubled on "buffer
/// too small".
pub const FIRST_BUFFER: usize = 64 * 1024;
/// The largest buffer the brokered calls offer (`*_max` take another bound).
pub const MAX_BUFFER: usize = 16 * 1024 * 1024;

/// Why a host call gave no bytes: the host's negative result codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostError {
    /// -1: the policy does not grant it (no rule, or a URL that is not acceptable).
    Denied,
    /// -2: the file is missing or unreadable; the connection failed or the status was not 2xx.
    NotFound,
    /// -3: a quota of the policy rule would be exceeded.
    Quota,
    /// -4: still too large for the biggest buffer offered (`limit` bytes).
    TooLarge { limit: usize },
    /// -5: the request timed out.
    TimedOut,
    /// -6, or a byte count larger than the buffer: the host saw a bad pointer.
    Fault,
    /// -7: `http_request` only: the host could not read the request (a bug in the caller).
    BadRequest,
    /// Any other code (a newer host).
    Other(i64),
}

impl HostError {
    fn from_code(code: i64, limit: usize) -> HostError {
        match code {
            -1 => HostError::Denied,
            -2 => HostError::NotFound,
            -3 => HostError::Quota,
            -4 => HostError::TooLarge { limit },
            -5 => HostError::TimedOut,
            -6 => HostError::Fault,
            -7 => HostError::BadRequest,
            other => HostError::Other(other),
        }
    }

    /// The host's result code.
    pub fn code(self) -> i64 {
        match self {
            HostError::Denied => -1,
            HostError::NotFound => -2,
            HostError::Quota => -3,
            HostError::TooLarge { .. } => -4,
            HostError::TimedOut => -5,
            HostError::Fault => -6,
            HostError::BadRequest => -7,
            HostError::Other(code) => code,
        }
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Denied => write!(f, "denied by the policy"),
            HostError::NotFound => write!(f, "not found or not readable"),
            HostError::Quota => write!(f, "a quota of the policy would be exceeded"),
            HostError::TooLarge { limit } => write!(f, "larger than {} bytes", limit),
            HostError::TimedOut => write!(f, "timed out"),
            HostError::Fault => write!(f, "the host rejected a guest pointer"),
            HostError::BadRequest => write!(f, "the host could not read the request"),
            HostError::Other(code) => write!(f, "unknown host result {}", code),
        }
    }
}

impl std::error::Error for HostError {}

/// One code path for both brokered calls: offer a buffer, double it on -4 up to `max`.
fn fetch(max: usize, call: impl FnMut(*mut u8, usize) -> i64) -> Result<Vec<u8>, HostError> {
    fetch_from(FIRST_BUFFER, max, call)
}

/// `fetch`, offering `first` bytes first (each retry is another request to the host).
fn fetch_from(
    first: usize,
    max: usize,
    mut call: impl FnMut(*mut u8, usize) -> i64,
) -> Result<Vec<u8>, HostError> {
    let max = max.max(1);
    let mut cap = first.max(1).min(max);
    loop {
        let mut buf: Vec<u8> = Vec::with_capacity(cap);
        let n = call(buf.as_mut_ptr(), cap);
        if n >= 0 {
            if n as u64 > cap as u64 {
                return Err(HostError::Fault);
            }
            // The host wrote exactly n initialised bytes at the start of the buffer.
            unsafe { buf.set_len(n as usize) };
            return Ok(buf);
        }
        if n == -4 && cap < max {
            drop(buf); // let the allocator reuse it for the bigger one
            cap = cap.saturating_mul(2).min(max);
            continue;
        }
        return Err(HostError::from_code(n, cap));
    }
}

/// The bytes of the file at `path` (relative paths start at the policy file's folder).
/// Needs `bomdrift.read_file` in the policy's imports and an `[[fs.read]]` rule covering it.
pub fn read_file(path: &str) -> Result<Vec<u8>, HostError> {
    read_file_max(path, MAX_BUFFER)
}

/// `read_file`, offering at most `max_bytes` of buffer.
pub fn read_file_max(path: &str, max_bytes: usize) -> Result<Vec<u8>, HostError> {
    fetch(max_bytes, |buf, cap| unsafe {
        host_read_file(path.as_ptr(), path.len(), buf, cap)
    })
}

/// The body of a 2xx answer to `GET url`. Needs `bomdrift.http_get` in the policy's imports
/// and a `[[net.allow]]` rule for the URL's scheme, host and port.
pub fn http_get(url: &str) -> Result<Vec<u8>, HostError> {
    http_get_max(url, MAX_BUFFER)
}

/// `http_get`, offering at most `max_bytes` of buffer.
pub fn http_get_max(url: &str, max_bytes: usize) -> Result<Vec<u8>, HostError> {
    fetch(max_bytes, |buf, cap| unsafe {
        host_http_get(url.as_ptr(), url.len(), buf, cap)
    })
}

/// The body of a 2xx answer to `method url` with `headers` and `body` (`bomdrift.http_request`,
/// protocol/README.md section 9). Needs `bomdrift.http_request` in the policy's imports and a
/// `[[net.allow]]` rule for the URL whose `methods` list `method`. Headers the host controls
/// (`host`, `content-length`, `connection`, `proxy-*`, any the rule injects) are refused as
/// `Denied`; the rule's injected credentials are added by the host and never visible here.
///
/// A body too big for the buffer (-4) is fetched again with a bigger one, so with a response
/// over 64 KiB the server sees the request more than once: use `http_request_max` with a
/// first buffer that fits, or a rule with `cache_ttl_s`.
pub fn http_request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Result<Vec<u8>, HostError> {
    http_request_max(method, url, headers, body, MAX_BUFFER)
}

/// `http_request`, offering at most `max_bytes` of buffer.
pub fn http_request_max(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    max_bytes: usize,
) -> Result<Vec<u8>, HostError> {
    let request = encode_http_request(method, url, headers, body);
    fetch(max_bytes, |buf, cap| unsafe {
        host_http_request(request.as_ptr(), request.len(), buf, cap)
    })
}

/// `http_request`, offering `first_bytes` of buffer first and at most `max_bytes`. Every retry
/// with a bigger buffer is a new request (counted, and not served from the cache), so a plugin
/// expecting large bodies saves requests by starting big.
pub fn http_request_sized(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    first_bytes: usize,
    max_bytes: usize,
) -> Result<Vec<u8>, HostError> {
    let request = encode_http_request(method, url, headers, body);
    fetch_from(first_bytes, max_bytes, |buf, cap| unsafe {
        host_http_request(request.as_ptr(), request.len(), buf, cap)
    })
}

/// The JSON request `http_request` passes to the host (`http-request.schema.json`).
pub fn encode_http_request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Vec<u8> {
    let headers: Vec<[&str; 2]> = headers.iter().map(|(k, v)| [*k, *v]).collect();
    let request = serde_json::json!({"method": method, "url": url, "headers": headers, "body": body});
    // Serialising strings into a Vec cannot fail.
    serde_json::to_vec(&request).unwrap_or_default()
}

/// Log levels, as the report shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Debug = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
}

/// One line into the report's log; bytes beyond the policy's `max_log_bytes` are dropped.
pub fn log(level: Level, message: &str) {
    unsafe { host_log(level as i32, message.as_ptr(), message.len()) }
}

/// The run's fixed time in milliseconds since the epoch (the same for every call).
pub fn now_ms() -> i64 {
    unsafe { host_now_ms() }
}
