//! OTLP/HTTP: `POST` of the encoded request to each signal's URL
//! (`<base>/v1/traces`, `/v1/metrics`, `/v1/logs`, or the per-signal URL
//! given), as `application/x-protobuf` or `application/json`, gzipped when
//! asked, over hyper's pooled HTTP/1.1 connections. 2xx answers are read for
//! their `partial_success`; 429/502/503/504 are retried (with the server's
//! `Retry-After`); other statuses fail with the start of the server's body.

use std::io::Write;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::response;
use super::retry::{chain, connect_failure, http_retryable, retry_after, Attempt};
use crate::sink::otlp::Signal;

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

/// An OTLP/HTTP client.
pub struct Http {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    urls: [Uri; 3],
    json: bool,
    gzip: bool,
    headers: [HeaderMap; 3],
    timeout: Duration,
}

impl Http {
    /// A client posting to `urls` (traces, metrics, logs; `https://` ones
    /// over TLS, see [`super::tls`]); must be called inside the exporter's
    /// runtime.
    pub fn new(
        urls: [String; 3],
        json: bool,
        gzip: bool,
        headers: [HeaderMap; 3],
        timeout: Duration,
        insecure: bool,
    ) -> Result<Http, String> {
        let parse = |u: &String| -> Result<Uri, String> {
            u.parse::<Uri>()
                .map_err(|e| format!("{u}: not an HTTP URL: {e}"))
        };
        let [t, m, l] = &urls;
        let urls = [parse(t)?, parse(m)?, parse(l)?];
        let tls = urls.iter().any(|u| u.scheme_str() == Some("https"));
        let connector = super::tls::http_connector_for(tls, insecure)?;
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(Http {
            client,
            urls,
            json,
            gzip,
            headers,
            timeout,
        })
    }

    /// The body as it goes on the wire (gzipped when asked).
    pub fn wire_body(&self, body: Bytes) -> Bytes {
        if !self.gzip {
            return body;
        }
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

    /// One attempt to post `body` (already as [`Http::wire_body`] made it).
    pub async fn send(&self, signal: Signal, body: Bytes) -> Attempt {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(self.urls[signal.index()].clone())
            .header(
                CONTENT_TYPE,
                if self.json {
                    "application/json"
                } else {
                    "application/x-protobuf"
                },
            );
        if self.gzip {
            req = req.header(CONTENT_ENCODING, "gzip");
        }
        let mut req = match req.body(Full::new(body)) {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Fail {
                    reason: format!("cannot build the request: {e}"),
                }
            }
        };
        req.headers_mut().extend(
            self.headers[signal.index()]
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        let resp = match tokio::time::timeout(self.timeout, self.client.request(req)).await {
            Err(_) => {
                return Attempt::Retry {
                    after: None,
                    reason: format!("no answer within {:?}", self.timeout),
                }
            }
            Ok(Err(e)) => return connect_failure(format!("cannot connect: {}", chain(&e))),
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        let after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(retry_after);
        let text = match Limited::new(resp.into_body(), MAX_RESPONSE).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => Bytes::new(),
        };
        if (200..300).contains(&status) {
            return if self.json {
                response::json(signal, &text)
            } else {
                response::protobuf(signal, &text)
            };
        }
        let start: String = String::from_utf8_lossy(&text[..text.len().min(200)])
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        let reason = if start.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("HTTP {status}: {start}")
        };
        if http_retryable(status) {
            Attempt::Retry { after, reason }
        } else {
            Attempt::Fail { reason }
        }
    }
}
