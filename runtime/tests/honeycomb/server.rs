//! A local server holding tsim to the Honeycomb Events API's documented
//! contract: `POST /1/batch/{dataset}` only, the key in
//! `X-Honeycomb-Team` (anything else: 401), `Content-Type:
//! application/json`, gzip bodies decoded, a body over the batch limit
//! refused with 413, a body that is not a non-empty JSON array of events
//! each with a `data` object and an RFC 3339 `time` refused with 400 (and
//! noted as a violation), events over 1 MB or 2,000 fields refused one by
//! one. The answer is the per-event status array. It can be told to answer
//! 429 (with `Retry-After`) or 503 first, and to refuse some events. It
//! runs on its own thread on 127.0.0.1 port 0 for the rest of the test
//! process.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// The documented batch body limit.
pub const MAX_BODY: usize = 5_000_000;
/// The documented per-event limit (uncompressed JSON).
pub const MAX_EVENT: usize = 1_000_000;

/// How the server behaves.
#[derive(Clone, Debug)]
pub struct Behaviour {
    /// The only key it takes.
    pub key: String,
    /// Answer this many requests 429 first (with `Retry-After: 1`).
    pub throttle: u32,
    /// Then answer this many 503.
    pub unavailable: u32,
    /// Refuse every event whose number (from 0, over the whole run) is a
    /// multiple of this, with a per-event 400.
    pub refuse_every: Option<u64>,
}

impl Behaviour {
    /// Takes `key`, answers everything.
    pub fn new(key: &str) -> Behaviour {
        Behaviour {
            key: key.to_string(),
            throttle: 0,
            unavailable: 0,
            refuse_every: None,
        }
    }
}

/// What the server holds.
#[derive(Default, Debug)]
pub struct Held {
    /// Accepted events by dataset, in arrival order.
    pub events: BTreeMap<String, Vec<Value>>,
    /// Requests by status answered.
    pub statuses: BTreeMap<u16, u64>,
    /// Events refused one by one.
    pub refused: u64,
    /// The largest body (as sent, before gzip is undone).
    pub largest: usize,
    /// Bodies that came gzipped.
    pub gzipped: u64,
    /// Events seen (accepted or refused), for `refuse_every`.
    pub seen: u64,
    /// Breaches of the contract.
    pub violations: Vec<String>,
    /// Keys that were refused (to prove the right one was sent).
    pub bad_keys: u64,
}

impl Held {
    /// Accepted events over all datasets.
    pub fn total(&self) -> usize {
        self.events.values().map(Vec::len).sum()
    }
    /// The accepted events of `dataset`.
    pub fn of(&self, dataset: &str) -> &[Value] {
        self.events.get(dataset).map_or(&[], Vec::as_slice)
    }
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub held: Arc<Mutex<Held>>,
}

