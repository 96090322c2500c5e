//! OTLP/HTTP: `POST /v1/traces`, `/v1/metrics`, `/v1/logs` with protobuf or
//! JSON bodies, optionally gzip; answers in the request's encoding, refuses
//! requests by the fault plan (503, 429 with `Retry-After`) before decoding,
//! and answers 404/405/413/415/400 for what it cannot take.

use std::convert::Infallible;
use std::io::Read;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

use crate::faults::Admission;
use crate::google_rpc;
use crate::shared::Shared;
use crate::stats::{add, bump, Counters, Signal, Transport};
use crate::MAX_BODY;

/// gRPC codes carried in error bodies.
const INVALID_ARGUMENT: i32 = 3;
const RESOURCE_EXHAUSTED: i32 = 8;
const UNAVAILABLE: i32 = 14;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// Handles one request of the HTTP listener.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let _inflight = shared.inflight.enter();
    Ok(route(&shared, req).await)
}

async fn route(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let signal = match req.uri().path() {
        "/v1/traces" => Signal::Traces,
        "/v1/metrics" => Signal::Metrics,
        "/v1/logs" => Signal::Logs,
        _ => {
            bump(&shared.stats.not_found);
            return text(
                StatusCode::NOT_FOUND,
                "not found: the OTLP/HTTP paths are /v1/traces, /v1/metrics and /v1/logs",
            );
        }
    };
    let cell = shared.stats.cell(signal, Transport::Http);
    bump(&cell.requests);
    if req.method() != Method::POST {
        bump(&shared.stats.method_not_allowed);
        let mut r = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed: use POST",
        );
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let Some(enc) = encoding(req.headers()) else {
        bump(&shared.stats.unsupported_media_type);
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported content type: use application/x-protobuf or application/json",
        );
    };
    let gzip = match req
        .headers()
        .get(CONTENT_ENCODING)
        .map(HeaderValue::as_bytes)
    {
        None => false,
        Some(v) if v.eq_ignore_ascii_case(b"identity") => false,
        Some(v) if v.eq_ignore_ascii_case(b"gzip") => true,
        Some(_) => {
            bump(&shared.stats.unsupported_media_type);
            return text(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported content encoding: use gzip or none",
            );
        }
    };
    let too_large = || {
        bump(&shared.stats.payload_too_large);
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            enc,
            INVALID_ARGUMENT,
            "the body is over 64 MiB",
        )
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return too_large();
    }
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => return too_large(),
        Err(e) => return bad_request(cell, enc, format!("reading the body: {e}")),
    };
    match shared.admit(signal, Transport::Http) {
        Admission::Accept => {}
        Admission::Unavailable => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                enc,
                UNAVAILABLE,
                "tsim receive: unavailable (injected failure)",
            );
        }
        Admission::Throttled(delay) => {
            let status = google_rpc::Status::with_retry_delay(
                RESOURCE_EXHAUSTED,
                "tsim receive: throttled (--throttle)",
                delay,
            );
            let mut r = status_response(StatusCode::TOO_MANY_REQUESTS, enc, &status);
            let secs = delay.as_secs_f64().ceil().max(1.0) as u64;
            r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
            return r;
        }
    }
    add(&cell.bytes, body.len() as u64);
    if gzip {
        bump(&cell.gzip_requests);
    }
    if enc == Encoding::Json {
        bump(&cell.json_requests);
    }
    let raw = if gzip {
        match gunzip(&body) {
            Ok(raw) => Bytes::from(raw),
            Err(Gunzip::TooLarge) => return too_large(),
            Err(Gunzip::Bad(e)) => return bad_request(cell, enc, format!("gzip: {e}")),
        }
    } else {
        body
    };
    match signal {
        Signal::Traces => match decode::<ExportTraceServiceRequest>(&raw, enc) {
            Ok(r) => ok(&shared.accept_traces(Transport::Http, &r), enc),
            Err(e) => bad_request(cell, enc, e),
        },
        Signal::Metrics => match decode::<ExportMetricsServiceRequest>(&raw, enc) {
            Ok(r) => ok(&shared.accept_metrics(Transport::Http, &r), enc),
            Err(e) => bad_request(cell, enc, e),
        },
        Signal::Logs => match decode::<ExportLogsServiceRequest>(&raw, enc) {
            Ok(r) => ok(&shared.accept_logs(Transport::Http, &r), enc),
            Err(e) => bad_request(cell, enc, e),
        },
    }
}

