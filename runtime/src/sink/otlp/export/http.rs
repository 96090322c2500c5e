//! OTLP/HTTP: `POST` of the encoded request to each signal's URL
//! (`<base>/v1/traces`, `/v1/metrics`, `/v1/logs`, or the per-signal URL
//! given), as `application/x-protobuf` or `application/json`, gzipped when
//! asked, over the shared HTTP client ([`crate::sink::deliver::http`]). 2xx
//! answers are read for their `partial_success`; 429/502/503/504 are
//! retried (with the server's `Retry-After`); other statuses fail with the
//! start of the server's body.

use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_ENCODING, CONTENT_TYPE};
use http::{HeaderMap, Uri};

use super::response;
use crate::sink::deliver::http::{self as shared, HttpClient};
use crate::sink::deliver::retry::{http_retryable, Attempt};
use crate::sink::deliver::{BoxFuture, Deliver};
use crate::sink::otlp::Signal;

pub use shared::header_map;

/// An OTLP/HTTP client.
pub struct Http {
    client: HttpClient,
    urls: [Uri; 3],
    json: bool,
    gzip: bool,
    /// Per signal: the content type and encoding, then the user's headers.
    headers: [HeaderMap; 3],
}

impl Http {
    /// A client posting to `urls` (traces, metrics, logs; `https://` ones
    /// over TLS); must be called inside the exporter's runtime.
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
        let client = HttpClient::new(tls, insecure, timeout)?;
        let headers = headers.map(|user| {
            let mut h = HeaderMap::new();
            h.insert(
                CONTENT_TYPE,
                HeaderValue::from_static(if json {
                    "application/json"
                } else {
                    "application/x-protobuf"
                }),
            );
            if gzip {
                h.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            h.extend(user);
            h
        });
        Ok(Http {
            client,
            urls,
            json,
            gzip,
            headers,
        })
    }

    /// One attempt to post `body` (already as [`Deliver::wire_body`] made it).
    async fn post(&self, signal: Signal, body: Bytes) -> Attempt {
        let i = signal.index();
        let answer = match self
            .client
            .post(&self.urls[i], &self.headers[i], body)
            .await
        {
            Ok(a) => a,
            Err(attempt) => return attempt,
        };
        let status = answer.status;
        if (200..300).contains(&status) {
            return if self.json {
                response::json(signal, &answer.body)
            } else {
                response::protobuf(signal, &answer.body)
            };
        }
        let reason = shared::status_reason(status, &answer.body);
        if http_retryable(status) {
            Attempt::Retry {
                after: answer.retry_after,
                reason,
            }
        } else {
            Attempt::Fail { reason }
        }
    }
}

impl Deliver for Http {
    fn wire_body(&self, body: Bytes) -> Bytes {
        if self.gzip {
            shared::gzip(body)
        } else {
            body
        }
    }
    fn send(&self, signal: Signal, body: Bytes, _items: u64) -> BoxFuture<'_, Attempt> {
        Box::pin(self.post(signal, body))
    }
}
