//! The request rules of the conventions suite that need more than an
//! attribute's presence: a gRPC span's `rpc.response.status_code` and the
//! span status it implies, and an HTTP client span's `url.full`.

use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, Span};

use super::get;

/// The gRPC status codes by name, and the ones that make a server span an
/// error (the gRPC conventions' list).
pub const GRPC_CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];
const GRPC_SERVER_ERRORS: [&str; 6] = [
    "UNKNOWN",
    "DEADLINE_EXCEEDED",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
];

/// A gRPC span: a string `rpc.response.status_code` naming a gRPC code; a
/// server span is an error exactly for the server-error codes, a client
/// span for every code but `OK`.
pub fn grpc_status(out: &mut Vec<String>, s: &Span, kind: SpanKind, error: bool) {
    let a = &s.attributes;
    let is_str = a
        .iter()
        .find(|kv| kv.key == "rpc.response.status_code")
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
        .is_some_and(|v| matches!(v, Value::StringValue(_)));
    let Some(code) = get(a, "rpc.response.status_code").filter(|_| is_str) else {
        out.push(format!(
            "grpc: `{}` has no string rpc.response.status_code",
            s.name
        ));
        return;
    };
    if !GRPC_CODES.contains(&code.as_str()) {
        out.push(format!(
            "grpc: `{}` code `{code}` is not a gRPC code",
            s.name
        ));
        return;
    }
    let should = match kind {
        SpanKind::Server => GRPC_SERVER_ERRORS.contains(&code.as_str()),
        _ => code != "OK",
    };
    if should != error {
        out.push(format!(
            "grpc: {kind:?} `{}` code {code} with error={error}",
            s.name
        ));
    }
}

/// The path of an HTTP client span's `url.full`, which must be
/// `{url.scheme or http(s)}://{server.address}:{server.port}{path}` with
/// an absolute, concrete path.
pub fn url_full_path(a: &[KeyValue]) -> Result<String, String> {
    let full = get(a, "url.full").ok_or("has no url.full")?;
    let (scheme, rest) = full
        .split_once("://")
        .ok_or(format!("url.full `{full}` has no scheme"))?;
    if !matches!(scheme, "http" | "https") {
        return Err(format!("url.full `{full}`: scheme `{scheme}`"));
    }
    let slash = rest
        .find('/')
        .ok_or(format!("url.full `{full}` has no path"))?;
    let (authority, path) = rest.split_at(slash);
    let expected = format!(
        "{}:{}",
        get(a, "server.address").unwrap_or_default(),
        get(a, "server.port").unwrap_or_default()
    );
    if authority != expected {
        return Err(format!(
            "url.full `{full}`: authority is not server.address:server.port `{expected}`"
        ));
    }
    if path.contains(['{', '}', ' ', '?', '#']) {
        return Err(format!("url.full `{full}`: path is not concrete"));
    }
    Ok(path.to_string())
}
