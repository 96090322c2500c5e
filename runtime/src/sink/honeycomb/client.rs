//! The Events API client: `POST {api}/1/batch/{dataset}` with the key in
//! `X-Honeycomb-Team`, `application/json` bodies (gzipped when asked,
//! which the API accepts), over the shared HTTP client. A 2xx answer is the
//! per-event status array: events whose status is not 2xx are counted
//! rejected with their error text. 429 and 5xx are retried (honouring
//! `Retry-After`), 401 (the key is refused) ends the run at once, other
//! statuses fail the batch for good.

use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, Uri};
use serde::Deserialize;

use super::key::ApiKey;
use crate::sink::deliver::http::{self as shared, HttpClient};
use crate::sink::deliver::{Attempt, BoxFuture, Deliver, Exporter, Settings};
use crate::sink::signal::Signal;

/// Where and how events are sent.
#[derive(Clone, Debug)]
pub struct Config {
    /// The API's base URL (`https://api.honeycomb.io`).
    pub api: String,
    /// The dataset of each signal, in [`Signal::ALL`] order.
    pub datasets: [String; 3],
    /// The key.
    pub key: ApiKey,
    /// Gzip bodies.
    pub gzip: bool,
    /// One attempt's timeout.
    pub timeout: Duration,
    /// Accept any server certificate.
    pub insecure_skip_verify: bool,
    /// Queueing, retries, stopping.
    pub settings: Settings,
}

/// Starts an exporter posting to the Events API.
pub fn start(config: Config) -> Result<Exporter, String> {
    let settings = config.settings.clone();
    Exporter::start_with(settings, || Client::new(&config))
}

/// The default API.
pub const DEFAULT_API: &str = "https://api.honeycomb.io";

/// Checks `--honeycomb-url`: `https://HOST[:PORT]`, or `http://` to a
/// loopback address only (a local test server: the key must not travel in
/// the clear).
pub fn check_api(url: &str) -> Result<String, String> {
    let u = url.trim().trim_end_matches('/');
    let uri = u
        .parse::<Uri>()
        .map_err(|e| format!("--honeycomb-url {u}: not a URL: {e}"))?;
    let host = uri.host().unwrap_or("");
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1");
    match uri.scheme_str() {
        Some("https") if !host.is_empty() => Ok(u.to_string()),
        Some("http") if loopback => Ok(u.to_string()),
        Some("http") => Err(format!(
            "--honeycomb-url {u}: http:// only to a loopback address (the API key would travel in the clear); use https://"
        )),
        _ => Err(format!(
            "--honeycomb-url {u}: expected https://HOST, e.g. {DEFAULT_API}"
        )),
    }
}

