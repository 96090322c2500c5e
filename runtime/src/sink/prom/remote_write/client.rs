//! The remote-write client: each request `POST`ed to the receiver's URL
//! over the shared HTTP client with the headers remote write 1.0 asks for
//! (`Content-Encoding: snappy`, `Content-Type: application/x-protobuf`,
//! `X-Prometheus-Remote-Write-Version: 0.1.0`, `User-Agent`). As the spec
//! says, 5xx and 429 are retried with backoff (honouring `Retry-After`);
//! any other answer but 2xx fails the request for good, with the start of
//! the body (Prometheus names the refused sample there).

use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, Uri};

use crate::sink::deliver::http::{self as shared, HttpClient};
use crate::sink::deliver::{Attempt, BoxFuture, Deliver, Exporter, Settings};
use crate::sink::signal::Signal;

/// Where and how requests are sent.
#[derive(Clone, Debug)]
pub struct Config {
    /// The receiver's URL (`http://127.0.0.1:9090/api/v1/write`).
    pub url: String,
    /// One attempt's timeout.
    pub timeout: Duration,
    /// Accept any server certificate.
    pub insecure_skip_verify: bool,
    /// Queueing, retries, stopping.
    pub settings: Settings,
}

/// Starts an exporter posting to a remote-write receiver. Requests go one
/// at a time, in order: Prometheus refuses a series' sample older than
/// one it already has, and requests in flight together may land in any
/// order.
pub fn start(config: Config) -> Result<Exporter, String> {
    let settings = Settings {
        max_in_flight: 1,
        ..config.settings.clone()
    };
    Exporter::start_with(settings, || Client::new(&config))
}

/// A remote-write client.
pub struct Client {
    http: HttpClient,
    url: Uri,
    headers: HeaderMap,
}

impl Client {
    fn new(c: &Config) -> Result<Client, String> {
        let url = c
            .url
            .parse::<Uri>()
            .map_err(|e| format!("--to {}: not an HTTP URL: {e}", c.url))?;
        let tls = url.scheme_str() == Some("https");
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("snappy"));
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-protobuf"),
        );
        headers.insert(
            HeaderName::from_static("x-prometheus-remote-write-version"),
            HeaderValue::from_static("0.1.0"),
        );
        let agent = format!("tsim/{}", crate::VERSION);
        if let Ok(v) = HeaderValue::from_str(&agent) {
            headers.insert(USER_AGENT, v);
        }
        Ok(Client {
            http: HttpClient::new(tls, c.insecure_skip_verify, c.timeout)?,
            url,
            headers,
        })
    }

    async fn post(&self, body: Bytes) -> Attempt {
        let answer = match self.http.post(&self.url, &self.headers, body).await {
            Ok(a) => a,
            Err(attempt) => return attempt,
        };
        outcome(answer.status, answer.retry_after, &answer.body)
    }
}

/// What an answer means for the request.
fn outcome(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Attempt {
    if (200..300).contains(&status) {
        return Attempt::Accepted {
            rejected: 0,
            message: String::new(),
        };
    }
    let reason = shared::status_reason(status, body);
    match status {
        429 | 500..=599 => Attempt::Retry {
            after: retry_after,
            reason,
        },
        _ => Attempt::Fail { reason },
    }
}

impl Deliver for Client {
    fn send(&self, _: Signal, body: Bytes, _: u64) -> BoxFuture<'_, Attempt> {
        Box::pin(self.post(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_hundreds_and_429_are_retried_other_statuses_are_permanent() {
        assert!(matches!(
            outcome(204, None, b""),
            Attempt::Accepted { rejected: 0, .. }
        ));
        assert!(matches!(outcome(503, None, b""), Attempt::Retry { .. }));
        assert!(matches!(
            outcome(429, Some(Duration::from_secs(2)), b""),
            Attempt::Retry { after: Some(d), .. } if d == Duration::from_secs(2)
        ));
        assert_eq!(
            outcome(400, None, b"out of bounds\n"),
            Attempt::Fail {
                reason: "HTTP 400: out of bounds".into()
            }
        );
    }
}
