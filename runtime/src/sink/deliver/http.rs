//! The HTTP side every HTTP transport shares: hyper's pooled HTTP/1.1
//! client (`https://` over TLS, see [`super::tls`]), one `POST` with a
//! timeout that comes back as the server's status, `Retry-After` and the
//! start of its body (or as a retryable or permanent failure to connect),
//! gzip bodies, header checks, and the short excerpt of a body an error
//! message quotes.

use std::io::Write;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, RETRY_AFTER};
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::retry::{chain, connect_failure, retry_after, Attempt};

/// The largest response body read.
const MAX_RESPONSE: usize = 1 << 20;

/// Checks headers as HTTP header names and values.
pub fn header_map(headers: &[(String, String)]) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| format!("header `{k}`: not a valid HTTP header name"))?;
        let value = HeaderValue::from_str(v)
            .map_err(|_| format!("header `{k}`: its value is not a valid HTTP header value"))?;
        map.append(name, value);
    }
    Ok(map)
}

/// Gzips `body` (fast compression).
pub fn gzip(body: Bytes) -> Bytes {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4 + 64),
        flate2::Compression::fast(),
    );
    // Writing into a Vec cannot fail.
    match enc.write_all(&body).and_then(|()| enc.finish()) {
        Ok(v) => Bytes::from(v),
        Err(_) => body,
    }
}

/// The start of a response body, without control characters (for error
/// messages).
pub fn excerpt(text: &[u8]) -> String {
    String::from_utf8_lossy(&text[..text.len().min(200)])
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

/// `HTTP 503` or `HTTP 503: <the start of the body>`.
pub fn status_reason(status: u16, body: &[u8]) -> String {
    let start = excerpt(body);
    if start.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {start}")
    }
}

/// What the server answered.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Its `Retry-After` in delay-seconds, if it sent one.
    pub retry_after: Option<Duration>,
    /// The body (its first MiB).
    pub body: Bytes,
}

/// A pooled HTTP client.
pub struct HttpClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl HttpClient {
    /// A client for `http://` URLs, and `https://` ones when `tls` (system
    /// roots, or none checked when `insecure`), with `timeout` per attempt.
    pub fn new(tls: bool, insecure: bool, timeout: Duration) -> Result<HttpClient, String> {
        let connector = super::tls::http_connector_for(tls, insecure)?;
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(HttpClient { client, timeout })
    }

    /// One `POST` of `body` to `uri` with `headers`; a failure to build,
    /// connect or hear back within the timeout is the attempt's outcome.
    pub async fn post(
        &self,
        uri: &Uri,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Answer, Attempt> {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(uri.clone())
            .body(Full::new(body))
            .map_err(|e| Attempt::Fail {
                reason: format!("cannot build the request: {e}"),
            })?;
        req.headers_mut()
            .extend(headers.iter().map(|(k, v)| (k.clone(), v.clone())));
        let resp = match tokio::time::timeout(self.timeout, self.client.request(req)).await {
            Err(_) => {
                return Err(Attempt::Retry {
                    after: None,
                    reason: format!("no answer within {:?}", self.timeout),
                })
            }
            Ok(Err(e)) => return Err(connect_failure(format!("cannot connect: {}", chain(&e)))),
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(retry_after);
        let body = match Limited::new(resp.into_body(), MAX_RESPONSE).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => Bytes::new(),
        };
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }
}