impl Server {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// What it holds, locked.
    pub fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Starts a server behaving as `b`.
pub fn start(b: Behaviour) -> Server {
    let held = Arc::new(Mutex::new(Held::default()));
    let (tx, rx) = std::sync::mpsc::channel();
    let shared = held.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("binds");
            tx.send(listener.local_addr().expect("bound"))
                .expect("sends");
            let b = Arc::new(b);
            let throttled = Arc::new(Mutex::new((0u32, 0u32)));
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (b, held, throttled) = (b.clone(), shared.clone(), throttled.clone());
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let (b, held, throttled) = (b.clone(), held.clone(), throttled.clone());
                        async move {
                            Ok::<_, std::convert::Infallible>(
                                answer(req, &b, &held, &throttled).await,
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
    });
    let addr = rx.recv().expect("the server starts");
    Server { addr, held }
}

fn reply(status: u16, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = hyper::StatusCode::from_u16(status).expect("a status");
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

fn error(status: u16, text: &str) -> Response<Full<Bytes>> {
    reply(status, serde_json::json!({ "error": text }).to_string())
}

/// Whether `t` looks like RFC 3339 in UTC with a fraction:
/// `YYYY-MM-DDTHH:MM:SS.fffZ`.
fn rfc3339(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 21
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && t.ends_with('Z')
        && t[..4].bytes().all(|c| c.is_ascii_digit())
        && t[20..t.len() - 1].bytes().all(|c| c.is_ascii_digit())
}

async fn answer(
    req: Request<Incoming>,
    b: &Behaviour,
    held: &Mutex<Held>,
    throttled: &Mutex<(u32, u32)>,
) -> Response<Full<Bytes>> {
    let lock = || held.lock().unwrap_or_else(|p| p.into_inner());
    let count = |status: u16| *lock().statuses.entry(status).or_default() += 1;
    let path = req.uri().path().to_string();
    let Some(dataset) = path.strip_prefix("/1/batch/").filter(|d| !d.is_empty()) else {
        lock().violations.push(format!("path {path}"));
        count(404);
        return error(404, "not found");
    };
    let dataset = percent_decode(dataset);
    if req.method() != hyper::Method::POST {
        lock().violations.push(format!("method {}", req.method()));
        count(405);
        return error(405, "method not allowed");
    }
    let team = req
        .headers()
        .get("x-honeycomb-team")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if team != b.key {
        lock().bad_keys += 1;
        count(401);
        return error(401, "unknown API key - check your credentials");
    }
    let ctype = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ctype.starts_with("application/json") {
        lock().violations.push(format!("content type `{ctype}`"));
        count(400);
        return error(400, "unsupported content type");
    }
    let gzip = req
        .headers()
        .get(hyper::header::CONTENT_ENCODING)
        .is_some_and(|v| v == "gzip");
    let raw = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return error(400, "cannot read the body"),
    };
    {
        let mut h = lock();
        h.largest = h.largest.max(raw.len());
        h.gzipped += u64::from(gzip);
    }
    if raw.len() > MAX_BODY {
        lock().violations.push(format!("a {}-byte body", raw.len()));
        count(413);
        return error(413, "request body is too large");
    }
    {
        let mut t = throttled.lock().unwrap_or_else(|p| p.into_inner());
        if t.0 < b.throttle {
            t.0 += 1;
            drop(t);
            count(429);
            let mut r = error(429, "rate limited");
            r.headers_mut().insert(
                hyper::header::RETRY_AFTER,
                hyper::header::HeaderValue::from_static("1"),
            );
            return r;
        }
        if t.1 < b.unavailable {
            t.1 += 1;
            drop(t);
            count(503);
            return error(503, "unavailable");
        }
    }
    let body = if gzip {
        let mut out = Vec::new();
        if flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .is_err()
        {
            lock().violations.push("a body that is not gzip".into());
            count(400);
            return error(400, "Request body is malformed and cannot be read.");
        }
        out
    } else {
        raw.to_vec()
    };
    let events = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(a)) if !a.is_empty() => a,
        Ok(Value::Array(_)) => {
            lock().violations.push("an empty batch".into());
            count(400);
            return error(400, "Request body should not be empty.");
        }
        _ => {
            lock()
                .violations
                .push("a body that is not a JSON array".into());
            count(400);
            return error(400, "Request body is malformed and cannot be read.");
        }
    };
    let mut statuses = Vec::with_capacity(events.len());
    let mut h = lock();
    for e in events {
        let n = h.seen;
        h.seen += 1;
        let shape = e["data"].is_object() && e["time"].as_str().is_some_and(rfc3339);
        if !shape {
            h.violations
                .push(format!("an event without data or an RFC 3339 time: {e}"));
            statuses.push(serde_json::json!({"status": 400, "error": "malformed event"}));
            continue;
        }
        let size = e.to_string().len();
        let fields = e["data"].as_object().map_or(0, |d| d.len());
        if size > MAX_EVENT || fields > 2000 {
            h.violations
                .push(format!("a {size}-byte event of {fields} fields"));
            statuses
                .push(serde_json::json!({"status": 400, "error": "Event has too many columns."}));
            continue;
        }
        if b.refuse_every.is_some_and(|k| n % k == 0) {
            h.refused += 1;
            statuses
                .push(serde_json::json!({"status": 400, "error": "refused by the test server"}));
            continue;
        }
        h.events.entry(dataset.clone()).or_default().push(e);
        statuses.push(serde_json::json!({"status": 202}));
    }
    *h.statuses.entry(200).or_default() += 1;
    drop(h);
    reply(200, Value::Array(statuses).to_string())
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