/// A dataset as a URL path segment: everything but unreserved characters
/// percent-encoded (the API takes URL-encoded spaces, not slashes).
pub fn dataset_path(dataset: &str) -> String {
    let mut out = String::with_capacity(dataset.len());
    for b in dataset.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One event's status in the answer.
#[derive(Deserialize)]
struct EventStatus {
    status: u16,
    #[serde(default)]
    error: Option<String>,
}

/// An Events API client.
pub struct Client {
    http: HttpClient,
    urls: [Uri; 3],
    headers: HeaderMap,
    gzip: bool,
    /// The key, to keep it out of any message a server echoes it into.
    key: ApiKey,
}

impl Client {
    fn new(c: &Config) -> Result<Client, String> {
        let base = c.api.trim_end_matches('/');
        let url = |d: &String| -> Result<Uri, String> {
            let u = format!("{base}/1/batch/{}", dataset_path(d));
            u.parse::<Uri>()
                .map_err(|e| format!("--honeycomb-url {base}: not an HTTP URL: {e}"))
        };
        let [t, m, l] = &c.datasets;
        let urls = [url(t)?, url(m)?, url(l)?];
        let tls = urls.iter().any(|u| u.scheme_str() == Some("https"));
        let mut headers = HeaderMap::new();
        let key = HeaderValue::from_str(c.key.expose())
            .map_err(|_| "the Honeycomb API key is not a valid HTTP header value".to_string())?;
        headers.insert(HeaderName::from_static("x-honeycomb-team"), key);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if c.gzip {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        let agent = format!("tsim/{}", crate::VERSION);
        if let Ok(v) = HeaderValue::from_str(&agent) {
            headers.insert(USER_AGENT, v);
        }
        Ok(Client {
            http: HttpClient::new(tls, c.insecure_skip_verify, c.timeout)?,
            urls,
            headers,
            gzip: c.gzip,
            key: c.key.clone(),
        })
    }

    /// `reason` with the key blanked out.
    fn redact(&self, reason: String) -> String {
        reason.replace(self.key.expose(), "<redacted>")
    }

    async fn post(&self, signal: Signal, body: Bytes, items: u64) -> Attempt {
        let url = &self.urls[signal.index()];
        let answer = match self.http.post(url, &self.headers, body).await {
            Ok(a) => a,
            Err(attempt) => return attempt,
        };
        let status = answer.status;
        if (200..300).contains(&status) {
            return statuses(&answer.body, items);
        }
        let reason = self.redact(shared::status_reason(status, &answer.body));
        match status {
            401 => Attempt::Fatal {
                reason: format!(
                    "Honeycomb refused the API key ({reason}): check --api-key or HONEYCOMB_API_KEY (an ingest key of the right environment)"
                ),
            },
            429 | 500..=599 => Attempt::Retry {
                after: answer.retry_after,
                reason,
            },
            _ => Attempt::Fail { reason },
        }
    }
}

/// The outcome of a 2xx answer: events whose status is not 2xx rejected
/// with the first error text; events the array has no status for (a
/// shorter array) rejected too. A body that is not a status array (an
/// empty 202) accepts the whole batch.
fn statuses(body: &[u8], items: u64) -> Attempt {
    let Ok(list) = serde_json::from_slice::<Vec<EventStatus>>(body) else {
        return Attempt::Accepted {
            rejected: 0,
            message: String::new(),
        };
    };
    let mut rejected = 0u64;
    let mut message = String::new();
    for s in &list {
        if !(200..300).contains(&s.status) {
            rejected += 1;
            if message.is_empty() {
                let text = s.error.as_deref().unwrap_or("no error text");
                message = format!("HTTP {}: {}", s.status, shared::excerpt(text.as_bytes()));
            }
        }
    }
    let missing = items.saturating_sub(list.len() as u64);
    if missing > 0 {
        rejected += missing;
        if message.is_empty() {
            message = format!("the answer had no status for {missing} events");
        }
    }
    Attempt::Accepted { rejected, message }
}

impl Deliver for Client {
    fn wire_body(&self, body: Bytes) -> Bytes {
        if self.gzip {
            shared::gzip(body)
        } else {
            body
        }
    }
    fn send(&self, signal: Signal, body: Bytes, items: u64) -> BoxFuture<'_, Attempt> {
        Box::pin(self.post(signal, body, items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_event_statuses_count_rejections_and_datasets_are_escaped() {
        let body = br#"[{"status":202},{"status":400,"error":"Event has too many columns."},{"status":202}]"#;
        assert_eq!(
            statuses(body, 3),
            Attempt::Accepted {
                rejected: 1,
                message: "HTTP 400: Event has too many columns.".into()
            }
        );
        assert_eq!(
            statuses(br#"[{"status":202}]"#, 2),
            Attempt::Accepted {
                rejected: 1,
                message: "the answer had no status for 1 events".into()
            }
        );
        assert_eq!(
            statuses(b"", 5),
            Attempt::Accepted {
                rejected: 0,
                message: String::new()
            }
        );
        assert_eq!(dataset_path("My Dataset-1"), "My%20Dataset-1");
        assert_eq!(
            check_api("https://api.eu1.honeycomb.io/").unwrap(),
            "https://api.eu1.honeycomb.io"
        );
        assert!(check_api("http://127.0.0.1:9").is_ok());
        assert!(check_api("http://api.honeycomb.io")
            .unwrap_err()
            .contains("loopback"));
        assert!(check_api("api.honeycomb.io").is_err());
    }
}