/// The body encoding named by `Content-Type`, parameters ignored.
fn encoding(headers: &HeaderMap) -> Option<Encoding> {
    let v = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let media = v.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("application/x-protobuf")
        || media.eq_ignore_ascii_case("application/protobuf")
    {
        Some(Encoding::Protobuf)
    } else if media.eq_ignore_ascii_case("application/json") {
        Some(Encoding::Json)
    } else {
        None
    }
}

enum Gunzip {
    TooLarge,
    Bad(String),
}

fn gunzip(data: &[u8]) -> Result<Vec<u8>, Gunzip> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Gunzip::Bad(e.to_string()))?;
    if out.len() > MAX_BODY {
        return Err(Gunzip::TooLarge);
    }
    Ok(out)
}

fn decode<T>(raw: &[u8], enc: Encoding) -> Result<T, String>
where
    T: prost::Message + Default + serde::de::DeserializeOwned,
{
    match enc {
        Encoding::Protobuf => T::decode(raw).map_err(|e| format!("protobuf: {e}")),
        Encoding::Json => serde_json::from_slice(raw).map_err(|e| format!("json: {e}")),
    }
}

/// 200 with the export response in the request's encoding.
fn ok<T: prost::Message + serde::Serialize>(resp: &T, enc: Encoding) -> Response<Full<Bytes>> {
    let body = match enc {
        Encoding::Protobuf => resp.encode_to_vec(),
        Encoding::Json => json_without_nulls(resp),
    };
    respond(StatusCode::OK, enc.content_type(), body)
}

/// JSON with top-level nulls left out (`{}` for a response without partial success).
fn json_without_nulls<T: serde::Serialize>(value: &T) -> Vec<u8> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(mut map)) => {
            map.retain(|_, v| !v.is_null());
            serde_json::to_vec(&map).unwrap_or_else(|_| b"{}".to_vec())
        }
        Ok(other) => serde_json::to_vec(&other).unwrap_or_else(|_| b"{}".to_vec()),
        Err(_) => b"{}".to_vec(),
    }
}

fn bad_request(cell: &Counters, enc: Encoding, message: String) -> Response<Full<Bytes>> {
    bump(&cell.decode_errors);
    error(
        StatusCode::BAD_REQUEST,
        enc,
        INVALID_ARGUMENT,
        &format!("undecodable body: {message}"),
    )
}

fn error(status: StatusCode, enc: Encoding, code: i32, message: &str) -> Response<Full<Bytes>> {
    let s = google_rpc::Status {
        code,
        message: message.to_string(),
        details: Vec::new(),
    };
    status_response(status, enc, &s)
}

/// An error answer whose body is a `google.rpc.Status` in the request's encoding.
fn status_response(
    status: StatusCode,
    enc: Encoding,
    s: &google_rpc::Status,
) -> Response<Full<Bytes>> {
    let body = match enc {
        Encoding::Protobuf => prost::Message::encode_to_vec(s),
        Encoding::Json => {
            let mut v = serde_json::json!({ "code": s.code, "message": s.message });
            if let Some(delay) = s.retry_delay() {
                v["details"] = serde_json::json!([{
                    "@type": google_rpc::RETRY_INFO_TYPE_URL,
                    "retryDelay": format!("{}s", delay.as_secs_f64()),
                }]);
            }
            serde_json::to_vec(&v).unwrap_or_default()
        }
    };
    respond(status, enc.content_type(), body)
}

fn text(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    respond(
        status,
        "text/plain; charset=utf-8",
        format!("{message}\n").into_bytes(),
    )
}

fn respond(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        let mut h = HeaderMap::new();
        assert_eq!(encoding(&h), None);
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        assert_eq!(encoding(&h), Some(Encoding::Json));
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("Application/X-Protobuf"),
        );
        assert_eq!(encoding(&h), Some(Encoding::Protobuf));
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(encoding(&h), None);
    }

    #[test]
    fn gunzip_limits_and_errors() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = e.write_all(b"hello");
        let gz = e.finish().unwrap_or_default();
        assert_eq!(gunzip(&gz).ok(), Some(b"hello".to_vec()));
        assert!(matches!(gunzip(b"not gzip"), Err(Gunzip::Bad(_))));
    }

    #[test]
    fn json_responses_leave_out_nulls() {
        use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
        let r = ExportTraceServiceResponse {
            partial_success: None,
        };
        assert_eq!(json_without_nulls(&r), b"{}".to_vec());
    }
}
